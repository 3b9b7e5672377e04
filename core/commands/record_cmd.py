"""`liqhunt record`: write every raw venue frame with its receive time, for replay and parser tests.

The file is the one recording format (core/recording.py). Ctrl-C and SIGTERM stop the recording
cleanly: the file is flushed and closed and the per-venue counts are printed either way.
With `--out-dir` the recording rotates: one gzip file per venue per hour (or per `--rotate-mb`)
in DIR/<venue>/<day>/, each closed as its hour ends, so a crash loses at most the open hour's tail
(and, with the flush every second, only the last second of that). Every reading command takes
the folder as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from core.clock import Clock, WallClock
from core.commands.numbers import MINUTES
from core.feeds.health import FeedHealth
from core.feeds.live import LiveFeeds, parse_endpoints
from core.feeds.registry import RETIRED, VENUES
from core.recording import RecordingWriter, RotatingWriter

NAME = "record"
HELP = "Record raw frames from live venue feeds to a JSON Lines file (.gz to compress)."
FLUSH_EVERY_S = 1.0  # a crash loses at most this much of the recording


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--venues", required=True, help=f"comma-separated, from: {','.join(VENUES)}")
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", type=Path, help="output file (.jsonl or .jsonl.gz)")
    out.add_argument(
        "--out-dir",
        type=Path,
        metavar="DIR",
        help="rotate: one .jsonl.gz per venue per hour in DIR/<venue>/<YYYY-MM-DD>/",
    )
    p.add_argument(
        "--rotate-mb",
        type=float,
        default=None,
        metavar="MB",
        help="with --out-dir: also start a new file once one holds this many MB (uncompressed)",
    )
    p.add_argument(
        "--minutes", type=MINUTES, default=None, help="stop after this long, up to 30 days (default: until Ctrl-C)"
    )
    p.add_argument("--cache-dir", type=Path, default=None, help="instrument cache (default: ~/.cache/liqhunt)")
    p.add_argument(
        "--endpoint",
        action="append",
        default=[],
        metavar="VENUE=URL",
        help="testing: send a venue's websockets to another host, e.g. binance=ws://127.0.0.1:9001",
    )
    p.add_argument(
        "--rest-endpoint",
        action="append",
        default=[],
        metavar="VENUE=URL",
        help="testing: send a venue's REST requests to another host",
    )


def run(args: argparse.Namespace) -> int:
    venues = [v.strip() for v in args.venues.split(",") if v.strip()]
    try:
        ws, rest = parse_endpoints(args.endpoint), parse_endpoints(args.rest_endpoint)
        unknown = [v for v in venues if v not in VENUES]
        if unknown or not venues:
            raise ValueError(f"unknown venue(s) {','.join(unknown) or '(none given)'}; choose from {','.join(VENUES)}")
        retired = [RETIRED[v] for v in venues if v in RETIRED]
        if retired:
            raise ValueError("; ".join(retired))
    except ValueError as exc:
        print(f"liqhunt record: {exc}", file=sys.stderr)
        return 2
    if args.rotate_mb is not None and (args.out_dir is None or not 0 < args.rotate_mb < 1e6):
        print("liqhunt record: --rotate-mb needs --out-dir and a size between 0 and 1e6 MB", file=sys.stderr)
        return 2
    if args.minutes is not None and not 0 < args.minutes < 1e7:
        print(f"liqhunt record: --minutes must be positive, got {args.minutes}", file=sys.stderr)
        return 2
    out = args.out_dir or args.out
    try:
        if args.out_dir is not None:
            out.mkdir(parents=True, exist_ok=True)
        elif not out.parent.is_dir():
            raise OSError(f"directory {out.parent} does not exist")
    except OSError as exc:
        print(f"liqhunt record: cannot write to {out}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 1
    seconds = args.minutes * 60.0 if args.minutes is not None else None
    max_bytes = int(args.rotate_mb * 1e6) if args.rotate_mb else None
    asyncio.run(
        record(
            venues,
            out,
            seconds,
            cache_dir=args.cache_dir,
            ws_base_urls=ws,
            rest_base_urls=rest,
            rotate=args.out_dir is not None,
            max_bytes=max_bytes,
        )
    )
    return 0


async def record(
    venues: list[str],
    out: Path,
    seconds: float | None = None,
    *,
    cache_dir: Path | None = None,
    ws_base_urls: dict[str, str] | None = None,
    rest_base_urls: dict[str, str] | None = None,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
    report: TextIO | None = None,
    rotate: bool = False,
    max_bytes: int | None = None,
) -> dict[str, int]:
    """Record until `seconds` pass, `stop` is set, or SIGINT/SIGTERM; returns frames per venue."""
    stop = stop or asyncio.Event()
    counts = {v: 0 for v in venues}
    health: dict[str, FeedHealth] = {}

    with RotatingWriter(out, max_bytes=max_bytes) if rotate else RecordingWriter(out) as writer:

        def on_raw(ts: float, venue: str, msg: object) -> None:
            writer.write(ts, venue, msg)
            counts[venue] += 1

        feeds = LiveFeeds(
            venues,
            clock or WallClock(),
            on_events=lambda events: None,
            on_raw=on_raw,
            on_health=lambda h: health.__setitem__(h.venue, h),
            cache_dir=cache_dir,
            ws_base_urls=ws_base_urls,
            rest_base_urls=rest_base_urls,
        )
        feeds_task = asyncio.create_task(feeds.run())
        flusher = asyncio.create_task(_flush_forever(writer))
        with _stop_on_signals(stop.set):
            waiter = asyncio.create_task(stop.wait())
            await asyncio.wait([waiter, feeds_task], timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        # the state at the moment we stop, not the "down" every runner reports once cancelled
        final = {**health, **{v: r.health for v, r in feeds.runners.items()}}
        for task in (feeds_task, flusher):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task  # re-raises a bug that ended the feeds early, after the file is closed
        writer.flush()
    _print_counts(out, counts, final, report or sys.stdout)
    return counts


async def _flush_forever(writer: RecordingWriter | RotatingWriter) -> None:
    while True:
        await asyncio.sleep(FLUSH_EVERY_S)
        writer.flush()


@contextlib.contextmanager
def _stop_on_signals(stop: Callable[[], None]):
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _print_counts(out: Path, counts: dict[str, int], health: dict[str, FeedHealth], fh: TextIO) -> None:
    print(f"recorded {sum(counts.values())} frames to {out}", file=fh)
    for venue, n in counts.items():
        h = health.get(venue)
        line = f"  {venue:<12} {n:>8} frames"
        if h is not None:
            dropped = sum(h.dropped.values())
            rejected = sum(h.rejected.values())
            line += f"  {h.events} events, {dropped} unparsed, {rejected} rejected  {h.state}"
            if h.reason:
                line += f": {h.reason}"
        print(line, file=fh)
        if h is not None and (h.dropped or h.rejected):
            # per reason, so a bad venue day is told apart from a parser that needs work
            why = [f"unparsed {k} {n}" for k, n in sorted(h.dropped.items())]
            why += [f"rejected {k} {n}" for k, n in sorted(h.rejected.items())]
            print(f"  {'':<12} " + ", ".join(why), file=fh)
