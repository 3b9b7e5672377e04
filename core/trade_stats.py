"""Honest trade statistics: every win rate comes with its sample size and a 95 % interval.

Pure functions over closed trades (objects or dicts with pnl, r_multiple, tier, reason,
return_bps, fees...). Shared by the backtest report and the journal's reports.

What the intervals do not overstate:
- no interval below two observations: `None` (shown as "—", JSON null);
- Student t quantiles computed exactly (inverse of the regularised incomplete beta), not a
  rounded table;
- events that overlap in time are not independent: one BTC shock hits many markets at once.
  Trades (or study episodes) are grouped into clusters by CLUSTER_RULE and the mean's
  interval is the wider of the independent and the cluster-robust one (CR1 variance,
  G − 1 degrees of freedom); a win rate's Wilson interval uses the Kish effective sample
  size n / design effect. The cluster count is shown beside n.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.positions import TIERS

CLUSTER_GAP_S = 300.0
CLUSTER_RULE = (
    "events less than 5 min apart, on any market, belong to one cluster "
    "(chained: a cluster ends at the first 5-min gap)"
)


def _get(t: Any, name: str, default: Any = 0.0) -> Any:
    return t.get(name, default) if isinstance(t, dict) else getattr(t, name, default)


# -- Student t, exactly --------------------------------------------------------------------------
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta (modified Lentz, as in Numerical Recipes §6.4)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(ln_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(ln_front) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with `df` degrees of freedom."""
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """Inverse of `t_cdf`: bisection on the exact CDF to 1e-12 (60 halvings of a bracket)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError("t_quantile needs 0 < p < 1 and df > 0")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2.0
        if hi > 1e12:
            return math.inf
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


@lru_cache(maxsize=1024)
def t95(df: float) -> float:
    """Two-sided 95 % critical value of Student's t."""
    if df <= 0:
        return float("inf")
    return t_quantile(0.975, df)


# -- clusters ------------------------------------------------------------------------------------
def cluster_ids(times: Sequence[float | None], gap_s: float = CLUSTER_GAP_S) -> list[int]:
    """Cluster id per event (same order as `times`) under CLUSTER_RULE. An event without a
    time is its own cluster."""
    order = sorted((i for i, t in enumerate(times) if t is not None), key=lambda i: times[i])  # type: ignore[arg-type,return-value]
    ids = [-1] * len(times)
    cid = -1
    last = -math.inf
    for i in order:
        ti = float(times[i])  # type: ignore[arg-type]
        if ti - last >= gap_s:
            cid += 1
        ids[i] = cid
        last = ti
    for i, t in enumerate(times):
        if t is None:
            cid += 1
            ids[i] = cid
    return ids


def _cluster_mean_var(values: Sequence[float], clusters: Sequence[int]) -> tuple[float, int]:
    """(CR1 variance of the mean, number of clusters)."""
    n = len(values)
    mean = sum(values) / n
    sums: dict[int, float] = {}
    for v, c in zip(values, clusters, strict=True):
        sums[c] = sums.get(c, 0.0) + (v - mean)
    g = len(sums)
    if g < 2:
        return math.inf, g
    return g / (g - 1) * sum(s * s for s in sums.values()) / (n * n), g


def mean_interval(values: Sequence[float], clusters: Sequence[int] | None = None) -> tuple[float, float] | None:
    """95 % interval of the mean (Student t); None below two values. With `clusters`, the wider
    of the independent interval and the cluster-robust one (None below two clusters)."""
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = t95(n - 1) * math.sqrt(var / n)
    if clusters is not None:
        cvar, g = _cluster_mean_var(values, clusters)
        if g < 2:
            return None
        if g < n:
            half = max(half, t95(g - 1) * math.sqrt(cvar))
    return (mean - half, mean + half)


def design_effect(values: Sequence[float], clusters: Sequence[int]) -> float:
    """Variance of the mean under clustering ÷ under independence, never below 1 (we don't let
    clustering make an interval narrower)."""
    n = len(values)
    if n < 2:
        return 1.0
    mean = sum(values) / n
    iid = sum((v - mean) ** 2 for v in values) / (n - 1) / n
    cvar, g = _cluster_mean_var(values, clusters)
    if iid <= 0 or g >= n:
        return 1.0
    return max(1.0, cvar / iid) if math.isfinite(cvar) else float(n)


