"""The console's read-outs from the journal: today's figures for the risk pane and the
per-tier table for the stats screen. Each is one short query; call them from a worker
thread on a timer, not per frame."""

from __future__ import annotations

from core.journal.journal import Journal
from core.journal.recovery import day_start
from core.trade_stats import by_tier, summarize


def today_figures(journal: Journal, now: float, source: str | None = None) -> dict:
    """Closed trades of the current UTC day: count, wins, win rate (None without trades), net
    P&L, fees, avg R. `source` defaults to the journal's session label (a live pane ignores demo trades)."""
    src = source if source is not None else (journal.source or None)
    s = summarize(journal.trades(since_ts=day_start(now), source=src))
    return {
        "trades": s.trades,
        "wins": s.wins,
        "win_rate": s.win_rate if s.trades else None,
        "pnl": s.pnl,
        "fees": s.fees,
        "avg_r": s.avg_r if s.trades else None,
    }


def tier_table(journal: Journal, since_ts: float | None = None, source: str | None = None) -> list[dict]:
    """One row per score tier (every tier, with n beside each win rate) for the stats screen."""
    return [
        {"tier": tier, **s.as_dict()} for tier, s in by_tier(journal.trades(since_ts=since_ts, source=source)).items()
    ]
