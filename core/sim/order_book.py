"""A finite-depth order book reduced to what matters for cascades: square-root transient impact.

`depth` is the USD of unabsorbed market orders that moves price 1 %. Taker flow that the book
has not yet absorbed (`backlog`, signed: + is net buying) displaces price by
1 % × sqrt(|backlog| / depth), so impact grows with size but each extra dollar moves price
less than the last — the book is thicker further from the touch. That concavity is what lets a
cascade stop: to go twice as far it needs four times the forced flow, so it dies where the
liquidation prices thin out.

The backlog is absorbed exponentially (depth refills, dip buyers and arbitrageurs step in)
with a time constant of tens of seconds. While forced orders keep coming the backlog stays
high and price stays down; once they stop it drains and price snaps back — the V. A share of
every impact is permanent and moves fair value for good, so the snap-back is partial.
"""

from __future__ import annotations

import math

QUIET_BACKLOG = 1e-4  # of depth: a displacement under ~1 bp is let go, so quiet books cost nothing
BUSY_BACKLOG = 0.05  # of depth: above this the book is still settling and worth finer steps


class OrderBook:
    __slots__ = ("depth", "refill_tau", "permanent", "backlog", "displacement")

    def __init__(self, depth: float, *, refill_tau: float, permanent: float) -> None:
        self.depth = depth
        self.refill_tau = refill_tau
        self.permanent = permanent
        self.backlog = 0.0
        self.displacement = 0.0  # log(price / fair value) caused by the backlog

    @property
    def quiet(self) -> bool:
        return self.backlog == 0.0

    @property
    def busy(self) -> bool:
        return abs(self.backlog) > self.depth * BUSY_BACKLOG

    def _impact(self, backlog: float) -> float:
        move = 0.01 * math.sqrt(abs(backlog) / self.depth)
        return move if backlog > 0 else -move

    def relax(self, dt: float) -> None:
        """Let `dt` seconds pass: the book absorbs part of the backlog."""
        self.backlog *= math.exp(-dt / self.refill_tau)
        if abs(self.backlog) < self.depth * QUIET_BACKLOG:
            self.backlog = 0.0
        self.displacement = (1.0 - self.permanent) * self._impact(self.backlog)

    def take(self, usd: float, buy: bool) -> float:
        """Execute a market order of `usd`; return the permanent log move for the caller's fair value."""
        before = self._impact(self.backlog)
        self.backlog += usd if buy else -usd
        move = self._impact(self.backlog) - before
        self.displacement = (1.0 - self.permanent) * self._impact(self.backlog)
        return move * self.permanent
