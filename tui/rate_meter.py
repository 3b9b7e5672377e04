"""Events per second of event time, from a monotonic counter sampled at each refresh."""

from __future__ import annotations

from collections import deque


class RateMeter:
    def __init__(self, span_s: float = 5.0) -> None:
        self.span_s = span_s
        self._samples: deque[tuple[float, int]] = deque()
        self.rate = 0.0

    def update(self, now: float, total: int) -> float | None:
        """The rate over the last `span_s`; None until half a second of event time is covered."""
        s = self._samples
        if s and now < s[-1][0]:
            s.clear()
        s.append((now, total))
        while len(s) > 2 and s[1][0] <= now - self.span_s:
            s.popleft()
        t0, n0 = s[0]
        if now - t0 < 0.5:
            return None
        self.rate = (total - n0) / (now - t0)
        return self.rate
