"""The stats view (key `s`): win rate and P&L per playbook and score tier, with sample sizes.

This session's figures come from the snapshot's closed trades; the journal's history (every
session of this source) is read by the app in a worker thread so SQLite never blocks the screen.
"""

from __future__ import annotations

from core.playbook_names import PLAYBOOK_NAMES
from core.positions import TIERS
from core.trade_stats import by_tier, fmt_ci, interval_sentence, summarize


def tier_lines(trades: list, title: str) -> list[str]:
    lines = [title]
    if not trades:
        return lines + ["  no closed trades yet"]
    for pb in PLAYBOOK_NAMES:
        pts = [t for t in trades if _get(t, "playbook") == pb]
        if not pts:
            continue
        total = summarize(pts)
        lines.append(f"  {pb}: {total.trades} trades, P&L {total.pnl:+,.2f}, {interval_sentence(total)}")
        lines.append(f"  {'tier':<6}{'n':>4}{'win':>6}{'95 % CI':>10}{'mean bps':>10}{'cost':>6}{'P&L':>11}")
        tiers = by_tier(pts)
        for tier in TIERS:
            s = tiers[tier]
            if not s.trades:
                lines.append(f"  {tier:<6}{0:>4}{'—':>6}{'—':>10}{'—':>10}{'—':>6}{'—':>11}")
                continue
            ci = fmt_ci(s.win_rate_ci)
            lines.append(
                f"  {tier:<6}{s.trades:>4}{s.win_rate:>6.0%}{ci:>10}{s.mean_bps:>+10.1f}{s.cost_bps:>6.0f}{s.pnl:>+11.2f}"
            )
    return lines


def _get(t, name):
    return t.get(name) if isinstance(t, dict) else getattr(t, name, None)
