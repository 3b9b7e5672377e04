"""Liquidations that really happened, by price, for the heatmap's overlay.

Bounded twice: by age (`keep_s`) and by count per market, so a cascade of thousands of
forced orders cannot grow it without limit.

The rows are kept in a ring of three float arrays (time, price, USD signed by side: + a long,
− a short), not as Python tuples: a tuple row of four objects costs ~160 bytes, a ring row 24,
and with hundreds of busy markets holding their 5,000 rows the tuples came to hundreds of MB.
`bins` reads the rows oldest first, as before, so every figure is the same float.
"""

from __future__ import annotations

from array import array

MAX_PER_MARKET = 5000


class RealisedLiquidations:
    __slots__ = ("keep_s", "_ts", "_price", "_usd", "_head", "_count")

    def __init__(self, keep_s: float) -> None:
        self.keep_s = keep_s
        self._ts = array("d")
        self._price = array("d")
        self._usd = array("d")  # signed: + long, − short
        self._head = 0  # index of the oldest row
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, ts: float, price: float, usd: float, is_long: bool) -> None:
        signed = usd if is_long else -usd
        if len(self._ts) < MAX_PER_MARKET:  # still growing: rows are contiguous, [head, len)
            self._ts.append(ts)
            self._price.append(price)
            self._usd.append(signed)
            self._count += 1
            return
        if self._count == MAX_PER_MARKET:  # full: the oldest row makes way
            i = self._head
            self._head = (i + 1) % MAX_PER_MARKET
        else:
            i = (self._head + self._count) % MAX_PER_MARKET
            self._count += 1
        self._ts[i], self._price[i], self._usd[i] = ts, price, signed

    def rows(self) -> list[tuple[float, float, float, bool]]:
        """(ts, price, usd, is_long), oldest first (for tests and tools; a zero-USD row reads as short)."""
        head, ts, price, usd = self._head, self._ts, self._price, self._usd
        out = []
        for k in range(self._count):
            i = (head + k) % MAX_PER_MARKET
            v = usd[i]
            out.append((ts[i], price[i], abs(v), v > 0.0))
        return out

    def bins(self, price: float, pct: float, buckets: int, now: float) -> tuple[list[float], list[float], list[float]]:
        """Same bins as `fuel.display_bins`: (bin centre prices, long USD, short USD) within `keep_s` of now."""
        ts, prices_, usd = self._ts, self._price, self._usd
        cutoff = now - self.keep_s
        while self._count and ts[self._head] < cutoff:
            self._head = (self._head + 1) % MAX_PER_MARKET
            self._count -= 1
        lo = price * (1.0 - pct / 100.0)
        width = (2.0 * price * pct / 100.0) / buckets
        prices = [lo + width * (b + 0.5) for b in range(buckets)]
        longs = [0.0] * buckets
        shorts = [0.0] * buckets
        head = self._head
        for k in range(self._count):
            i = (head + k) % MAX_PER_MARKET
            b = int((prices_[i] - lo) // width)
            if 0 <= b < buckets:
                v = usd[i]
                if v > 0.0:
                    longs[b] += v
                else:
                    shorts[b] -= v
        return prices, longs, shorts
