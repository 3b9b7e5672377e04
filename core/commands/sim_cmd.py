"""`liqhunt sim`: run the market simulator as fast as it goes and record what it emits.

The recording is the same JSON Lines format live capture writes (venue "sim", each message a
normalised event), so replay and backtests read it like any other. `--truth` also writes the
ground-truth cascade episodes, one JSON object per line.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import orjson

from core.events import event_to_dict
from core.progress import Progress
from core.recording import RecordingWriter
from core.sim.market_sim import Simulator
from core.sim.scenario import SCENARIOS
from core.sim.universe import MAX_MARKETS, MIN_MARKETS

NAME = "sim"
HELP = "run the agent-based cascade simulator and record its events"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default="normal", help=f"one of: {', '.join(SCENARIOS)} (default normal)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--markets", type=int, default=20, help=f"number of markets, {MIN_MARKETS}-{MAX_MARKETS} (default 20)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--hours", type=float, help="simulated hours to run (default 1)")
    length.add_argument("--minutes", type=float, help="simulated minutes to run")
    parser.add_argument("--out", required=True, help="recording to write: .jsonl or .jsonl.gz")
    parser.add_argument("--truth", help="also write the ground-truth cascade episodes here (JSON lines)")


def _fail(message: str) -> int:
    print(f"liqhunt sim: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    if args.scenario not in SCENARIOS:
        return _fail(f"--scenario: unknown scenario {args.scenario!r}; valid: {', '.join(SCENARIOS)}")
    if not MIN_MARKETS <= args.markets <= MAX_MARKETS:
        return _fail(f"--markets: must be between {MIN_MARKETS} and {MAX_MARKETS}, got {args.markets}")
    if args.minutes is not None:
        if not args.minutes > 0:
            return _fail(f"--minutes: must be positive, got {args.minutes}")
        seconds = args.minutes * 60.0
    else:
        hours = 1.0 if args.hours is None else args.hours
        if not hours > 0:
            return _fail(f"--hours: must be positive, got {hours}")
        seconds = hours * 3600.0
    out = Path(args.out)
    if not (out.name.endswith(".jsonl") or out.name.endswith(".jsonl.gz")):
        return _fail(f"--out: must end in .jsonl or .jsonl.gz, got {args.out!r}")
    for flag, path in (("--out", out), ("--truth", Path(args.truth) if args.truth else None)):
        if path is not None and not path.parent.exists():
            return _fail(f"{flag}: directory {str(path.parent)!r} does not exist")

    started = time.perf_counter()
    sim = Simulator(args.scenario, seed=args.seed, markets=args.markets)
    kinds: Counter[str] = Counter()
    with RecordingWriter(out) as writer, Progress(NAME, total=round(seconds), unit="sim s") as progress:
        start = None
        for ev in sim.run(seconds, chunk=600.0):
            writer.write(ev.ts_recv, "sim", event_to_dict(ev))
            kinds[ev.kind] += 1
            start = ev.ts_recv if start is None else start
            progress.set(ev.ts_recv - start)
    if args.truth:
        with open(args.truth, "wb") as fh:
            for ep in sim.episodes:
                fh.write(orjson.dumps(ep.to_dict()) + b"\n")
    took = time.perf_counter() - started
    by_kind = " ".join(f"{k}={kinds[k]}" for k in ("liquidation", "trade", "mark", "open_interest"))
    print(
        f"sim {args.scenario} seed={args.seed} markets={args.markets} {seconds / 3600:g}h: "
        f"{sum(kinds.values())} events ({by_kind}), {len(sim.episodes)} episodes, {took:.1f}s -> {out}",
        file=sys.stderr,
    )
    return 0