def wilson_interval(wins: float, n: float, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval for a proportion; None when n == 0. `n` may be an effective
    (clustered) sample size, so both may be fractional."""
    if n <= 0:
        return None
    p = wins / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def holm_adjust(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm–Bonferroni step-down adjusted p-values (None stays None and is not counted)."""
    idx = sorted((i for i, p in enumerate(pvalues) if p is not None), key=lambda i: pvalues[i])  # type: ignore[arg-type,return-value]
    m = len(idx)
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(idx):
        adj = min(1.0, (m - rank) * float(pvalues[i]))  # type: ignore[arg-type]
        running = max(running, adj)
        out[i] = running
    return out


def mean_p_value(values: Sequence[float], clusters: Sequence[int] | None = None) -> float | None:
    """Two-sided p-value of 'mean = 0' with the same variance `mean_interval` uses."""
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) / n
    df: float = n - 1
    if clusters is not None:
        cvar, g = _cluster_mean_var(values, clusters)
        if g < 2:
            return None
        if g < n and cvar > var:
            var, df = cvar, g - 1
    if var <= 0:
        return 0.0 if mean != 0 else 1.0
    t = abs(mean) / math.sqrt(var)
    return 2.0 * (1.0 - t_cdf(t, df))


def fmt_ci(ci: tuple[float, float] | None, spec: str = ".0%", sep: str = "–") -> str:
    """An interval as text, or '—' when there is none."""
    if ci is None:
        return "—"
    return f"{format(ci[0], spec)}{sep}{format(ci[1], spec)}"


def _round_ci(ci: tuple[float, float] | None, nd: int) -> list[float] | None:
    return None if ci is None else [round(ci[0], nd), round(ci[1], nd)]


@dataclass(frozen=True)
class TradeSummary:
    trades: int
    wins: int
    win_rate: float
    win_rate_ci: tuple[float, float] | None  # None below two trades
    avg_r: float
    pnl: float
    fees: float
    avg_pnl: float
    mean_bps: float
    median_bps: float
    profit_factor: float | None  # None when there are no losses
    mean_bps_ci: tuple[float, float] | None = None  # 95 % interval of the mean; None below two trades
    cost_bps: float = 0.0  # mean round-trip cost already inside the returns: fees + slippage + latency drift
    mae_bps: float = 0.0  # mean adverse excursion (≤ 0)
    mfe_bps: float = 0.0  # mean favourable excursion (≥ 0)
    clusters: int = 0  # independent groups of trades under CLUSTER_RULE
    fees_bps: float = 0.0  # mean fees, bps of notional
    slippage_bps: float = 0.0  # mean modelled slippage (size, pressure), bps
    drift_bps: float = 0.0  # mean price drift between the signal and the fills (latency), bps
    funding: float = 0.0  # funding paid (+) or received (−), USD, already inside pnl
    funding_bps: float = 0.0  # mean funding, bps of notional

    def as_dict(self) -> dict:
        return {
            "trades": self.trades,
            "clusters": self.clusters,
            "wins": self.wins,
            "win_rate": round(self.win_rate, 4),
            "win_rate_ci95": _round_ci(self.win_rate_ci, 4),
            "avg_r": round(self.avg_r, 4),
            "pnl": round(self.pnl, 2),
            "fees": round(self.fees, 2),
            "funding": round(self.funding, 2),
            "avg_pnl": round(self.avg_pnl, 2),
            "mean_bps": round(self.mean_bps, 2),
            "median_bps": round(self.median_bps, 2),
            "profit_factor": None if self.profit_factor is None else round(self.profit_factor, 3),
            "mean_bps_ci95": _round_ci(self.mean_bps_ci, 2),
            "cost_bps": round(self.cost_bps, 2),
            "fees_bps": round(self.fees_bps, 2),
            "slippage_bps": round(self.slippage_bps, 2),
            "drift_bps": round(self.drift_bps, 2),
            "funding_bps": round(self.funding_bps, 2),
            "mae_bps": round(self.mae_bps, 2),
            "mfe_bps": round(self.mfe_bps, 2),
        }


