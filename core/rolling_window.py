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


# -- two windows over one event log ------------------------------------------------------------
COMPACT_AFTER = 2048  # expired entries at the log's front before it is compacted (amortised O(1))


class LogWindow:
    """One time window over an event log it shares with other windows (`WindowPair`).

    The same figures as `RollingWindow` (sum with Kahan compensation, count, burst start, peaks
    since tracking), but the events live once, in the pair's parallel lists; the window only
    keeps where it starts in them. Updates come through the pair; the largest event is not kept.
    """

    __slots__ = ("length", "_ts", "_usd", "_head", "_sum", "_comp", "_trackers", "_burst_start")

    def __init__(self, length: float, ts: list[float], usd: list[float]) -> None:
        if length <= 0:
            raise ValueError("window length must be positive")
        self.length = float(length)
        self._ts = ts
        self._usd = usd
        self._head = 0  # index of this window's oldest event in the shared log
        self._sum = 0.0
        self._comp = 0.0
        self._trackers: dict[object, float] = {}
        self._burst_start: float | None = None

    def expire(self, now: float) -> None:
        """Drop events with ts <= now - length (same arithmetic, in the same order, as RollingWindow)."""
        cutoff = now - self.length
        ts, h = self._ts, self._head
        n = len(ts)
        if h < n and ts[h] <= cutoff:
            usd = self._usd
            total, comp = self._sum, self._comp
            while h < n and ts[h] <= cutoff:
                y = -usd[h] - comp
                t = total + y
                comp = (t - total) - y
                total = t
                h += 1
            self._head = h
            self._sum, self._comp = total, comp
        if h >= n:
            self._sum = 0.0
            self._comp = 0.0
            self._burst_start = None

    @property
    def total(self) -> float:
        return self._sum if self._sum > 0 else 0.0

    @property
    def count(self) -> int:
        return len(self._ts) - self._head

    @property
    def burst_start(self) -> float | None:
        """Time of the first event since the window was last empty."""
        return self._burst_start

    @property
    def oldest_ts(self) -> float | None:
        return self._ts[self._head] if self._head < len(self._ts) else None

    def events_per_s(self, now: float) -> float:
        """Rate over the occupied part of the window (a young burst is not diluted by its length)."""
        n = len(self._ts) - self._head
        if n <= 0:
            return 0.0
        span = min(self.length, max(now - self._ts[self._head], 1.0))
        return n / span

    def usd_per_s(self, now: float) -> float:
        if self._head >= len(self._ts):
            return 0.0
        span = min(self.length, max(now - self._ts[self._head], 1.0))
        return self.total / span

    def track_peak(self, name: object, now: float) -> None:
        """Start tracking the peak window sum from `now` (it only rises on an add, so adds suffice)."""
        self.expire(now)
        self._trackers[name] = self.total

    def peak(self, name: object) -> float:
        return self._trackers.get(name, 0.0)

    def untrack_peak(self, name: object) -> None:
        self._trackers.pop(name, None)


class WindowPair:
    """A long and a short window over one event log: each event is stored once, not per window.

    `add` is the hot path (every liquidation of one side of one market): one clamp, one append
    per list, and for each window an inline expiry check and a Kahan add. Results are the same
    floats a `RollingWindow` of each length would hold.
    """

    __slots__ = ("window", "short", "_ts", "_usd", "_last_ts")

    def __init__(self, length: float, short_length: float) -> None:
        self._ts: list[float] = []
        self._usd: list[float] = []
        self.window = LogWindow(length, self._ts, self._usd)
        self.short = LogWindow(short_length, self._ts, self._usd)
        self._last_ts = float("-inf")

    def add(self, ts: float, usd: float) -> None:
        """Add one event to both windows. Out-of-order timestamps are clamped to the latest seen."""
        if ts < self._last_ts:
            ts = self._last_ts
        self._last_ts = ts
        tsl, usdl = self._ts, self._usd
        n = len(tsl)
        # the two windows written out rather than looped over (this runs for every liquidation);
        # each: expire inline (LogWindow.expire's arithmetic, in its order), then a Kahan add
        w = self.window
        h = w._head
        total, comp = w._sum, w._comp
        cutoff = ts - w.length
        if h < n and tsl[h] <= cutoff:
            while h < n and tsl[h] <= cutoff:
                y = -usdl[h] - comp
                t = total + y
                comp = (t - total) - y
                total = t
                h += 1
            w._head = h
        if h >= n:  # empty (just expired, or never filled): a new burst starts here
            total = comp = 0.0
            w._burst_start = ts
        y = usd - comp
        t = total + y
        w._comp = (t - total) - y
        w._sum = t
        w = self.short
        h = w._head
        total, comp = w._sum, w._comp
        cutoff = ts - w.length
        if h < n and tsl[h] <= cutoff:
            while h < n and tsl[h] <= cutoff:
                y = -usdl[h] - comp
                t = total + y
                comp = (t - total) - y
                total = t
                h += 1
            w._head = h
        if h >= n:
            total = comp = 0.0
            w._burst_start = ts
        y = usd - comp
        t = total + y
        w._comp = (t - total) - y
        w._sum = t
        tsl.append(ts)
        usdl.append(usd)
        w = self.window
        if w._trackers:
            s = w.total
            tr = w._trackers
            for name, peak in tr.items():
                if s > peak:
                    tr[name] = s
        # forget what both windows have passed, in chunks
        lo = self.window._head
        if lo >= COMPACT_AFTER:
            sh = self.short._head
            if sh < lo:
                lo = sh
            if lo >= COMPACT_AFTER and lo * 2 >= n:
                del tsl[:lo]
                del usdl[:lo]
                self.window._head -= lo
                self.short._head -= lo
