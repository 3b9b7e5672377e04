"""`liqhunt replay INPUT...`: the console on recordings (files, folders, globs, --from/--to), paced at --speed × real time."""

from __future__ import annotations

import argparse
import sys

from core.commands._inputs import add_input_arguments
from core.commands.numbers import SPEED
from tui.commands._console import add_console_arguments, build_session, fail, load, open_console

NAME = "replay"
HELP = "open the console on a recording (sim or live capture)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument("--speed", type=SPEED, default=1.0, help="recorded seconds per real second, 0.01–1000 (default 1)")
    add_console_arguments(p)


def run(args: argparse.Namespace) -> int:
    from core.recording_set import RecordingSet
    from core.sources import ReplaySource

    cfg = load(NAME, args)
    if isinstance(cfg, int):
        return cfg
    if not args.speed > 0:
        return fail(NAME, f"--speed: must be positive, got {args.speed}")
    try:
        rec = RecordingSet.open(args.inputs, args.start, args.end)
        source = ReplaySource(rec, speed=args.speed)
    except (OSError, ValueError) as exc:
        return fail(NAME, f"{' '.join(args.inputs)}: {exc}")
    _count_lines_in_background(source)
    from core.journal.recovery import replay_source_id

    session = build_session(
        cfg,
        source.clock,
        source.instruments,
        args.mode,
        args,
        source_label="replay",
        venues=["replay"],
        # the content hash matters only to a journal on disk (one in memory has no earlier
        # session); hashing a month of recordings would delay every replay by seconds
        source_id=replay_source_id(rec.paths) if args.journal else "replay:in-memory",
    )
    if isinstance(session, int):
        return session
    code = open_console(NAME, args, session.engine, source, source.clock, cfg, session)
    for line in source.bad_lines_report():
        print(line, file=sys.stderr)
    return code


def _count_lines_in_background(source) -> None:
    """The replay's length, for the header's progress %: counted in a thread so the screen opens at once."""
    import gzip
    import threading

    paths = list(getattr(getattr(source, "recording", None), "paths", None) or [source.path])

    def count() -> None:
        total = 0
        try:
            for path in paths:
                opener = gzip.open if path.suffix == ".gz" else open
                with opener(path, "rb") as f:
                    total += sum(1 for _ in f)
        except (OSError, EOFError):
            return  # no progress shown; the replay itself reports what it can read
        source.total_lines = total

    threading.Thread(target=count, name="replay-length", daemon=True).start()
