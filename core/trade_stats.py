"""Honest trade statistics: every win rate comes with its sample size and a 95 % interval.

Pure functions over closed trades (objects or dicts with pnl, r_multiple, tier, reason,
return_bps, fees...). Shared by the backtest report and the journal's reports.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

from core.positions import TIERS


def _get(t: Any, name: str, default: Any = 0.0) -> Any:
    return t.get(name, default) if isinstance(t, dict) else getattr(t, name, default)


# two-sided 95 % Student t critical values: small samples get honest, wide intervals
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
        20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}


def t95(df: int) -> float:
    if df <= 0:
        return float("inf")
    for k in sorted(_T95):
        if df <= k:
            return _T95[k]
    return 1.96


def mean_interval(values: list[float]) -> tuple[float, float]:
    """95 % interval of the mean (Student t); a single value gives a degenerate interval."""
    n = len(values)
    if n == 0:
        return (0.0, 0.0)
    mean = sum(values) / n
    if n == 1:
        return (mean, mean)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = t95(n - 1) * sd / math.sqrt(n)
    return (mean - half, mean + half)


def wilson_interval(wins: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 0) when n == 0."""
    if n <= 0:
        return (0.0, 0.0)
    p = wins / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class TradeSummary:
    trades: int
    wins: int
    win_rate: float
    win_rate_ci: tuple[float, float]
    avg_r: float
    pnl: float
    fees: float
    avg_pnl: float
    mean_bps: float
    median_bps: float
    profit_factor: float | None  # None when there are no losses
    mean_bps_ci: tuple[float, float] = (0.0, 0.0)  # 95 % interval of the mean (Student t)
    cost_bps: float = 0.0  # mean round-trip cost: fees + slippage, the hurdle a trade must clear
    mae_bps: float = 0.0  # mean adverse excursion (≤ 0)
    mfe_bps: float = 0.0  # mean favourable excursion (≥ 0)

    def as_dict(self) -> dict:
        return {
            "trades": self.trades, "wins": self.wins, "win_rate": round(self.win_rate, 4),
            "win_rate_ci95": [round(self.win_rate_ci[0], 4), round(self.win_rate_ci[1], 4)],
            "avg_r": round(self.avg_r, 4), "pnl": round(self.pnl, 2), "fees": round(self.fees, 2),
            "avg_pnl": round(self.avg_pnl, 2), "mean_bps": round(self.mean_bps, 2), "median_bps": round(self.median_bps, 2),
            "profit_factor": None if self.profit_factor is None else round(self.profit_factor, 3),
            "mean_bps_ci95": [round(self.mean_bps_ci[0], 2), round(self.mean_bps_ci[1], 2)],
            "cost_bps": round(self.cost_bps, 2), "mae_bps": round(self.mae_bps, 2), "mfe_bps": round(self.mfe_bps, 2),
        }


def summarize(trades: Iterable[Any]) -> TradeSummary:
    ts = list(trades)
    n = len(ts)
    pnls = [float(_get(t, "pnl")) for t in ts]
    wins = sum(1 for p in pnls if p > 0)
    bps = sorted(float(_get(t, "return_bps")) for t in ts)
    gains = sum(p for p in pnls if p > 0)
    losses = -sum(p for p in pnls if p < 0)
    median = 0.0
    if n:
        median = bps[n // 2] if n % 2 else (bps[n // 2 - 1] + bps[n // 2]) / 2
    mean_ci = mean_interval(bps)
    costs = [float(_get(t, "cost_bps", 0.0)) for t in ts]
    return TradeSummary(
        trades=n, wins=wins, win_rate=wins / n if n else 0.0, win_rate_ci=wilson_interval(wins, n),
        avg_r=sum(float(_get(t, "r_multiple")) for t in ts) / n if n else 0.0, pnl=sum(pnls),
        fees=sum(float(_get(t, "fees")) for t in ts), avg_pnl=sum(pnls) / n if n else 0.0,
        mean_bps=sum(bps) / n if n else 0.0, median_bps=median,
        profit_factor=(gains / losses) if losses > 0 else None, mean_bps_ci=mean_ci,
        cost_bps=sum(costs) / n if n else 0.0,
        mae_bps=sum(float(_get(t, "mae_pct")) for t in ts) * 100 / n if n else 0.0,
        mfe_bps=sum(float(_get(t, "mfe_pct")) for t in ts) * 100 / n if n else 0.0,
    )


def by_key(trades: Iterable[Any], key: str, order: Iterable[str] = ()) -> dict[str, TradeSummary]:
    groups: dict[str, list] = {k: [] for k in order}
    for t in trades:
        groups.setdefault(str(_get(t, key, "")), []).append(t)
    return {k: summarize(v) for k, v in groups.items()}


def by_tier(trades: Iterable[Any]) -> dict[str, TradeSummary]:
    return by_key(trades, "tier", TIERS)


def max_drawdown(pnls_in_time_order: Iterable[float]) -> float:
    """Largest fall of cumulative P&L from a previous high (a positive number)."""
    peak = cum = dd = 0.0
    for p in pnls_in_time_order:
        cum += p
        peak = max(peak, cum)
        dd = max(dd, peak - cum)
    return dd


def interval_sentence(s: TradeSummary) -> str:
    """A plain sentence on whether the mean net return is distinguishable from zero."""
    if s.trades == 0:
        return "no trades"
    lo, hi = s.mean_bps_ci
    if s.trades < 2 or lo <= 0.0 <= hi:
        return f"mean net return {s.mean_bps:+.1f} bps (95 % CI {lo:+.1f} to {hi:+.1f}): not distinguishable from zero at n = {s.trades}"
    word = "positive" if lo > 0 else "negative"
    caution = " (small sample)" if s.trades < 30 else ""
    return f"mean net return {s.mean_bps:+.1f} bps (95 % CI {lo:+.1f} to {hi:+.1f}): {word} at n = {s.trades}{caution}"
