"""Entry orders resting at the levels traders watch: round numbers, recent highs and lows.

They are why entries, and so liquidation prices, bunch: every order resting at 59,000 fills
at 59,000, and each leverage tier then puts its liquidation price at the same distance below.
Orders that fill as price falls (dip-buying longs, breakdown shorts) and orders that fill as
price rises (rally-selling shorts, breakout longs) are kept in two sorted lists so a step only
looks at the nearest one.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import NamedTuple


class RestingEntry(NamedTuple):
    level: float
    is_long: bool
    leverage: float
    usd: float
    expires: float


class RestingOrders:
    __slots__ = ("below_levels", "below", "above_levels", "above")

    def __init__(self) -> None:
        self.below_levels: list[float] = []  # ascending; filled when price falls to the last one
        self.below: list[RestingEntry] = []
        self.above_levels: list[float] = []  # ascending; filled when price rises to the first one
        self.above: list[RestingEntry] = []

    def __len__(self) -> int:
        return len(self.below) + len(self.above)

    def add(self, order: RestingEntry, price: float) -> None:
        if order.level <= price:
            i = bisect_right(self.below_levels, order.level)
            self.below_levels.insert(i, order.level)
            self.below.insert(i, order)
        else:
            i = bisect_right(self.above_levels, order.level)
            self.above_levels.insert(i, order.level)
            self.above.insert(i, order)

    def take_filled(self, price: float, now: float) -> list[RestingEntry]:
        """Remove orders whose level the price has reached; expired ones are dropped, not filled."""
        filled: list[RestingEntry] = []
        if self.below_levels and price <= self.below_levels[-1]:
            i = bisect_left(self.below_levels, price)
            filled.extend(self.below[i:])
            del self.below_levels[i:]
            del self.below[i:]
        if self.above_levels and price >= self.above_levels[0]:
            i = bisect_right(self.above_levels, price)
            filled.extend(self.above[:i])
            del self.above_levels[:i]
            del self.above[:i]
        return [o for o in filled if o.expires > now]

    def drop_expired(self, now: float) -> None:
        """Cancel stale orders; called now and then, so the lists stay small."""
        self.below = [o for o in self.below if o.expires > now]
        self.below_levels = [o.level for o in self.below]
        self.above = [o for o in self.above if o.expires > now]
        self.above_levels = [o.level for o in self.above]
