"""Event study: what price did after each cascade the engine detected, by playbook and tier.

Every episode the engine flags counts — not only the ones it would trade — so the study runs
with the score, funding and support filters opened up and the engine in watch mode. For each
signal, forward mark returns at fixed horizons are signed in the cascade's direction:
positive means the move continued, negative means it reverted. Forward prices are read after
the run from the recorded marks; the signals themselves were computed without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.backtest import Source
from core.clock import SimClock
from core.config import Config, replace_section
from core.engine import Engine
from core.engine_events import SignalRaised
from core.events import LONG
from core.forward_prices import ForwardPrices
from core.heatmap.model import estimated_fuel_map
from core.playbook_names import PLAYBOOK_NAMES
from core.positions import TIERS, score_tier
from core.trade_stats import CLUSTER_RULE, cluster_ids, fmt_ci, mean_interval

HORIZONS = (("10s", 10.0), ("1m", 60.0), ("5m", 300.0), ("15m", 900.0), ("60m", 3600.0))


def study_config(cfg: Config) -> Config:
    """Open the filters so episodes of every tier are seen; sizes and risk don't matter here."""
    cfg = replace_section(cfg, "signal", score_min=0.0, require_funding=False, support_min_usd=float("inf"))
    return replace_section(cfg, "fade", score_min=0.0)


@dataclass
class Episode:
    playbook: str
    market: str
    ts: float
    tier: str
    score: float
    direction: int  # −1: long liquidations, price falling; +1: a short squeeze
    price: float
    returns: dict[str, float | None] = field(default_factory=dict)  # horizon -> bps, None past the data


def run_study(rec: Source, cfg: Config) -> list[Episode]:
    """Streams the recording once; forward prices are answered as the data passes (bounded memory)."""
    cfg = study_config(cfg)
    clock = SimClock(0.0)
    instruments: list = []
    eng: Engine | None = None
    marks: dict[str, ForwardPrices] = {}
    trades: dict[str, ForwardPrices] = {}
    episodes: list[Episode] = []

    def on_event(ev: object) -> None:
        if isinstance(ev, SignalRaised):
            s = ev.signal
            key = len(episodes)
            episodes.append(
                Episode(
                    s.playbook,
                    s.market,
                    s.raised_ts,
                    score_tier(s.score.total),
                    s.score.total,
                    -1 if s.liquidated == LONG else 1,
                    s.price,
                )
            )
            for series in (marks.setdefault(s.market, ForwardPrices()), trades.setdefault(s.market, ForwardPrices())):
                series.ask((key, ""), s.raised_ts, none_past_end=False)
                for name, h in HORIZONS:
                    series.ask((key, name), s.raised_ts + h)

    def on_instruments(new: list) -> None:
        instruments.extend(new)
        if eng is not None:
            eng.add_instruments(new)
            add = getattr(eng.fuel_map, "add_instruments", None)
            if add is not None:
                add(new)

    lines = rec.iter_lines(on_instruments)
    try:
        for ts, events in lines:
            clock.set(ts)
            if eng is None:
                eng = Engine(
                    cfg,
                    clock,
                    fuel_map=estimated_fuel_map(cfg, clock, instruments),
                    instruments=instruments,
                    mode="watch",
                )
                eng.subscribe(on_event)
            for ev in events:
                if ev.kind == "mark":
                    marks.setdefault(ev.market, ForwardPrices()).add(ev.ts_recv, ev.mark)  # type: ignore[union-attr]
                elif ev.kind == "trade":
                    trades.setdefault(ev.market, ForwardPrices()).add(ev.ts_recv, ev.price)  # type: ignore[union-attr]
            eng.process_many(events)  # one line, one frame: the signals a backtest of it raises
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()
    for answering in (*marks.values(), *trades.values()):
        answering.finish()
    for key, ep in enumerate(episodes):
        m, t = marks.get(ep.market), trades.get(ep.market)
        series = (
            m if m is not None and m.last_ts is not None else (t if t is not None and t.last_ts is not None else None)
        )
        p0 = series.answers.get((key, "")) if series else None
        for name, _ in HORIZONS:
            p1 = series.answers.get((key, name)) if series and p0 is not None else None
            ep.returns[name] = None if p1 is None or p0 is None else (p1 / p0 - 1) * 1e4 * ep.direction
    return episodes


