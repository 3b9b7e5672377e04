"""The journal's report: totals, per score tier, per exit reason, as data and as text tables.

The statistics themselves are core.trade_stats (shared with the backtest report), so a
live journal, a backtest journal and an in-memory backtest all give the same numbers for
the same trades. Inputs are ClosedTrade objects or journal rows (dicts)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.positions import EXIT_REASONS
from core.trade_stats import (
    CLUSTER_RULE,
    TradeSummary,
    by_key,
    by_tier,
    fmt_ci,
    sample_label,
    summarize,
    wilson_interval,
)

__all__ = ["by_reason", "by_tier", "format_report", "report", "summarize", "wilson_interval"]


def by_reason(trades: Iterable[Any]) -> dict[str, TradeSummary]:
    """Exit reasons that occurred, in EXIT_REASONS order, then any others alphabetically."""
    groups = by_key(trades, "reason")
    order = [r for r in EXIT_REASONS if r in groups] + sorted(r for r in groups if r not in EXIT_REASONS)
    return {r: groups[r] for r in order}


def report(trades: Iterable[Any]) -> dict:
    """The whole report as plain data (what `liqhunt journal --json` prints)."""
    ts = list(trades)
    return {
        "cluster_rule": CLUSTER_RULE,
        "totals": summarize(ts).as_dict(),
        "by_tier": [{"tier": k, **s.as_dict()} for k, s in by_tier(ts).items()],
        "by_reason": [{"reason": k, **s.as_dict()} for k, s in by_reason(ts).items()],
    }


def format_table(title: str, groups: dict[str, TradeSummary]) -> str:
    head = (
        f"{title:<12} {'n':>5} {'clus':>5} {'win %':>6} {'95 % CI':>9} {'avg R':>7} {'mean bps':>9} {'P&L':>11} "
        f"{'fees':>9} {'funding':>9}"
    )
    lines = [head, "-" * len(head)]
    for label, s in groups.items():
        if not s.trades:
            lines.append(f"{label:<12} {0:>5} {'—':>5} {'—':>6} {'—':>9} {'—':>7} {'—':>9} {'—':>11} {'—':>9} {'—':>9}")
            continue
        ci = fmt_ci(None if s.win_rate_ci is None else (s.win_rate_ci[0] * 100, s.win_rate_ci[1] * 100), ".0f")
        lines.append(
            f"{label:<12} {s.trades:>5} {s.clusters:>5} {s.win_rate * 100:>6.0f} {ci:>9} "
            f"{s.avg_r:>+7.2f} {s.mean_bps:>+9.1f} {s.pnl:>+11,.2f} {s.fees:>9,.2f} {s.funding:>+9,.2f}"
        )
    return "\n".join(lines)


def format_report(trades: Iterable[Any]) -> str:
    ts = list(trades)
    t = summarize(ts)
    if not t.trades:
        head = "no trades"
    else:
        head = (
            f"trades {t.trades}   win rate {t.win_rate:.0%} (95 % CI {fmt_ci(t.win_rate_ci)}, {sample_label(t)})   "
            f"avg R {t.avg_r:+.2f}   P&L {t.pnl:+,.2f} (fees {t.fees:,.2f}, funding {t.funding:+,.2f})"
        )
    foot = f"clusters: {CLUSTER_RULE}; intervals account for them"
    return "\n\n".join(
        [head, format_table("score tier", by_tier(ts)), format_table("exit reason", by_reason(ts)), foot]
    )
