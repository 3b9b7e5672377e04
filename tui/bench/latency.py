"""Decision latency: the real console in a real pseudo-terminal, fed at a fixed event rate.

`tui.bench.console_runner` builds the console with `tui.app.make_app` (heatmap on, as `run` and
`demo` build it) and runs it full-screen in a pty of the given size (`tui.bench.pty_harness`), so
the ANSI encoding and the writes to the terminal are paid as a user pays them; the paced source
(`tui.bench.paced_source`) feeds it the crash stream's Binance and Bybit frames. Figures, in ms:

* per message: a frame's scheduled arrival → the engine has processed all its events;
* decision: the moment an order became due → the order leaves the paper broker (see
  `paced_source` for "due": the arrival of the frame after which the entry or exit conditions
  held, or the time of the deadline — entry delay over, max hold, a window draining — at which
  the engine decided). Entries and exits are reported apart.

A control run without the console (same source, engine and broker in a bare asyncio loop)
separates the screen's share. To get hundreds of decisions a minute the bench config lifts the
risk caps, shortens the hold and the re-arm delay and lowers the thresholds (`bench_config`); the
decision path itself is unchanged.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import os
import sys
import tempfile

from core.backtest import estimated_fuel_map
from core.config import Config
from tui.bench.paced_source import PacedSource, PerfClock, TimedEngine, TimedPaperBroker
from tui.bench.streams import CRASH_ONSET_S, Stream, crash_stream
from tui.bench.timing import percentile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEAD_IN_S = 5.0  # the latency stream starts this long before the crash's onset: decisions from the first seconds


def bench_config() -> Config:
    """Risk caps lifted and thresholds lowered so that a short run makes many decisions: a $10k
    liquidation starts a watch, $100k in the window and score 2 signal after 1 s, re-armed after
    0.1 s, held at most 0.3 s. The decision path itself is the default one."""
    cfg = Config()
    cfg.risk = dataclasses.replace(
        cfg.risk,
        max_trades_per_market_per_day=100_000,
        max_open_positions=1000,
        max_notional_per_trade_usd=1e12,
        max_total_notional_usd=1e15,
        daily_loss_limit_usd=1e15,
        cooldown_after_stop_s=0.0,
        block_on_stale_feed=False,
    )
    cfg.exits = dataclasses.replace(cfg.exits, max_hold_s=0.3)
    cfg.signal = dataclasses.replace(
        cfg.signal,
        watch_min_usd=10_000.0,
        rearm_after_s=0.1,
        entry_delay_min_s=1.0,
        entry_delay_max_s=8.0,
        window_min_usd=100_000.0,
        score_min=2.0,
    )
    return cfg


def latency_stream(seconds: float, shards: int = 2) -> Stream:
    return crash_stream(seconds, shards=shards, skip_s=CRASH_ONSET_S - LEAD_IN_S)


@dataclasses.dataclass
class TimedRig:
    clock: PerfClock
    source: PacedSource
    engine: TimedEngine
    broker: TimedPaperBroker


def build_rig(
    stream: Stream, rate: float, seconds: float, cfg: Config | None = None, mode: str = "auto", record: bool = True
) -> TimedRig:
    """Source, engine (heatmap on) and timing paper broker, wired as the console's composition root does."""
    cfg = cfg or bench_config()
    clock = PerfClock(stream.ts[0])
    source = PacedSource(stream, rate, clock, duration_s=seconds, record=record)
    engine = TimedEngine(cfg, clock, fuel_map=estimated_fuel_map(cfg, clock, ()), mode=mode, source=source)
    engine.broker = TimedPaperBroker(cfg.broker, engine.price_of, engine.pressure_of, source, engine)
    return TimedRig(clock, source, engine, engine.broker)  # type: ignore[arg-type]


