"""`liqhunt sim`: run the market simulator as fast as it goes and record what it emits.

The recording is the same JSON Lines format live capture writes (venue "sim", each message a
normalised event), so replay and backtests read it like any other. `--truth` also writes the
ground-truth cascade episodes, one JSON object per line. `--feed binance` records what Binance's
forceOrder stream would publish (the latest forced order per symbol per second) instead of
every forced order. The market runs `--warmup-minutes` (default 60) before the recording starts.

`--calibration` records nothing: it runs each scenario (or the one named; 48 simulated hours
unless --hours says otherwise) and prints the table
"fact | source | target | simulated" against published facts (docs/simulator-calibration.md);
exit 0 when every figure is within its band, 1 when one is not.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import orjson

from core.commands.numbers import HOURS, MINUTES, bounded
from core.events import event_to_dict
from core.progress import Progress
from core.recording import RecordingWriter
from core.sim.feeds import thinned
from core.sim.market_sim import Simulator
from core.sim.scenario import SCENARIOS
from core.sim.universe import MAX_MARKETS, MIN_MARKETS

NAME = "sim"
HELP = "run the agent-based cascade simulator and record its events"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", help=f"one of: {', '.join(SCENARIOS)} (default normal; with --calibration: all)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--markets", type=int, default=20, help=f"number of markets, {MIN_MARKETS}-{MAX_MARKETS} (default 20)"
    )
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--hours", type=HOURS, help="simulated hours to run, up to 720 (default 1)")
    length.add_argument("--minutes", type=MINUTES, help="simulated minutes to run")
    parser.add_argument("--out", help="recording to write: .jsonl or .jsonl.gz (required unless --calibration)")
    parser.add_argument("--truth", help="also write the ground-truth cascade episodes here (JSON lines)")
    parser.add_argument(
        "--feed",
        choices=("all", "binance"),
        default="all",
        help="all forced orders (default), or only what Binance's stream publishes: the latest per symbol per second",
    )
    parser.add_argument(
        "--warmup-minutes",
        type=bounded(0.0, 60 * 24.0),
        default=60.0,
        help="run the market this long before recording (default 60)",
    )
    parser.add_argument(
        "--calibration",
        action="store_true",
        help="print 'fact | source | target | simulated' per scenario instead of recording (default 48 h each)",
    )


def _fail(message: str) -> int:
    print(f"liqhunt sim: error: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    if args.scenario is not None and args.scenario not in SCENARIOS:
        return _fail(f"--scenario: unknown scenario {args.scenario!r}; valid: {', '.join(SCENARIOS)}")
    if not MIN_MARKETS <= args.markets <= MAX_MARKETS:
        return _fail(f"--markets: must be between {MIN_MARKETS} and {MAX_MARKETS}, got {args.markets}")
    if not args.warmup_minutes >= 0:
        return _fail(f"--warmup-minutes: must not be negative, got {args.warmup_minutes}")
    if args.calibration:
        return _calibration(args)
    scenario = args.scenario or "normal"
    if args.minutes is not None:
        if not args.minutes > 0:
            return _fail(f"--minutes: must be positive, got {args.minutes}")
        seconds = args.minutes * 60.0
    else:
        hours = 1.0 if args.hours is None else args.hours
        if not hours > 0:
            return _fail(f"--hours: must be positive, got {hours}")
        seconds = hours * 3600.0
    if not args.out:
        return _fail("--out is required (or use --calibration)")
    out = Path(args.out)
    if not (out.name.endswith(".jsonl") or out.name.endswith(".jsonl.gz")):
        return _fail(f"--out: must end in .jsonl or .jsonl.gz, got {args.out!r}")
    for flag, path in (("--out", out), ("--truth", Path(args.truth) if args.truth else None)):
        if path is not None and not path.parent.exists():
            return _fail(f"{flag}: directory {str(path.parent)!r} does not exist")

    started = time.perf_counter()
    sim = Simulator(scenario, seed=args.seed, markets=args.markets, warmup_s=args.warmup_minutes * 60.0)
    kinds: Counter[str] = Counter()
    with RecordingWriter(out) as writer, Progress(NAME, total=round(seconds), unit="sim s") as progress:
        start = None
        for ev in thinned(sim.run(seconds, chunk=600.0), args.feed):
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
        f"sim {scenario} seed={args.seed} feed={args.feed} markets={args.markets} {seconds / 3600:g}h: "
        f"{sum(kinds.values())} events ({by_kind}), {len(sim.episodes)} episodes, {took:.1f}s -> {out}",
        file=sys.stderr,
    )
    return 0


# one simulated day leaves the mean move after a cascade uncertain by about ±13 bps (≈ 50 clusters);
# two days halve the noise against the ±10 bps band
CALIBRATION_HOURS = 48.0


def _calibration(args: argparse.Namespace) -> int:
    from core.sim.calibration import all_within, format_table, measure

    hours = (
        args.hours
        if args.hours is not None
        else (args.minutes / 60.0 if args.minutes is not None else CALIBRATION_HOURS)
    )
    if not hours > 0:
        return _fail(f"--hours: must be positive, got {hours}")
    names = [args.scenario] if args.scenario else list(SCENARIOS)
    ok = True
    for i, name in enumerate(names):
        m = measure(name, hours, seed=args.seed, markets=args.markets, warmup_s=args.warmup_minutes * 60.0)
        print(("\n" if i else "") + format_table(m), flush=True)
        ok = ok and all_within(m)
    print(
        "\nsources: docs/simulator-calibration.md. "
        + ("every figure is within its band" if ok else "some figures are OUT OF BAND")
    )
    return 0 if ok else 1
