"""The engine's outputs on a fixed bench stream, boiled down to a golden file.

Performance work must not change what the engine decides. This module replays a deterministic
stream — the crash scenario (seed 7) rendered as Binance and Bybit frames over 4 × 50 markets
by `tui.bench.streams`, plus the simulator's open-interest readings copied onto every shard —
through the real venue parsers and the engine, with the liquidation heatmap on as `backtest`
builds it (`core.heatmap.model.estimated_fuel_map`), in full-auto mode. Everything the engine tells
its subscribers about signals, orders, fills, risk blocks and positions is recorded at the moment
it is emitted, plus the closed trades and the P&L after `close_all("end_of_data")`.

Floats are kept to 10 significant digits: enough to see any change of decision or price, while
a different but equally exact summation order (e.g. a shared window deque) stays invisible.

Two configurations: the defaults (as `liqhunt backtest` runs them) and `busy` (risk caps lifted,
short holds, lower thresholds, as the latency bench uses), which trades far more often.

Regenerate the golden deliberately (after an intended behaviour change) with:

    PYTHONPATH=$PWD /work/venv/bin/python -m tests.golden_outputs --write
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "engine_outputs.json"
SECONDS = 100.0  # of the crash, from 20 s before its onset
SHARDS = 4
RECORDED = (
    "SignalRaised",
    "SignalEnded",
    "RiskBlocked",
    "OrderSubmitted",
    "OrderFilled",
    "OrderRejected",
    "PositionOpened",
    "PositionClosed",
    "WatchStarted",
    "WatchEnded",
)


def _canon(x):
    """A JSON-able, order-stable form of an engine output; floats to 10 significant digits."""
    if isinstance(x, bool) or x is None or isinstance(x, (int, str)):
        return x
    if isinstance(x, float):
        return float(f"{x:.10g}")
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _canon(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {str(k): _canon(v) for k, v in sorted(x.items(), key=lambda kv: str(kv[0]))}
    if isinstance(x, (list, tuple)):
        return [_canon(v) for v in x]
    return repr(x)


def golden_input():
    """(ts, kind, payload) in receive order: kind "frame" (venue index, raw text) or "event"."""
    from core.events import Liquidation, MarkPrice, OpenInterest
    from core.feeds.symbols import binance_market, bybit_market
    from core.sim.market_sim import Simulator
    from tui.bench.streams import CRASH_ONSET_S, VENUE_NAMES, render, shard_symbol

    sim = Simulator("crash", seed=7, markets=50)
    for _ in sim.run(CRASH_ONSET_S - 20.0, chunk=30.0):
        pass
    events = list(sim.run(SECONDS, chunk=30.0))
    stream = render([e for e in events if isinstance(e, (Liquidation, MarkPrice))], shards=SHARDS)
    items: list[tuple[float, int, str, object]] = [
        (t, 0, "frame", (v, r)) for t, v, r in zip(stream.ts, stream.venue, stream.raw, strict=True)
    ]
    for e in events:
        if not isinstance(e, OpenInterest):
            continue
        for k in range(SHARDS):
            sym = shard_symbol(e.symbol, k)
            venue = VENUE_NAMES[k % 2]
            market = binance_market(sym) if venue == "binance" else bybit_market(sym)
            ts = e.ts_recv + k * 1e-6  # as the frames: shard copies stay distinct and in order
            items.append((ts, 1, "event", OpenInterest(venue, market, sym, e.oi_usd, ts, ts, e.oi_qty)))
    items.sort(key=lambda it: (it[0], it[1]))
    return [(t, kind, payload) for t, _, kind, payload in items]


def busy_config():
    from core.config import Config

    cfg = Config()
    cfg.risk = dataclasses.replace(
        cfg.risk,
        max_trades_per_market_per_day=1000,
        max_open_positions=1000,
        max_notional_per_trade_usd=1e12,
        max_total_notional_usd=1e15,
        daily_loss_limit_usd=1e15,
        cooldown_after_stop_s=0.0,
        block_on_stale_feed=False,
    )
    cfg.exits = dataclasses.replace(cfg.exits, max_hold_s=2.0)
    cfg.signal = dataclasses.replace(
        cfg.signal,
        rearm_after_s=1.0,
        entry_delay_min_s=2.0,
        entry_delay_max_s=8.0,
        window_min_usd=1_000_000.0,
        score_min=5.0,
    )
    return cfg


def run_engine(cfg, items) -> dict:
    """Replay `items` through parsers + engine (heatmap on, full-auto); the outputs and a summary."""
    from core.clock import SimClock
    from core.engine import Engine
    from core.feeds.registry import make_parser
    from core.heatmap.model import estimated_fuel_map
    from tui.bench.streams import VENUE_NAMES

    clock = SimClock(items[0][0])
    engine = Engine(cfg, clock, fuel_map=estimated_fuel_map(cfg, clock, ()), mode="auto")
    lines: list[str] = []
    kinds: dict[str, int] = {}

    def note(ev: object) -> None:
        name = type(ev).__name__
        if name in RECORDED:
            kinds[name] = kinds.get(name, 0) + 1
            lines.append(json.dumps([name, _canon(ev)], sort_keys=True, separators=(",", ":")))

    engine.subscribe(note)
    parsers = [make_parser(v) for v in VENUE_NAMES]
    process, process_many, set_time = engine.process, engine.process_many, clock.set
    n_events = 0
    for ts, kind, payload in items:
        set_time(ts)
        if kind == "frame":
            venue, raw = payload  # type: ignore[misc]
            events = parsers[venue].parse(raw, ts)
            process_many(events)  # one frame, as the live runner hands it over
            n_events += len(events)
        else:
            process(payload)  # type: ignore[arg-type]
            n_events += 1
    engine.close_all("end_of_data")
    clock.advance(cfg.broker.latency_ms / 1000.0 + 1e-3)
    engine.tick()
    trades = [_canon(t) for t in engine.trades]
    for t in trades:
        lines.append(json.dumps(["Trade", t], sort_keys=True, separators=(",", ":")))
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return {
        "sha256": digest,
        "events_in": n_events,
        "outputs": dict(sorted(kinds.items())),
        "trades": len(trades),
        "pnl": _canon(sum(t.pnl for t in engine.trades)),
        "realised_pnl": _canon(engine.realised_pnl),
        "fees": _canon(engine.fees_paid),
        "first_outputs": lines[:3],
    }


def compute() -> dict:
    from core.config import Config

    items = golden_input()
    return {
        "stream": {"seconds": SECONDS, "shards": SHARDS, "items": len(items)},
        "default": run_engine(Config(), items),
        "busy": run_engine(busy_config(), items),
    }


def main(argv: list[str]) -> int:
    res = compute()
    if "--write" in argv:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(res, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {GOLDEN}")
    print(
        json.dumps(
            {
                k: ({kk: vv for kk, vv in v.items() if kk != "first_outputs"} if isinstance(v, dict) else v)
                for k, v in res.items()
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
