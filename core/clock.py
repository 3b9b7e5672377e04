"""Time behind one small interface, chosen once in the composition root.

The engine never reads the wall clock itself: live runs pass a `WallClock`,
replay, backtests and tests pass a `SimClock` that moves only when told to, so
the same code runs at 1x, at 1000x and under a frozen test clock.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Unix seconds."""
        ...


class WallClock:
    def now(self) -> float:
        return time.time()


class SimClock:
    """A clock that only moves forward when advanced; never backwards."""

    def __init__(self, start: float = 0.0) -> None:
        self._t = float(start)

    def now(self) -> float:
        return self._t

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot move backwards")
        self._t += seconds
        return self._t

    def set(self, t: float) -> float:
        """Move to `t` if it is later; earlier times are ignored (out-of-order input never rewinds time)."""
        if t > self._t:
            self._t = float(t)
        return self._t