def _event_time(t: Any) -> float | None:
    for name in ("entry_ts", "ts"):
        v = _get(t, name, None)
        if v is not None:
            return float(v)
    return None


def summarize(trades: Iterable[Any], cluster_gap_s: float = CLUSTER_GAP_S) -> TradeSummary:
    ts = list(trades)
    n = len(ts)
    pnls = [float(_get(t, "pnl")) for t in ts]
    wins = sum(1 for p in pnls if p > 0)
    bps = [float(_get(t, "return_bps")) for t in ts]
    sbps = sorted(bps)
    gains = sum(p for p in pnls if p > 0)
    losses = -sum(p for p in pnls if p < 0)
    median = 0.0
    if n:
        median = sbps[n // 2] if n % 2 else (sbps[n // 2 - 1] + sbps[n // 2]) / 2
    cids = cluster_ids([_event_time(t) for t in ts], cluster_gap_s)
    g = len(set(cids))
    mean_ci = mean_interval(bps, cids)
    win_ci = None
    if n >= 2 and g >= 2:
        deff = design_effect([1.0 if p > 0 else 0.0 for p in pnls], cids)
        win_ci = wilson_interval(wins / deff, n / deff)

    def mean_of(name: str) -> float:
        return sum(float(_get(t, name, 0.0) or 0.0) for t in ts) / n if n else 0.0

    fees_bps = []
    funding_bps = []
    for t in ts:
        notional = float(_get(t, "qty", 0.0) or 0.0) * float(_get(t, "entry_price", 0.0) or 0.0)
        fb = _get(t, "fees_bps", None)
        fees_bps.append(float(fb) if fb is not None else (float(_get(t, "fees")) / notional * 1e4 if notional else 0.0))
        funding_bps.append(float(_get(t, "funding", 0.0) or 0.0) / notional * 1e4 if notional else 0.0)
    return TradeSummary(
        trades=n,
        wins=wins,
        win_rate=wins / n if n else 0.0,
        win_rate_ci=win_ci,
        avg_r=mean_of("r_multiple"),
        pnl=sum(pnls),
        fees=sum(float(_get(t, "fees")) for t in ts),
        avg_pnl=sum(pnls) / n if n else 0.0,
        mean_bps=sum(bps) / n if n else 0.0,
        median_bps=median,
        profit_factor=(gains / losses) if losses > 0 else None,
        mean_bps_ci=mean_ci,
        cost_bps=mean_of("cost_bps"),
        mae_bps=mean_of("mae_pct") * 100,
        mfe_bps=mean_of("mfe_pct") * 100,
        clusters=g,
        fees_bps=sum(fees_bps) / n if n else 0.0,
        slippage_bps=mean_of("slippage_bps"),
        drift_bps=mean_of("drift_bps"),
        funding=sum(float(_get(t, "funding", 0.0) or 0.0) for t in ts),
        funding_bps=sum(funding_bps) / n if n else 0.0,
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


def sample_label(s: TradeSummary) -> str:
    """'n = 67 in 26 clusters' — the sample size the interval really rests on."""
    if s.clusters and s.clusters < s.trades:
        return f"n = {s.trades} in {s.clusters} clusters"
    return f"n = {s.trades}"


def interval_sentence(s: TradeSummary) -> str:
    """A plain sentence on whether the mean net return is distinguishable from zero. Returns
    are net of every cost already: zero, not the cost, is the line to clear."""
    if s.trades == 0:
        return "no trades"
    if s.mean_bps_ci is None:
        why = "one trade" if s.trades == 1 else "one cluster"
        return f"mean net return {s.mean_bps:+.1f} bps, no interval ({why}): not distinguishable from zero at {sample_label(s)}"
    lo, hi = s.mean_bps_ci
    if lo <= 0.0 <= hi:
        return f"mean net return {s.mean_bps:+.1f} bps (95 % CI {lo:+.1f} to {hi:+.1f}): not distinguishable from zero at {sample_label(s)}"
    word = "positive" if lo > 0 else "negative"
    caution = " (small sample)" if s.clusters < 30 else ""
    return (
        f"mean net return {s.mean_bps:+.1f} bps (95 % CI {lo:+.1f} to {hi:+.1f}): {word} at {sample_label(s)}{caution}"
    )
