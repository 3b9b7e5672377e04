"""Trade statistics: totals, per score tier, per exit reason. Pure functions over a list of
trades — ClosedTrade objects or journal rows (dicts) — so live sessions and backtests share
them. A win is a trade with net P&L > 0. Every win rate comes with its n and a Wilson 95 %
interval, because 3 wins out of 4 says very little."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from core.positions import EXIT_REASONS, TIERS, score_tier


def wilson_interval(wins: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 1) when there is no data."""
    if n <= 0:
        return 0.0, 1.0
    p = wins / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _get(t: Any, name: str, default: Any = None) -> Any:
    if isinstance(t, dict):
        return t.get(name, default)
    return getattr(t, name, default)


def trade_tier(t: Any) -> str:
    return _get(t, "tier") or score_tier(_get(t, "score", 0.0) or 0.0)


def trade_hold_s(t: Any) -> float:
    h = _get(t, "hold_s")
    return h if h is not None else (_get(t, "exit_ts", 0.0) or 0.0) - (_get(t, "entry_ts", 0.0) or 0.0)


@dataclass(frozen=True)
class Stats:
    trades: int
    wins: int
    win_rate: float | None  # None when there are no trades
    win_low: float
    win_high: float
    avg_r: float | None
    pnl: float  # net of fees
    fees: float
    avg_pnl: float | None
    avg_hold_s: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def summarize(trades: Iterable[Any]) -> Stats:
    ts = list(trades)
    n = len(ts)
    wins = sum(1 for t in ts if (_get(t, "pnl", 0.0) or 0.0) > 0)
    pnl = sum(_get(t, "pnl", 0.0) or 0.0 for t in ts)
    lo, hi = wilson_interval(wins, n)
    return Stats(
        trades=n, wins=wins, win_rate=wins / n if n else None, win_low=lo, win_high=hi,
        avg_r=sum(_get(t, "r_multiple", 0.0) or 0.0 for t in ts) / n if n else None,
        pnl=pnl, fees=sum(_get(t, "fees", 0.0) or 0.0 for t in ts), avg_pnl=pnl / n if n else None,
        avg_hold_s=sum(trade_hold_s(t) for t in ts) / n if n else None,
    )


def by_tier(trades: Iterable[Any]) -> list[tuple[str, Stats]]:
    """Every tier in TIERS order, empty ones included, so the table never hides a tier."""
    groups: dict[str, list] = {tier: [] for tier in TIERS}
    for t in trades:
        groups.setdefault(trade_tier(t), []).append(t)
    return [(tier, summarize(ts)) for tier, ts in groups.items()]


def by_reason(trades: Iterable[Any]) -> list[tuple[str, Stats]]:
    """Exit reasons that occurred, in EXIT_REASONS order, then any others alphabetically."""
    groups: dict[str, list] = {}
    for t in trades:
        groups.setdefault(_get(t, "reason", "") or "?", []).append(t)
    order = [r for r in EXIT_REASONS if r in groups] + sorted(r for r in groups if r not in EXIT_REASONS)
    return [(r, summarize(groups[r])) for r in order]


def report(trades: Iterable[Any]) -> dict:
    """The whole report as plain data (what `liqhunt journal --json` prints)."""
    ts = list(trades)
    return {
        "totals": summarize(ts).as_dict(),
        "by_tier": [{"tier": k, **s.as_dict()} for k, s in by_tier(ts)],
        "by_reason": [{"reason": k, **s.as_dict()} for k, s in by_reason(ts)],
    }


# -- text ---------------------------------------------------------------------------------------
def _pct(x: float | None) -> str:
    return "   –" if x is None else f"{x * 100:4.0f}"


def _num(x: float | None, fmt: str) -> str:
    return "–" if x is None else format(x, fmt)


def format_table(title: str, rows: list[tuple[str, Stats]]) -> str:
    head = f"{title:<12} {'n':>5} {'win %':>6} {'95 % CI':>11} {'avg R':>7} {'P&L':>11} {'fees':>9} {'avg hold':>9}"
    lines = [head, "-" * len(head)]
    for label, s in rows:
        ci = "–" if not s.trades else f"{s.win_low * 100:.0f}–{s.win_high * 100:.0f}"
        hold = "–" if s.avg_hold_s is None else f"{s.avg_hold_s:.0f} s"
        lines.append(f"{label:<12} {s.trades:>5} {_pct(s.win_rate):>6} {ci:>11} {_num(s.avg_r, '+.2f'):>7} "
                     f"{s.pnl:>+11,.2f} {s.fees:>9,.2f} {hold:>9}")
    return "\n".join(lines)


def format_report(trades: Iterable[Any]) -> str:
    ts = list(trades)
    t = summarize(ts)
    ci = "" if not t.trades else f" (95 % CI {t.win_low * 100:.0f}–{t.win_high * 100:.0f} %)"
    head = (f"trades {t.trades}   win rate {_pct(t.win_rate).strip()} %{ci}   avg R {_num(t.avg_r, '+.2f')}   "
            f"P&L {t.pnl:+,.2f} (fees {t.fees:,.2f})")
    return "\n\n".join([head, format_table("score tier", by_tier(ts)), format_table("exit reason", by_reason(ts))])
