"""Prices at fixed times after an event, answered while the data streams past.

The event study asks "what was the last price at or before t" for times up to an hour after
each episode. Keeping every mark of a month to answer afterwards would make memory grow with
the data; instead each question waits in a heap until the first price after its time arrives,
and is answered then with the price before it. Same answers as looking them up afterwards:
a price at exactly t counts (the last of several), times after the data's end get None.
"""

from __future__ import annotations

import bisect
import heapq
from collections import deque
from collections.abc import Hashable

RECENT_S = 60.0  # prices kept to answer a question about a time just behind the latest price


class ForwardPrices:
    """One price series (e.g. one market's marks), questions answered online."""

    def __init__(self) -> None:
        self.last_ts: float | None = None
        self.last_px: float | None = None
        self._waiting: list[tuple[float, int, Hashable, bool]] = []
        self._n = 0
        self._recent: deque[tuple[float, float]] = deque()
        self.answers: dict[Hashable, float | None] = {}

    def add(self, ts: float, px: float) -> None:
        if self.last_ts is not None and ts < self.last_ts:
            return  # out of order: ignored, as the price series always did
        w = self._waiting
        while w and w[0][0] < ts:
            key = heapq.heappop(w)[2]
            self.answers[key] = self.last_px
        self.last_ts, self.last_px = ts, px
        self._recent.append((ts, px))
        while self._recent and self._recent[0][0] < ts - RECENT_S:
            self._recent.popleft()

    def ask(self, key: Hashable, t: float, none_past_end: bool = True) -> None:
        """The last price at or before `t`, answered once the series has moved past `t`. At the end of
        the data a time after the last price gets None, unless `none_past_end` is False."""
        if self.last_ts is not None and t < self.last_ts:
            times = [x[0] for x in self._recent]
            i = bisect.bisect_right(times, t) - 1
            self.answers[key] = self._recent[i][1] if i >= 0 else None
            return
        heapq.heappush(self._waiting, (t, self._n, key, none_past_end))
        self._n += 1

    def finish(self) -> None:
        for t, _, key, none_past_end in self._waiting:
            past_end = self.last_ts is None or t > self.last_ts
            self.answers[key] = None if (past_end and none_past_end) else self.last_px
        self._waiting.clear()
