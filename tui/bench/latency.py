"""Decision latency with the console running headless, in the console's own asyncio loop.

`tui.app.make_app` builds the real console (120×40, headless: it composes, lays out and renders
every pane at its refresh rate, only the ANSI encoding is skipped); `tui.bench.paced_source` feeds it
the crash stream's Binance and Bybit frames at a fixed event rate. Two figures, in ms:

* per message: scheduled arrival of a frame → the engine has processed all its events
  (parse + windows + score + signals), for every frame;
* decision: scheduled arrival of the frame that triggered an order → `PaperBroker.submit`
  (entries and exits), for every order.

Arrival is the frame's *scheduled* time, so time spent queued behind a repaint counts. A control
run without the console (same source, same engine, bare asyncio loop) separates the two.
To get hundreds of decisions in a minute the bench config lifts the risk caps, shortens the
hold (exits are decisions too), the re-arm delay and the signal thresholds ($1M window,
score 5); the decision path itself is unchanged.
"""
from __future__ import annotations

import asyncio
import dataclasses
import gc

from tui.bench.paced_source import PacedSource, PerfClock, TimedPaperBroker
from tui.bench.streams import Stream, crash_stream
from tui.bench.timing import percentile
from core.config import Config


def bench_config() -> Config:
    cfg = Config()
    cfg.risk = dataclasses.replace(cfg.risk, max_trades_per_market_per_day=1000, max_open_positions=1000,
                                   max_notional_per_trade_usd=1e12, max_total_notional_usd=1e15,
                                   daily_loss_limit_usd=1e15, cooldown_after_stop_s=0.0, block_on_stale_feed=False)
    cfg.exits = dataclasses.replace(cfg.exits, max_hold_s=2.0)
    cfg.signal = dataclasses.replace(cfg.signal, rearm_after_s=1.0, entry_delay_min_s=2.0, entry_delay_max_s=8.0,
                                     window_min_usd=1_000_000.0, score_min=5.0)
    return cfg


def _ms_summary(values: list[float]) -> dict:
    v = sorted(x * 1000.0 for x in values)
    return {"n": len(v), "p50_ms": round(percentile(v, 50), 3), "p99_ms": round(percentile(v, 99), 3),
            "max_ms": round(v[-1], 3) if v else 0.0}


async def _run_console(stream: Stream, rate: float, seconds: float, size: tuple[int, int], console: bool = True) -> dict:
    from core.engine import Engine
    from tui.app import make_app

    cfg = bench_config()
    clock = PerfClock(stream.ts[0])
    source = PacedSource(stream, rate, clock, duration_s=seconds)
    engine = Engine(cfg, clock, mode="auto")
    broker = TimedPaperBroker(cfg.broker, engine.price_of, engine.pressure_of, source)
    engine.broker = broker
    gc.collect()
    if console:
        app = make_app(engine, source, clock, cfg)
        async with app.run_test(headless=True, size=size) as pilot:
            await source.done.wait()
            await pilot.pause()
    else:  # the control: the same source and engine in a bare loop, no screen
        await source.run(engine)
    achieved = source.events / max(1e-9, seconds)
    decisions = [d for d in broker.decisions]
    return {
        "console": console,
        "target_events_per_s": rate,
        "achieved_events_per_s": round(achieved, 1),
        "seconds": seconds,
        "messages": source.messages,
        "events": source.events,
        "per_message": _ms_summary(source.latencies),
        "decision": _ms_summary([d[1] for d in decisions]),
        "decision_entries": sum(1 for d in decisions if d[0] == "entry"),
        "decision_exits": sum(1 for d in decisions if d[0] != "entry"),
        "decision_from_pickup": _ms_summary([d[2] for d in decisions]),
    }


def run(rates: tuple[float, ...] = (1_000.0, 5_000.0), seconds: float = 60.0, shards: int = 2,
        size: tuple[int, int] = (120, 40), stream: Stream | None = None, control_s: float = 0.0) -> list[dict]:
    """One headless console run per rate; `shards` × 50 markets (fewer markets, more per market).
    With `control_s`, the same again without the console (source and engine alone) for that long."""
    stream = stream or crash_stream(min(240.0, max(60.0, seconds * 2)), shards=shards)  # played in laps if short
    out = [asyncio.run(_run_console(stream, r, seconds, size)) for r in rates]
    if control_s:
        out += [asyncio.run(_run_console(stream, r, control_s, size, console=False)) for r in rates]
    return out
