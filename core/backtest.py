"""Backtest: a recording replayed through the same engine and paper broker as live, in
full-auto mode, as fast as the machine allows, on a simulated clock.

The clock is set to each line's receive time before its events are processed, so the engine
never sees an event before it "arrived". Positions still open when the data ends are closed
at the last known price with reason `end_of_data` — marked to market, not dropped.

`split` runs the in-sample part (before the split time) as its own backtest that stops at the
split, so nothing after it can change in-sample figures; the out-of-sample part counts only
trades entered after the split.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.engine_events import OrderFilled, SignalRaised
from core.events import Event
from core.fuel_map import FuelMap
from core.heatmap.model import estimated_fuel_map
from core.instruments import Instrument
from core.playbook_names import PLAYBOOK_NAMES, expand
from core.positions import TIERS, score_tier
from core.recording_set import RecordingSet
from core.replay import DecodeStats
from core.trade_stats import CLUSTER_RULE, by_key, by_tier, fmt_ci, interval_sentence, max_drawdown, summarize

PLAYBOOKS = PLAYBOOK_NAMES  # reported in this order


@dataclass
class Recording:
    """Events already in memory (a simulator run, a test's script): the same interface as a
    `RecordingSet`, which streams files instead."""

    file: str
    lines: list[tuple[float, list[Event]]]
    instruments: list[Instrument]
    stats: DecodeStats

    @property
    def start(self) -> float | None:
        return self.lines[0][0] if self.lines else None

    @property
    def end(self) -> float | None:
        return self.lines[-1][0] if self.lines else None

    def iter_lines(
        self, on_instruments: Callable[[list[Instrument]], None] | None = None
    ) -> Iterator[tuple[float, list[Event]]]:
        if on_instruments is not None and self.instruments:
            on_instruments(self.instruments)
        return iter(self.lines)


Source = Recording | RecordingSet


def load_recording(path: str | Path | list[str], start: float | None = None, end: float | None = None) -> RecordingSet:
    """Files, folders or globs, read lazily on each pass (nothing is loaded here)."""
    return RecordingSet.open(path if isinstance(path, list) else str(path), start, end)


@dataclass
class BacktestResult:
    file: str
    config_digest: str
    start_ts: float | None = None
    end_ts: float | None = None
    stats: DecodeStats = field(default_factory=DecodeStats)
    signals: list[dict] = field(default_factory=list)
    trades: list[dict] = field(default_factory=list)  # ClosedTrade fields + return_bps, hold_s, cost split
    label: str = ""
    count_from: float | None = None  # out-of-sample: only trades entered from here count
    playbooks: tuple[str, ...] = PLAYBOOKS  # the playbooks the config asked for: all reported, even silent


def requested_playbooks(cfg: Config) -> tuple[str, ...]:
    """Every playbook the config runs on some market (the default and any per-market override)."""
    choices = {cfg.playbook.default} | {item.partition("=")[2] for item in cfg.playbook.markets}
    wanted = {pb for c in choices for pb in expand(c)}
    return tuple(pb for pb in PLAYBOOKS if pb in wanted)


class _Collector:
    """The engine subscriber that fills a result. An object, not a closure, so that a deep copy of
    the engine (the in-sample fork in `run_backtest`) fills the copy's own result."""

    def __init__(self, res: BacktestResult) -> None:
        self.res = res
        self.slips: dict[str, list[float]] = {}  # position id -> [modelled slippage, latency drift], bps, entry + exit

    def __call__(self, ev: object) -> None:
        if isinstance(ev, SignalRaised):
            s = ev.signal
            self.res.signals.append(
                {
                    "id": s.id,
                    "market": s.market,
                    "ts": s.raised_ts,
                    "score": round(s.score.total, 4),
                    "tier": score_tier(s.score.total),
                    "side": s.order_side,
                    "playbook": s.playbook,
                }
            )
        elif isinstance(ev, OrderFilled):
            pid = ev.order.position_id
            f = ev.fill
            drift = float(f.extras.get("latency_drift_bps", 0.0))
            acc = self.slips.setdefault(pid, [0.0, 0.0])
            acc[0] += f.slippage_bps - drift
            acc[1] += drift


def _finish(engine: Engine, collector: _Collector, cfg: Config, count_from: float | None) -> BacktestResult:
    """Close what is open at the last price, let the fills land, and turn the trades into result rows."""
    res = collector.res
    engine.close_all("end_of_data")
    engine.clock.advance(cfg.broker.latency_ms / 1000.0 + 1e-3)  # type: ignore[attr-defined]
    engine.tick()
    for t in engine.trades:
        d = dataclasses.asdict(t)
        notional = t.qty * t.entry_price
        slip, drift = collector.slips.get(t.position_id, (0.0, 0.0))
        fees_bps = t.fees / notional * 1e4 if notional else 0.0
        d.update(
            return_bps=t.return_bps,
            hold_s=t.hold_s,
            fees_bps=fees_bps,
            slippage_bps=slip,
            drift_bps=drift,
            cost_bps=fees_bps + slip + drift,
        )
        res.trades.append(d)
    if count_from is not None:
        keep_from(res, count_from)
    return res


def run_backtest(
    source: str | Path | Source,
    cfg: Config,
    fuel_map_factory: Callable[[Config, SimClock], FuelMap] | None = None,
    on_engine: Callable[[Engine], None] | None = None,
    until: float | None = None,
    count_from: float | None = None,
    label: str = "",
    fork_at: float | None = None,
    on_fork: Callable[[BacktestResult], None] | None = None,
) -> BacktestResult:
    """Replay `source` (a path, a `RecordingSet` or an in-memory `Recording`) as a stream. `until`
    stops the data there (exclusive); `count_from` keeps only trades entered (and signals raised) at
    or after that time. `on_engine` lets a caller attach a journal (or anything) before the first event.

    `fork_at`: when the data reaches this time, a deep copy of the whole engine is finished as if the
    data ended there and handed to `on_fork` — exactly the run with `until=fork_at`, without reading
    the data before it twice."""
    rec = source if isinstance(source, (Recording, RecordingSet)) else load_recording(source)
    res = BacktestResult(file=rec.file, config_digest=cfg.digest(), label=label, playbooks=requested_playbooks(cfg))
    clock = SimClock(0.0)
    engine: Engine | None = None
    collector = _Collector(res)
    instruments: list[Instrument] = []
    if fork_at is not None and on_engine is not None:
        raise ValueError("fork_at cannot copy an attached journal")

    def start_engine(ts: float) -> Engine:
        """Built at the first line's time, with the instruments recorded so far, as before any event."""
        clock.set(ts)
        fuel = (
            fuel_map_factory(cfg, clock)
            if fuel_map_factory is not None
            else estimated_fuel_map(cfg, clock, instruments)
        )
        eng = Engine(cfg, clock, fuel_map=fuel, instruments=instruments, mode="auto")
        eng.subscribe(collector)
        if on_engine:
            on_engine(eng)
        return eng

    def on_instruments(new: list[Instrument]) -> None:
        instruments.extend(new)
        if engine is not None:
            engine.add_instruments(new)
            add = getattr(engine.fuel_map, "add_instruments", None)
            if add is not None:
                add(new)

    def fork() -> None:
        nonlocal fork_at
        fork_at = None
        eng = engine if engine is not None else start_engine(0.0)
        copy_engine, copy_collector, copy_stats = copy.deepcopy((eng, collector, rec.stats))
        copy_collector.res.stats = copy_stats
        on_fork(_finish(copy_engine, copy_collector, cfg, None))  # type: ignore[misc]

    lines = rec.iter_lines(on_instruments)
    try:
        for ts, events in lines:
            if until is not None and ts >= until:
                break
            if fork_at is not None and ts >= fork_at:
                fork()
            if engine is None:
                engine = start_engine(ts)
                res.start_ts = ts
            clock.set(ts)
            engine.process_many(events)  # a recorded line is one frame, decided as the live feed does
            res.end_ts = ts
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()  # a pass cut short still closes its files and totals its statistics
    if fork_at is not None:
        fork()  # the data ended before the fork time
    res.stats = rec.stats
    if engine is None:
        engine = start_engine(0.0)
    return _finish(engine, collector, cfg, count_from)


def keep_from(res: BacktestResult, cut: float) -> None:
    """Only trades entered and signals raised at or after `cut` count (the out-of-sample part)."""
    res.count_from = cut
    res.trades = [t for t in res.trades if t["entry_ts"] >= cut]
    res.signals = [s for s in res.signals if s["ts"] >= cut]


def split_point(start: float | None, end: float | None, split: float) -> float:
    start, end = start or 0.0, end or 0.0
    return start + (end - start) * split


def recording_span(rec: Source) -> tuple[float | None, float | None]:
    """(first, last) receive time of the lines a backtest would read: one pass, no engine."""
    first = last = None
    lines = rec.iter_lines()
    try:
        for ts, _ in lines:
            if first is None:
                first = ts
            last = ts
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()
    return first, last


def split_backtest(
    rec: Source, cfg: Config, split: float, span: tuple[float | None, float | None] | None = None, **kw
) -> tuple[BacktestResult, BacktestResult]:
    """(in-sample, out-of-sample) at `split` (0–1) of the recording's time span.

    With the span known (a sweep measures it once), one pass does both: the in-sample result is a
    copy of the engine taken at the cut and finished there, so nothing after the cut can change
    it. Without it, the out-of-sample run goes first and tells the span, then the in-sample run
    stops at the cut."""
    if not 0 < split < 1:
        raise ValueError("split must be between 0 and 1, e.g. 0.7")
    ins_label, oos_label = f"in-sample (first {split:.0%})", f"out-of-sample (last {1 - split:.0%})"
    if span is not None and kw.get("on_engine") is None:
        cut = split_point(span[0], span[1], split)
        got: list[BacktestResult] = []
        oos = run_backtest(rec, cfg, label=oos_label, count_from=cut, fork_at=cut, on_fork=got.append, **kw)
        ins = got[0]
        ins.label = ins_label
        return ins, oos
    oos = run_backtest(rec, cfg, label=oos_label, **kw)
    cut = split_point(oos.start_ts, oos.end_ts, split)
    keep_from(oos, cut)
    ins = run_backtest(rec, cfg, until=cut, label=ins_label, **kw)
    return ins, oos


def _tier_rows(trades: list[dict], signals: list[dict]) -> list[dict]:
    tiers = by_tier(trades)
    sig_n = {t: 0 for t in TIERS}
    for s in signals:
        sig_n[s["tier"]] = sig_n.get(s["tier"], 0) + 1
    return [
        {"tier": t, "signals": sig_n.get(t, 0), **tiers[t].as_dict(), "verdict": interval_sentence(tiers[t])}
        for t in TIERS
    ]


def backtest_report(res: BacktestResult) -> dict:
    trades = sorted(res.trades, key=lambda t: (t["exit_ts"], t["position_id"]))
    total = summarize(trades)
    playbooks = {}
    for pb in PLAYBOOKS:
        pts = [t for t in trades if t["playbook"] == pb]
        psig = [s for s in res.signals if s["playbook"] == pb]
        if pts or psig or pb in res.playbooks:  # a requested playbook is shown even when it never fired
            ps = summarize(pts)
            playbooks[pb] = {
                "signals": len(psig),
                **ps.as_dict(),
                "verdict": interval_sentence(ps),
                "tiers": _tier_rows(pts, psig),
            }
    start = res.start_ts
    if res.count_from is not None and start is not None:
        start = max(start, res.count_from)  # out-of-sample: its span starts at the split, not the file
    return {
        "file": res.file,
        "label": res.label,
        "config": res.config_digest,
        "span_s": round(max(0.0, (res.end_ts or 0) - (start or 0)), 3),
        "lines": res.stats.lines,
        "events": res.stats.events,
        "bad_lines": res.stats.bad_count,
        **({"caveats": res.stats.caveats} if res.stats.caveats else {}),  # what the input format cannot show
        "signals": len(res.signals),
        **total.as_dict(),
        "max_drawdown": round(max_drawdown(t["pnl"] for t in trades), 2),
        "verdict": interval_sentence(total),
        "cluster_rule": CLUSTER_RULE,
        "exits": {k: v.trades for k, v in sorted(by_key(trades, "reason").items())},
        "tiers": _tier_rows(trades, res.signals),
        "playbooks": playbooks,
    }


def _money(x: float) -> str:
    return f"{'+' if x >= 0 else '−'}${abs(x):,.2f}"


def format_tier_table(rows: list[dict]) -> list[str]:
    out = [
        f"{'tier':<6}{'signals':>8}{'trades':>7}{'clus':>5}{'win':>6}{'95 % CI':>10}{'mean bps':>10}{'median':>8}"
        f"{'cost':>6}{'fund':>6}{'PF':>6}{'P&L':>12}"
    ]
    for t in rows:
        n = t["trades"]
        ci = fmt_ci(t["win_rate_ci95"])
        wr = f"{t['win_rate']:.0%}" if n else "—"
        pf = "—" if t["profit_factor"] is None else f"{t['profit_factor']:.2f}"
        mean = f"{t['mean_bps']:+.0f}" if n else "—"
        med = f"{t['median_bps']:+.0f}" if n else "—"
        cost = f"{t['cost_bps']:.0f}" if n else "—"
        fund = f"{t['funding_bps']:+.1f}" if n else "—"
        clus = str(t["clusters"]) if n else "—"
        out.append(
            f"{t['tier']:<6}{t['signals']:>8}{n:>7}{clus:>5}{wr:>6}{ci:>10}{mean:>10}{med:>8}{cost:>6}{fund:>6}{pf:>6}"
            f"{_money(t['pnl']):>12}"
        )
    return out


def _win_line(rep: dict) -> str:
    if not rep["trades"]:
        return "win rate — (no trades)"
    return f"win rate {rep['win_rate']:.1%} (95 % CI {fmt_ci(rep['win_rate_ci95'])}, {_n_label(rep)})"


def _n_label(rep: dict) -> str:
    n, g = rep["trades"], rep.get("clusters", 0)
    return f"n = {n} in {g} clusters" if g and g < n else f"n = {n}"


def format_report(rep: dict) -> str:
    head = f"backtest {rep['file']}" + (f" — {rep['label']}" if rep.get("label") else "")
    lines = [
        f"{head}  (config {rep['config']}, {rep['span_s'] / 3600:.2f} h, {rep['events']:,} events, {rep['bad_lines']} bad lines)",
        f"signals {rep['signals']}   trades {rep['trades']}   {_win_line(rep)}",
        f"P&L net of fees, slippage and funding {_money(rep['pnl'])}   fees ${rep['fees']:,.2f}   "
        f"funding {'paid' if rep['funding'] >= 0 else 'received'} ${abs(rep['funding']):,.2f}   avg R {rep['avg_r']:+.2f}   max drawdown ${rep['max_drawdown']:,.2f}",
        (
            f"costs per trade, already inside every return above: fees {rep['fees_bps']:.1f} + modelled slippage "
            f"{rep['slippage_bps']:.1f} + latency drift {rep['drift_bps']:+.1f} = {rep['cost_bps']:.1f} bps; "
            f"funding {rep['funding_bps']:+.1f} bps. A net mean above zero is the bar — not above zero plus costs."
            if rep["trades"]
            else "costs per trade: — (no trades)"
        ),
        f"reading: {rep['verdict']}"
        + ("" if rep["pnl"] > 0 or rep["trades"] == 0 else " — the strategy LOST money on this recording"),
        "exits by reason: " + (", ".join(f"{k} {v}" for k, v in rep["exits"].items()) or "none"),
    ]
    lines[1:1] = [f"caveat: {c}" for c in rep.get("caveats", ())]
    for pb, p in rep["playbooks"].items():
        if not p["trades"]:
            lines += [
                "",
                f"playbook {pb}: {p['signals']} signal{'' if p['signals'] == 1 else 's'}, 0 trades — nothing to measure",
            ]
        else:
            lines += [
                "",
                f"playbook {pb}: {p['trades']} trade{'' if p['trades'] == 1 else 's'}, P&L {_money(p['pnl'])}, "
                f"MAE {p['mae_bps']:+.0f} / MFE {p['mfe_bps']:+.0f} bps — {p['verdict']}",
            ]
        lines += format_tier_table(p["tiers"])
    lines += ["", f"clusters: {rep['cluster_rule']}; intervals use them (the wider of independent and cluster-robust)"]
    return "\n".join(lines)
