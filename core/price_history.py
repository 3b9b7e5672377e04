"""A market's recent prices for the console's chart: one sample per second of event time, the last
15 minutes. Kept in core (fed with every price the engine applies) so the chart covers the data,
not the time since a screen opened: in a replay it shows the recording's recent minutes."""

from __future__ import annotations

from collections import deque

PRICE_HISTORY_S = 900  # seconds kept (one sample each)


class PriceHistory:
    """The first price of each second, O(1) per price and no allocation within a second (the hot
    path sees a float compare); `samples` is built only for a market someone is looking at."""

    __slots__ = ("_samples", "_next_ts", "span_s")

    def __init__(self, span_s: int = PRICE_HISTORY_S) -> None:
        self.span_s = span_s
        self._samples: deque[tuple[float, float]] = deque(maxlen=span_s)
        self._next_ts = float("-inf")

    def add(self, ts: float, price: float) -> None:
        if ts >= self._next_ts:
            self._samples.append((ts, price))
            self._next_ts = float(int(ts) + 1)

    def samples(self, now: float, last: float | None = None) -> tuple[tuple[float, float], ...]:
        """(ts, price) of the last `span_s` seconds up to `now`, oldest first; `last` (the live price)
        ends the series at `now` so the chart's right edge is the price shown beside it."""
        cutoff = now - self.span_s
        out = [s for s in self._samples if s[0] >= cutoff]
        if last is not None and (not out or out[-1][0] < now):
            out.append((now, last))
        return tuple(out)

    def __len__(self) -> int:
        return len(self._samples)
