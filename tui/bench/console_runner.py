"""The console on a paced synthetic source, for the terminal and latency benchmarks (run in a pty).

`python -m tui.bench.console_runner --rate 1000 --seconds 20` builds the real app with
`tui.app.make_app` (heatmap on, as `run` and `demo` build it) and the crash stream's Binance/Bybit
frames at `--rate` events/s (see `tui.bench.paced_source`), runs it full-screen on this terminal
and exits after `--seconds`. With `--latency-out FILE` it runs the latency bench's rig (full-auto,
bench config, timing engine and broker) and writes its figures there as JSON on exit;
`--profile-loop` adds what held the loop, in CPU time (`tui.bench.loop_profile`), and
`--in-pty 120x40` runs the same command in a pseudo-terminal of that size and prints the figures.
A bench-only composition root: no flag is added to the console's own commands.
"""

from __future__ import annotations

import argparse
import json
import sys

from core.engine_commands import MODES


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tui.bench.console_runner")
    p.add_argument("--rate", type=float, default=1000.0, help="events per second")
    p.add_argument("--seconds", type=float, default=20.0, help="exit after this long")
    p.add_argument("--shards", type=int, default=2, help="50 × shards markets")
    p.add_argument("--mode", default="watch", choices=MODES)
    p.add_argument("--latency-out", metavar="FILE", help="run the latency rig and write its figures here")
    p.add_argument(
        "--engine-thread",
        action="store_true",
        help="prototype: source and engine on their own thread (own asyncio loop), the screen reading "
        "snapshots under a lock; to measure what leaving the one-loop design would buy",
    )
    p.add_argument(
        "--gc",
        default="app",
        choices=("app", "untuned"),
        help="app: collector as the console arranges it; untuned: CPython's defaults (for before/after)",
    )
    p.add_argument(
        "--profile-loop",
        action="store_true",
        help="record each loop callback's CPU time and the compositor pass (tui.bench.loop_profile) "
        "into the --latency-out figures",
    )
    p.add_argument(
        "--in-pty",
        metavar="COLSxROWS",
        help="run this same command in a pseudo-terminal of that size (tui.bench.pty_harness), then "
        "print the --latency-out figures with the bytes written to the terminal",
    )
    a = p.parse_args(argv)
    if a.in_pty:
        return _rerun_in_pty(a.in_pty, argv if argv is not None else sys.argv[1:], a)
    pauses = _watch_gc()

    from core.backtest import estimated_fuel_map
    from core.config import Config
    from core.engine import Engine
    from tui.app import make_app
    from tui.bench.paced_source import PacedSource, PerfClock
    from tui.bench.streams import crash_stream

    if a.latency_out:
        from tui.bench.latency import build_rig, latency_stream, rig_summary

        stream = latency_stream(min(240.0, max(30.0, a.seconds * 2)), shards=a.shards)  # laps if the run is longer
        rig = build_rig(stream, a.rate, a.seconds)
        engine, source, clock, cfg = rig.engine, rig.source, rig.clock, rig.engine.cfg
    else:
        stream = crash_stream(60.0, shards=a.shards)  # played in laps when the run is longer
        cfg = Config()
        clock = PerfClock(stream.ts[0])
        source = PacedSource(stream, a.rate, clock, duration_s=a.seconds + 5.0, record=False)
        engine = Engine(cfg, clock, fuel_map=estimated_fuel_map(cfg, clock, ()), mode=a.mode)
    if a.engine_thread:
        app = make_app(engine, None, clock, cfg)
        _engine_on_its_own_thread(app, engine, source)
    else:
        app = make_app(engine, source, clock, cfg)
    app.mount_hooks.append(lambda: app.set_timer(a.seconds + 0.5, app.exit))
    if a.gc == "app":  # as the console's own composition roots arrange it
        from tui.gc_hooks import tune_collector

        tune_collector(app)
    profile = None
    if a.profile_loop:
        from tui.bench.loop_profile import install_console_profile

        profile = install_console_profile()
    app.run()
    if profile is not None:
        profile.uninstall()
    if a.latency_out:
        res = rig_summary(rig, a.seconds)
        res["gc"] = a.gc
        res["gc_pauses_ms"] = {f"gen{g}": _pause_summary(v) for g, v in pauses.items()}
        if profile is not None:
            res["loop_profile"] = profile.summary()
        with open(a.latency_out, "w", encoding="utf-8") as f:
            json.dump(res, f)
    print(f"events={source.events} messages={source.messages}", file=sys.stdout)
    return 0


