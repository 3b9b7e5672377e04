"""One market's leveraged population, kept sorted by liquidation price.

A position here is a bundle: many traders who entered at the same price with the same
leverage, carried as one notional, so a market holds thousands of bundles rather than millions
of accounts. Both sides are kept in parallel lists sorted by liquidation price, so finding the
positions a price move has crossed is a bisect plus a slice: O(log n + crossed).
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from typing import NamedTuple


class Position(NamedTuple):
    is_long: bool
    qty: float  # base units
    entry: float
    leverage: float
    liq: float


def liquidation_price(entry: float, leverage: float, is_long: bool, mmr: float) -> float:
    """Isolated-margin liquidation price: the loss equals the margin less the maintenance margin."""
    if is_long:
        return entry * (1.0 - 1.0 / leverage + mmr)
    return entry * (1.0 + 1.0 / leverage - mmr)


class PositionBook:
    __slots__ = (
        "mmr",
        "long_liq",
        "long_pos",
        "short_liq",
        "short_pos",
        "long_usd",
        "short_usd",
        "long_qty",
        "short_qty",
    )

    def __init__(self, mmr: float) -> None:
        self.mmr = mmr
        # ascending liquidation prices; a falling price reaches the END of long_liq first,
        # a rising price the START of short_liq.
        self.long_liq: list[float] = []
        self.long_pos: list[Position] = []
        self.short_liq: list[float] = []
        self.short_pos: list[Position] = []
        self.long_usd = 0.0  # entry notional, for the long/short imbalance that drives funding
        self.short_usd = 0.0
        self.long_qty = 0.0
        self.short_qty = 0.0

    def __len__(self) -> int:
        return len(self.long_pos) + len(self.short_pos)

    def open(self, is_long: bool, entry: float, leverage: float, usd: float) -> Position:
        qty = usd / entry
        pos = Position(is_long, qty, entry, leverage, liquidation_price(entry, leverage, is_long, self.mmr))
        self._insert(pos)
        return pos

    def _insert(self, pos: Position) -> None:
        if pos.is_long:
            i = bisect_right(self.long_liq, pos.liq)
            self.long_liq.insert(i, pos.liq)
            self.long_pos.insert(i, pos)
            self.long_usd += pos.qty * pos.entry
            self.long_qty += pos.qty
        else:
            i = bisect_right(self.short_liq, pos.liq)
            self.short_liq.insert(i, pos.liq)
            self.short_pos.insert(i, pos)
            self.short_usd += pos.qty * pos.entry
            self.short_qty += pos.qty

    def _forget(self, pos: Position) -> None:
        if pos.is_long:
            self.long_usd = max(0.0, self.long_usd - pos.qty * pos.entry)
            self.long_qty = max(0.0, self.long_qty - pos.qty)
        else:
            self.short_usd = max(0.0, self.short_usd - pos.qty * pos.entry)
            self.short_qty = max(0.0, self.short_qty - pos.qty)

    def take_crossed_longs(self, price: float) -> list[Position]:
        """Remove and return every long whose liquidation price is at or above `price`, highest first."""
        i = bisect_left(self.long_liq, price)
        crossed = self.long_pos[i:]
        del self.long_liq[i:]
        del self.long_pos[i:]
        crossed.reverse()
        for pos in crossed:
            self._forget(pos)
        return crossed

    def take_crossed_shorts(self, price: float) -> list[Position]:
        """Remove and return every short whose liquidation price is at or below `price`, lowest first."""
        i = bisect_right(self.short_liq, price)
        crossed = self.short_pos[:i]
        del self.short_liq[:i]
        del self.short_pos[:i]
        for pos in crossed:
            self._forget(pos)
        return crossed

    def close_random(self, rng: random.Random) -> Position | None:
        """A voluntary close: any bundle is equally likely to be taken off."""
        n_long = len(self.long_pos)
        n = n_long + len(self.short_pos)
        if n == 0:
            return None
        i = rng.randrange(n)
        if i < n_long:
            pos = self.long_pos.pop(i)
            del self.long_liq[i]
        else:
            pos = self.short_pos.pop(i - n_long)
            del self.short_liq[i - n_long]
        self._forget(pos)
        return pos

    def imbalance(self) -> float:
        """(longs − shorts) / (longs + shorts) by entry notional, in [-1, 1]."""
        total = self.long_usd + self.short_usd
        return (self.long_usd - self.short_usd) / total if total > 0 else 0.0

    def levels(self) -> list[tuple[float, float, str]]:
        """(liquidation price, USD that would be force-sold/bought there, side), ascending by price."""
        out = [(p.liq, p.qty * p.liq, "long") for p in self.long_pos]
        out.extend((p.liq, p.qty * p.liq, "short") for p in self.short_pos)
        out.sort(key=lambda row: (row[0], row[2]))
        return out
