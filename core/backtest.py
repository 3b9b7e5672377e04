"""Backtest: a recording replayed through the same engine and paper broker as live, in
full-auto mode, as fast as the machine allows, on a simulated clock.

The clock is set to each line's receive time before its events are processed, so the engine
never sees an event before it "arrived". Positions still open when the data ends are closed
at the last known price with reason `end_of_data` — marked to market, not dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.engine_events import SignalRaised
from core.fuel_map import FuelMap
from core.positions import TIERS, ClosedTrade, score_tier
from core.replay import DecodeStats, RecordingDecoder, iter_recording
from core.trade_stats import by_key, by_tier, interval_sentence, max_drawdown, summarize


@dataclass
class BacktestResult:
    file: str
    config_digest: str
    start_ts: float | None = None
    end_ts: float | None = None
    stats: DecodeStats = field(default_factory=DecodeStats)
    signals: list[dict] = field(default_factory=list)
    trades: list[ClosedTrade] = field(default_factory=list)


def run_backtest(
    path: str | Path,
    cfg: Config,
    fuel_map_factory: Callable[[Config, SimClock], FuelMap] | None = None,
    on_engine: Callable[[Engine], None] | None = None,
) -> BacktestResult:
    """`on_engine` lets a caller attach a journal (or anything) before the first event."""
    res = BacktestResult(file=str(path), config_digest=cfg.digest())
    decoder = RecordingDecoder()
    clock = SimClock(0.0)
    engine: Engine | None = None
    for ts, events in iter_recording(path, res.stats, decoder):
        if engine is None:
            clock.set(ts)
            fuel = fuel_map_factory(cfg, clock) if fuel_map_factory else None
            engine = Engine(cfg, clock, fuel_map=fuel, instruments=decoder.instruments, mode="auto")
            engine.subscribe(lambda ev, res=res: _on_engine_event(res, ev))
            if on_engine:
                on_engine(engine)
            res.start_ts = ts
        if decoder.instruments and len(decoder.instruments) != len(engine.instruments):
            engine.add_instruments(decoder.instruments)
        clock.set(ts)
        for ev in events:
            engine.process(ev)
        res.end_ts = ts
    if engine is not None:
        engine.close_all("end_of_data")
        clock.advance(cfg.broker.latency_ms / 1000.0 + 1e-3)
        engine.tick()
        res.trades = list(engine.trades)
    return res


def _on_engine_event(res: BacktestResult, ev: object) -> None:
    if isinstance(ev, SignalRaised):
        s = ev.signal
        res.signals.append({"id": s.id, "market": s.market, "ts": s.raised_ts, "score": s.score.total,
                            "tier": score_tier(s.score.total), "side": s.order_side, "playbook": s.playbook})


def backtest_report(res: BacktestResult) -> dict:
    trades = sorted(res.trades, key=lambda t: t.exit_ts)
    total = summarize(trades)
    tiers = by_tier(trades)
    signals_per_tier = {t: 0 for t in TIERS}
    for s in res.signals:
        signals_per_tier[s["tier"]] = signals_per_tier.get(s["tier"], 0) + 1
    return {
        "file": res.file,
        "config": res.config_digest,
        "span_s": round((res.end_ts or 0) - (res.start_ts or 0), 3),
        "lines": res.stats.lines,
        "events": res.stats.events,
        "bad_lines": len(res.stats.bad),
        "signals": len(res.signals),
        **total.as_dict(),
        "max_drawdown": round(max_drawdown(t.pnl for t in trades), 2),
        "verdict": interval_sentence(total),
        "exits": {k: v.trades for k, v in sorted(by_key(trades, "reason").items())},
        "tiers": [
            {"tier": t, "signals": signals_per_tier.get(t, 0), **tiers[t].as_dict()} for t in TIERS
        ],
    }


def _money(x: float) -> str:
    return f"{'+' if x >= 0 else '−'}${abs(x):,.2f}"


def format_report(rep: dict) -> str:
    lines = [
        f"backtest {rep['file']}  (config {rep['config']}, {rep['span_s'] / 3600:.2f} h, {rep['events']:,} events, {rep['bad_lines']} bad lines)",
        f"signals {rep['signals']}   trades {rep['trades']}   win rate {rep['win_rate']:.1%} "
        f"(95 % CI {rep['win_rate_ci95'][0]:.0%}–{rep['win_rate_ci95'][1]:.0%}, n = {rep['trades']})",
        f"P&L after fees and slippage {_money(rep['pnl'])}   fees ${rep['fees']:,.2f}   avg R {rep['avg_r']:+.2f}   "
        f"max drawdown ${rep['max_drawdown']:,.2f}",
        f"reading: {rep['verdict']}" + ("" if rep["pnl"] > 0 or rep["trades"] == 0 else " — the strategy LOST money on this recording"),
        "exits by reason: " + (", ".join(f"{k} {v}" for k, v in rep["exits"].items()) or "none"),
        "",
        f"{'tier':<6}{'signals':>8}{'trades':>8}{'win rate':>10}{'95 % CI':>12}{'avg P&L':>12}{'P&L':>12}",
    ]
    for t in rep["tiers"]:
        ci = f"{t['win_rate_ci95'][0]:.0%}–{t['win_rate_ci95'][1]:.0%}" if t["trades"] else "—"
        wr = f"{t['win_rate']:.0%}" if t["trades"] else "—"
        lines.append(f"{t['tier']:<6}{t['signals']:>8}{t['trades']:>8}{wr:>10}{ci:>12}{_money(t['avg_pnl']):>12}{_money(t['pnl']):>12}")
    return "\n".join(lines)
