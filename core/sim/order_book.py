"""A finite-depth order book reduced to the two numbers that matter for cascades.

`depth` is the USD of market orders that moves price 1 % on the book as it stands. A taker
order moves the price linearly in size/depth and eats depth, so the next order of the same
size moves it further (impact grows faster than size while the book is thin). Eaten depth
refills exponentially over tens of seconds.

Price = fair value × exp(displacement). Part of each impact moves fair value for good; the
rest is displacement, which dip buyers and arbitrageurs pull back towards fair value — but
only as fast as the book has refilled, because they trade against the same thin book. That is
what makes a cascade end in a V: while forced orders keep coming the book stays thin and
price stays down; once they stop, depth returns and the displacement unwinds.
"""
from __future__ import annotations

import math


class OrderBook:
    __slots__ = ("base_depth", "depth", "min_depth", "eaten", "refill_tau", "revert_tau", "permanent", "displacement")

    def __init__(
        self,
        base_depth: float,
        *,
        eaten: float,
        min_depth_frac: float,
        refill_tau: float,
        revert_tau: float,
        permanent: float,
    ) -> None:
        self.base_depth = base_depth
        self.depth = base_depth
        self.min_depth = base_depth * min_depth_frac
        self.eaten = eaten
        self.refill_tau = refill_tau
        self.revert_tau = revert_tau
        self.permanent = permanent
        self.displacement = 0.0  # log(price / fair value)

    @property
    def quiet(self) -> bool:
        return self.displacement == 0.0 and self.depth == self.base_depth

    def relax(self, dt: float) -> None:
        """Let `dt` seconds pass: depth refills, displacement unwinds at a pace set by the refill."""
        if self.displacement != 0.0:
            fullness = self.depth / self.base_depth
            self.displacement *= math.exp(-dt * fullness / self.revert_tau)
            if abs(self.displacement) < 1e-6:
                self.displacement = 0.0
        if self.depth != self.base_depth:
            self.depth += (self.base_depth - self.depth) * (1.0 - math.exp(-dt / self.refill_tau))
            if self.base_depth - self.depth < self.base_depth * 1e-4:
                self.depth = self.base_depth

    def take(self, usd: float, buy: bool) -> float:
        """Execute a market order of `usd`; return the log price move, of which the
        permanent share is for the caller to add to fair value."""
        move = 0.01 * usd / self.depth
        if not buy:
            move = -move
        self.displacement += move * (1.0 - self.permanent)
        self.depth = max(self.min_depth, self.depth - self.eaten * usd)
        return move * self.permanent