def _rerun_in_pty(size: str, argv: list[str], a) -> int:
    import os
    import tempfile

    from tui.bench.pty_harness import run_in_pty
    from tui.bench.terminal import MARKERS, console_env

    try:
        cols, rows = (int(x) for x in size.lower().split("x"))
    except ValueError:
        print(f"--in-pty: expected COLSxROWS such as 120x40, got {size!r}", file=sys.stderr)
        return 2
    rest, skip = [], False
    for arg in argv:  # the same arguments without --in-pty
        if skip:
            skip = False
        elif arg == "--in-pty":
            skip = True
        elif not arg.startswith("--in-pty="):
            rest.append(arg)
    with tempfile.TemporaryDirectory(prefix="liqhunt-pty-") as tmp:
        out = a.latency_out or os.path.join(tmp, "latency.json")
        if not a.latency_out:
            rest += ["--latency-out", out]
        child = [sys.executable, "-m", "tui.bench.console_runner", *rest]
        r = run_in_pty(child, cols, rows, timeout_s=a.seconds + 90.0, markers=MARKERS, env=console_env())
        if not os.path.exists(out):
            print(f"no figures written (exit status {r.exit_status})", file=sys.stderr)
            return 1
        with open(out, encoding="utf-8") as f:
            res = json.load(f)
    res["console"] = f"pty {cols}×{rows}"
    res["terminal_kb_per_s"] = round(sum(n for _, n in r.chunks) / max(1e-9, a.seconds) / 1024, 1)
    res["process_cpu_s"] = r.cpu_samples[-1][1] if r.cpu_samples else None
    print(json.dumps(res, indent=1))
    return 0


def _engine_on_its_own_thread(app, engine, source) -> None:
    """The prototype of the two-thread design: the feed → engine → broker path runs in a thread
    with its own event loop; the screen builds its snapshot under the same lock the engine holds
    while it handles a frame. With the GIL, a long compositor pass is interrupted every switch
    interval (set to 1 ms here), so frames are not held behind it."""
    import asyncio
    import threading

    lock = threading.Lock()
    process_many = engine.process_many

    def locked_process(events) -> None:
        with lock:
            process_many(events)

    engine.process_many = locked_process
    build = app.snapshots.build

    def locked_build(*args, **kw):
        with lock:
            return build(*args, **kw)

    app.snapshots.build = locked_build
    sys.setswitchinterval(0.001)
    threading.Thread(target=lambda: asyncio.run(source.run(engine)), name="engine", daemon=True).start()


def _watch_gc() -> dict[int, list[tuple[float, float, float]]]:
    """Collector pauses by generation: (seconds since start, wall seconds, CPU seconds) of each
    collection (gc.callbacks: its start and stop). CPU time does not count waiting for a core."""
    import gc
    import time

    t0 = time.perf_counter()
    pauses: dict[int, list[tuple[float, float, float]]] = {0: [], 1: [], 2: []}
    started = [0.0, 0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started[0], started[1] = time.perf_counter(), time.thread_time()
        else:
            now = time.perf_counter()
            pauses[info["generation"]].append((now - t0, now - started[0], time.thread_time() - started[1]))

    gc.callbacks.append(on_gc)
    return pauses


def _pause_summary(values: list[tuple[float, float, float]]) -> dict:
    wall = sorted(w * 1000.0 for _, w, _ in values)
    cpu = sorted(c * 1000.0 for _, _, c in values)
    out = {
        "n": len(wall),
        "max": round(wall[-1], 2) if wall else 0.0,
        "total": round(sum(wall), 1),
        "cpu_max": round(cpu[-1], 2) if cpu else 0.0,
        "cpu_total": round(sum(cpu), 1),
    }
    if len(values) <= 10:  # the rare (full) collections: when they ran and how long
        out["at_s"] = [(round(t, 2), round(c * 1000.0, 2)) for t, _, c in values]
    return out


if __name__ == "__main__":
    sys.exit(main())
