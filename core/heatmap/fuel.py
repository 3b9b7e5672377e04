"""Questions asked of one market's levels: fuel ahead, the nearest cluster, display bins.

All scans walk bucket indices from the price outwards, so their cost is the distance asked
about in buckets (2 % at 0.1 % buckets = 20 lookups), never the size of the map.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.heatmap.buckets import LogGrid, MarketLevels


@dataclass(frozen=True, slots=True)
class Cluster:
    price: float  # mass-weighted centre of the cluster
    usd: float
    distance_pct: float  # from the reference price, always ≥ 0


def fuel_between(levels: MarketLevels, grid: LogGrid, is_long: bool, price: float, pct: float, ts: float) -> float:
    """USD of `is_long` levels between `price` and `pct` % away on their own side
    (below for longs, above for shorts), whole buckets included."""
    here = grid.index(price)
    n = _reach(grid, price, pct, upward=not is_long)
    book = levels.long if is_long else levels.short
    step = -1 if is_long else 1
    raw = 0.0
    for k in range(0, n + 1):
        v = book.get(here + step * k)
        if v:
            raw += v
    return raw * levels.scale_at(ts)


def _reach(grid: LogGrid, price: float, pct: float, upward: bool) -> int:
    """Buckets from price's bucket to the one holding price × (1 ± pct %)."""
    far = price * (1.0 + pct / 100.0) if upward else price * max(1e-9, 1.0 - pct / 100.0)
    return abs(grid.index(far) - grid.index(price))


def nearest_cluster(
    levels: MarketLevels,
    grid: LogGrid,
    is_long: bool,
    price: float,
    max_pct: float,
    width_pct: float,
    min_usd: float,
    ts: float,
    upward: bool | None = None,
) -> Cluster | None:
    """The nearest run of `width_pct` holding at least `min_usd` of `is_long` levels within
    `max_pct` of `price`. `upward` defaults to the levels' own side (longs below, shorts above)."""
    if upward is None:
        upward = not is_long
    book = levels.long if is_long else levels.short
    s = levels.scale_at(ts)
    if s <= 0.0 or not book:
        return None
    return _scan(lambda j: book.get(j, 0.0) * s, grid, price, max_pct, width_pct, min_usd, upward)


def nearest_depth_cluster(
    depth: list[tuple[float, float]],
    grid: LogGrid,
    price: float,
    max_pct: float,
    width_pct: float,
    min_usd: float,
    upward: bool,
) -> Cluster | None:
    """The same scan over resting order-book liquidity given as (price, usd) rows."""
    binned: dict[int, float] = {}
    for p, usd in depth:
        if p > 0 and usd > 0:
            j = grid.index(p)
            binned[j] = binned.get(j, 0.0) + usd
    if not binned:
        return None
    return _scan(lambda j: binned.get(j, 0.0), grid, price, max_pct, width_pct, min_usd, upward)


def _scan(
    mass_at, grid: LogGrid, price: float, max_pct: float, width_pct: float, min_usd: float, upward: bool
) -> Cluster | None:
    here = grid.index(price)
    n = _reach(grid, price, max_pct, upward)
    width = grid.span(width_pct)
    step = 1 if upward else -1
    window: list[tuple[int, float]] = []
    total = 0.0
    for k in range(0, n + 1):
        j = here + step * k
        v = mass_at(j)
        window.append((j, v))
        total += v
        if len(window) > width:
            total -= window.pop(0)[1]
        if total >= min_usd and total > 0.0:
            centre = sum(grid.centre(jj) * vv for jj, vv in window) / total
            return Cluster(centre, total, abs(centre / price - 1.0) * 100.0)
    return None


def display_bins(
    levels: MarketLevels,
    grid: LogGrid,
    price: float,
    pct: float,
    buckets: int,
    ts: float,
) -> tuple[list[float], list[float], list[float]]:
    """`buckets` equal price bins over price ± pct %: (bin centre prices, long USD, short USD)."""
    lo = price * (1.0 - pct / 100.0)
    width = (2.0 * price * pct / 100.0) / buckets
    prices = [lo + width * (b + 0.5) for b in range(buckets)]
    longs = [0.0] * buckets
    shorts = [0.0] * buckets
    s = levels.scale_at(ts)
    for j in range(grid.index(lo), grid.index(lo + width * buckets) + 1):
        lv = levels.long.get(j)
        sv = levels.short.get(j)
        if not lv and not sv:
            continue
        b = int((grid.centre(j) - lo) / width)
        if 0 <= b < buckets:
            if lv:
                longs[b] += lv * s
            if sv:
                shorts[b] += sv * s
    return prices, longs, shorts
