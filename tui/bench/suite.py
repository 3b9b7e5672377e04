"""The benchmark suite: which benchmarks run, at which sizes, and what they print.

`python -m tui.bench` and `liqhunt bench` both land here. The full suite takes a few minutes; `--quick`
runs every benchmark at toy sizes in seconds (its figures only show that the scripts work).
Benchmarks print figures; nothing here passes or fails on a number.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

NAMES = ("ingest", "naive", "latency", "memory", "terminal", "startup", "research")

FULL = {
    "ingest": {"seconds": 240.0, "shards": 8, "rounds": 3},
    "naive": {
        "occupancies": (1_000, 10_000, 100_000),
        "timed_events": 50_000,
        "rounds": 3,
        "naive_budget_s": 1.0,
        "fixed_rate": 10_000 / 90,
        "rate_windows": (30.0, 300.0),
    },
    "latency": {
        "rates": (1_000.0, 5_000.0),
        "seconds": 40.0,
        "sizes": ((120, 40), (80, 24)),
        "control_s": 20.0,
        "compare": True,
    },
    "memory": {"events": 1_000_000, "laps": 3},
    "terminal": {"rate": 1_000.0, "measure_s": 30.0, "warm_s": 3.0},
    "startup": {"repeats": 3},
    "research": {"minutes": 60.0, "markets": 20, "copies": 10},
}
QUICK = {
    "ingest": {"seconds": 25.0, "shards": 8, "rounds": 1},
    "naive": {"occupancies": (10_000,), "timed_events": 4_000, "rounds": 1, "naive_budget_s": 0.2},
    # at least 50 decisions even here (the bench config trades often; the first come after ~3 s)
    "latency": {"rates": (1_000.0,), "seconds": 18.0, "sizes": ((120, 40),), "control_s": 0.0},
    "memory": {"events": 20_000, "laps": 2},
    "terminal": {"rate": 1_000.0, "measure_s": 2.0, "warm_s": 0.5},
    "startup": {"repeats": 1},
    "research": {"minutes": 3.0, "markets": 4, "copies": 3, "sweep_grid": ("score_min=6,7",)},
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="every benchmark at toy sizes, in seconds (a smoke run)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    p.add_argument("--only", metavar="NAMES", help=f"comma-separated subset of: {', '.join(NAMES)}")
    p.add_argument(
        "--markdown", metavar="FILE", help="also write the Markdown report (docs/benchmarks.md figures) here"
    )


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_suite(names: tuple[str, ...] = NAMES, quick: bool = False, log=_log) -> dict:
    from tui.bench.report import machine

    params = QUICK if quick else FULL
    out: dict = {"quick": quick, "machine": machine(), "params": {n: params[n] for n in names}}
    started = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        log(f"bench: {name} …")
        try:
            out[name] = _run_one(name, params[name])
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
        log(f"bench: {name} done in {time.perf_counter() - t0:.1f} s")
    out["wall_s"] = round(time.perf_counter() - started, 1)
    ing, nv = out.get("ingest", {}), out.get("naive", [])
    at10k = (
        next((r for r in nv if isinstance(r, dict) and r.get("occupancy") == 10_000), None)
        if isinstance(nv, list)
        else None
    )
    # the headline keys
    out["ingest_events_per_s"] = ing.get("ingest_events_per_s") if isinstance(ing, dict) else None
    out["ingest_events_per_cpu_s"] = ing.get("ingest_events_per_cpu_s") if isinstance(ing, dict) else None
    out["naive_events_per_s"] = at10k["naive_events_per_s"] if at10k else None
    out["ratio_vs_naive"] = at10k["ratio_pipeline_vs_naive"] if at10k else None
    return out


def _run_one(name: str, kw: dict):
    if name == "ingest":
        from tui.bench import ingest

        return ingest.run(**kw)
    if name == "naive":
        from tui.bench import naive

        return naive.run(**kw)
    if name == "latency":
        from tui.bench import latency

        return latency.run(**kw)
    if name == "memory":
        from tui.bench import memory

        return memory.run(**kw)
    if name == "terminal":
        from tui.bench import terminal

        return terminal.run(**kw)
    if name == "startup":
        from tui.bench import startup

        return startup.run(**kw)
    if name == "research":
        from tui.bench import research

        return research.run(**kw)
    raise ValueError(name)


def run(args: argparse.Namespace) -> int:
    names = NAMES
    if args.only:
        names = tuple(n.strip() for n in args.only.split(",") if n.strip())
        bad = [n for n in names if n not in NAMES]
        if bad:
            print(
                f"liqhunt bench: error: unknown benchmark(s) {', '.join(bad)}; valid: {', '.join(NAMES)}",
                file=sys.stderr,
            )
            return 2
    res = run_suite(names, quick=args.quick, log=_log)
    from tui.bench.report import markdown

    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(markdown(res))
    if args.json:
        sys.stdout.write(json.dumps(res) + "\n")
    else:
        sys.stdout.write(markdown(res))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tui.bench", description="liqhunt benchmarks: figures, not pass/fail.")
    add_arguments(p)
    return run(p.parse_args(argv))