def rig_summary(rig: TimedRig, seconds: float) -> dict:
    src, decisions = rig.source, rig.broker.decisions
    entries = [d for d in decisions if d[0] == "entry"]
    exits = [d for d in decisions if d[0] != "entry"]
    picked = [d[2] for d in decisions if d[2] is not None]
    return {
        "target_events_per_s": src.rate,
        "achieved_events_per_s": round(src.events / max(1e-9, seconds), 1),
        "seconds": seconds,
        "messages": src.messages,
        "events": src.events,
        "per_message": _ms_summary(src.latencies),
        "decision": _ms_summary([d[1] for d in decisions]),
        "decision_entries": _ms_summary([d[1] for d in entries]),
        "decision_exits": _ms_summary([d[1] for d in exits]),
        "decision_from_pickup": _ms_summary(picked),
    }


def _ms_summary(values: list[float]) -> dict:
    v = sorted(x * 1000.0 for x in values)
    return {
        "n": len(v),
        "p50_ms": round(percentile(v, 50), 3),
        "p99_ms": round(percentile(v, 99), 3),
        "max_ms": round(v[-1], 3) if v else 0.0,
    }


async def _run_control(stream: Stream, rate: float, seconds: float) -> dict:
    """The same source, engine and broker in a bare asyncio loop: no screen."""
    rig = build_rig(stream, rate, seconds)
    gc.collect()
    await rig.source.run(rig.engine)
    return {"console": "none (control)", **rig_summary(rig, seconds)}


def run_pty(
    rate: float,
    seconds: float,
    cols: int,
    rows: int,
    shards: int = 2,
    gc_mode: str = "app",
    engine_thread: bool = False,
) -> dict:
    """The console full-screen in a `cols`×`rows` pty at `rate`; figures from the child's own record."""
    from tui.bench.pty_harness import run_in_pty
    from tui.bench.terminal import MARKERS, console_env

    with tempfile.TemporaryDirectory(prefix="liqhunt-lat-") as tmp:
        out = os.path.join(tmp, "latency.json")
        argv = [
            sys.executable,
            "-m",
            "tui.bench.console_runner",
            "--rate",
            str(rate),
            "--seconds",
            str(seconds),
            "--shards",
            str(shards),
            "--latency-out",
            out,
            "--gc",
            gc_mode,
        ] + (["--engine-thread"] if engine_thread else [])
        r = run_in_pty(argv, cols, rows, timeout_s=seconds + 90.0, markers=MARKERS, env=console_env(), cwd=ROOT)
        if not os.path.exists(out):
            return {
                "console": f"pty {cols}×{rows}",
                "error": f"no figures written (exit status {r.exit_status}, "
                f"first frame {'seen' if r.first_frame_s else 'not seen'})",
                "head": r.head[:400].decode(errors="replace"),
            }
        with open(out, encoding="utf-8") as f:
            res = json.load(f)
    res["console"] = f"pty {cols}×{rows}" + (", engine thread (prototype)" if engine_thread else "")
    res["terminal_kb_per_s"] = round(sum(n for _, n in r.chunks) / max(1e-9, seconds) / 1024, 1)
    return res


def run(
    rates: tuple[float, ...] = (1_000.0, 5_000.0),
    seconds: float = 40.0,
    shards: int = 2,
    sizes: tuple[tuple[int, int], ...] = ((120, 40), (80, 24)),
    control_s: float = 20.0,
    compare: bool = False,
) -> list[dict]:
    """The console in a pty: every rate at the first size, the first rate at the other sizes; then
    (with `control_s`) the same source and engine without the console at every rate. With
    `compare`, two more runs at the first rate and size: CPython's default collector settings
    (before core/gc_policy.py), and the engine on its own thread (the two-thread prototype)."""
    out = []
    for i, (cols, rows) in enumerate(sizes):
        for r in rates if i == 0 else rates[:1]:
            out.append(run_pty(r, seconds, cols, rows, shards))
    if compare:
        (cols, rows), r = sizes[0], rates[0]
        untuned = run_pty(r, seconds, cols, rows, shards, gc_mode="untuned")
        untuned["console"] = untuned.get("console", "") + ", collector untuned (before)"
        out += [untuned, run_pty(r, seconds, cols, rows, shards, engine_thread=True)]
    if control_s:
        stream = latency_stream(min(240.0, max(30.0, control_s * 2)), shards=shards)  # played in laps if short
        out += [asyncio.run(_run_control(stream, r, control_s)) for r in rates]
    return out