def study_table(episodes: list[Episode], playbooks: tuple[str, ...] = PLAYBOOK_NAMES) -> list[dict]:
    """One row per playbook × tier × horizon with n, clusters, mean, median, continued/reverted
    shares and a 95 % CI (null below two episodes or two clusters). Episodes close in time on any
    market are one cluster (CLUSTER_RULE): a BTC shock that hits twenty markets is one
    observation of what shocks do, not twenty, and the interval says so."""
    rows = []
    for pb in playbooks:
        for tier in (*TIERS, "all"):
            eps = [e for e in episodes if e.playbook == pb and (tier == "all" or e.tier == tier)]
            for name, _ in HORIZONS:
                pairs = sorted((v, e.ts) for e in eps if (v := e.returns.get(name)) is not None)
                vals = [v for v, _ in pairs]
                n = len(vals)
                if n == 0:
                    rows.append({"playbook": pb, "tier": tier, "horizon": name, "n": 0, "clusters": 0, "ci95": None})
                    continue
                cids = cluster_ids([t for _, t in pairs])
                ci = mean_interval(vals, cids)
                median = vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2
                rows.append(
                    {
                        "playbook": pb,
                        "tier": tier,
                        "horizon": name,
                        "n": n,
                        "clusters": len(set(cids)),
                        "mean_bps": round(sum(vals) / n, 2),
                        "median_bps": round(median, 2),
                        "continued": round(sum(1 for v in vals if v > 0) / n, 4),
                        "reverted": round(sum(1 for v in vals if v < 0) / n, 4),
                        "ci95": None if ci is None else [round(ci[0], 2), round(ci[1], 2)],
                    }
                )
    return rows


def format_study(rows: list[dict], episodes: list[Episode], playbooks: tuple[str, ...] = PLAYBOOK_NAMES) -> str:
    out = [
        f"{len(episodes)} episodes ({sum(e.playbook == 'ride' for e in episodes)} ride, "
        f"{sum(e.playbook == 'fade' for e in episodes)} fade); forward mark returns in bps, signed so that "
        "+ = the cascade continued, − = it reverted",
        f"clusters: {CLUSTER_RULE}; intervals are the wider of independent and cluster-robust (G − 1 df)",
    ]
    for pb in playbooks:
        prow = [r for r in rows if r["playbook"] == pb]
        if not any(r["n"] for r in prow):
            out += ["", f"{pb}: 0 episodes — nothing to measure"]
            continue
        out += [
            "",
            f"{pb}: from the signal time",
            f"{'tier':<6}{'horizon':>8}{'n':>5}{'clus':>5}{'mean':>8}{'median':>8}{'cont.':>7}{'rev.':>6}{'95 % CI':>18}  reading",
        ]
        for r in prow:
            if not r["n"]:
                continue
            ci = r["ci95"]
            if ci is None:
                reading = "one episode: no interval" if r["n"] < 2 else "one cluster: no interval"
            else:
                lo, hi = ci
                reading = "not distinguishable from zero" if lo <= 0 <= hi else ("continues" if lo > 0 else "reverts")
                if not lo <= 0 <= hi and r["clusters"] < 30:
                    reading += f" (only {r['clusters']} independent cluster{'s' if r['clusters'] != 1 else ''})"
            ci_txt = fmt_ci(None if ci is None else (ci[0], ci[1]), "+.1f", " to ")
            out.append(
                f"{r['tier']:<6}{r['horizon']:>8}{r['n']:>5}{r['clusters']:>5}{r['mean_bps']:>+8.1f}{r['median_bps']:>+8.1f}"
                f"{r['continued']:>7.0%}{r['reverted']:>6.0%}{ci_txt:>20}  {reading}"
            )
    return "\n".join(out)
