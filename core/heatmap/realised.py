"""Liquidations that really happened, by price, for the heatmap's overlay.

Bounded twice: by age (`keep_s`) and by count per market, so a cascade of thousands of
forced orders cannot grow it without limit.
"""
from __future__ import annotations

from collections import deque

MAX_PER_MARKET = 5000


class RealisedLiquidations:
    __slots__ = ("keep_s", "_rows")

    def __init__(self, keep_s: float) -> None:
        self.keep_s = keep_s
        self._rows: deque[tuple[float, float, float, bool]] = deque(maxlen=MAX_PER_MARKET)  # ts, price, usd, is_long

    def add(self, ts: float, price: float, usd: float, is_long: bool) -> None:
        self._rows.append((ts, price, usd, is_long))

    def bins(self, price: float, pct: float, buckets: int, now: float) -> tuple[list[float], list[float], list[float]]:
        """Same bins as `fuel.display_bins`: (bin centre prices, long USD, short USD) within `keep_s` of now."""
        rows = self._rows
        while rows and rows[0][0] < now - self.keep_s:
            rows.popleft()
        lo = price * (1.0 - pct / 100.0)
        width = (2.0 * price * pct / 100.0) / buckets
        prices = [lo + width * (b + 0.5) for b in range(buckets)]
        longs = [0.0] * buckets
        shorts = [0.0] * buckets
        for _, p, usd, is_long in rows:
            b = int((p - lo) // width)
            if 0 <= b < buckets:
                (longs if is_long else shorts)[b] += usd
        return prices, longs, shorts
