"""A time window of liquidated USD with O(1) amortised cost per event and per expiry.

The naive handler re-sums a deque on every event, which is O(window) per event and falls
over exactly when a cascade fills the window. Here every figure is maintained
incrementally: a running sum and count, a monotonic deque for the largest event, and named
peak trackers ("peak of the window sum since this moment", one per open position).
"""
from __future__ import annotations

from collections import deque


class RollingWindow:
    __slots__ = ("length", "_events", "_sum", "_max", "_trackers", "_burst_start", "_last_ts", "_comp")

    def __init__(self, length: float = 90.0) -> None:
        if length <= 0:
            raise ValueError("window length must be positive")
        self.length = float(length)
        self._events: deque[tuple[float, float]] = deque()  # (ts, usd), ts non-decreasing
        self._sum = 0.0
        self._comp = 0.0  # Kahan compensation: long runs of add/subtract must not drift
        self._max: deque[tuple[float, float]] = deque()  # decreasing usd: candidates for the largest
        self._trackers: dict[object, float] = {}  # name -> peak window sum since tracking began
        self._burst_start: float | None = None
        self._last_ts = float("-inf")

    # -- updates ---------------------------------------------------------------------------------
    def expire(self, now: float) -> None:
        """Drop events with ts <= now - length."""
        cutoff = now - self.length
        ev = self._events
        if ev and ev[0][0] <= cutoff:
            total, comp = self._sum, self._comp
            while ev and ev[0][0] <= cutoff:
                y = -ev.popleft()[1] - comp  # Kahan, inline: this loop is the hot path
                t = total + y
                comp = (t - total) - y
                total = t
            self._sum, self._comp = total, comp
        mx = self._max
        while mx and mx[0][0] <= cutoff:
            mx.popleft()
        if not ev:
            self._sum = 0.0
            self._comp = 0.0
            self._burst_start = None

    def add(self, ts: float, usd: float) -> None:
        """Add one event. Out-of-order timestamps are clamped to the latest seen (no rewinds)."""
        if ts < self._last_ts:
            ts = self._last_ts
        self._last_ts = ts
        self.expire(ts)
        if not self._events:
            self._burst_start = ts
        self._events.append((ts, usd))
        y = usd - self._comp
        t = self._sum + y
        self._comp = (t - self._sum) - y
        self._sum = t
        mx = self._max
        while mx and mx[-1][1] <= usd:
            mx.pop()
        mx.append((ts, usd))
        if self._trackers:
            s = self.total
            for name, peak in self._trackers.items():
                if s > peak:
                    self._trackers[name] = s

    # -- queries (call expire(now) first when time has moved without events) ----------------------
    @property
    def total(self) -> float:
        return self._sum if self._sum > 0 else 0.0

    @property
    def count(self) -> int:
        return len(self._events)

    @property
    def largest(self) -> float:
        return self._max[0][1] if self._max else 0.0

    @property
    def burst_start(self) -> float | None:
        """Time of the first event since the window was last empty."""
        return self._burst_start

    @property
    def oldest_ts(self) -> float | None:
        return self._events[0][0] if self._events else None

    def events_per_s(self, now: float) -> float:
        """Rate over the occupied part of the window (a young burst is not diluted by 90 s)."""
        if not self._events:
            return 0.0
        span = min(self.length, max(now - self._events[0][0], 1.0))
        return len(self._events) / span

    def usd_per_s(self, now: float) -> float:
        if not self._events:
            return 0.0
        span = min(self.length, max(now - self._events[0][0], 1.0))
        return self.total / span

    def track_peak(self, name: object, now: float) -> None:
        """Start tracking the peak window sum from `now` (the sum only rises on an add, so
        checking at adds is exact)."""
        self.expire(now)
        self._trackers[name] = self.total

    def peak(self, name: object) -> float:
        return self._trackers.get(name, 0.0)

    def untrack_peak(self, name: object) -> None:
        self._trackers.pop(name, None)
