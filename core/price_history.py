"""A market's recent prices for the console's chart: one sample per second of event time, the last
15 minutes. Kept in core (fed with every price the engine applies) so the chart covers the data,
not the time since a screen opened: in a replay it shows the recording's recent minutes."""

from __future__ import annotations

from array import array

PRICE_HISTORY_S = 900  # seconds kept (one sample each)


class PriceHistory:
    """The first price of each second in a ring of two float arrays: O(1) per price, no object per
    sample (14 KB per market that has prices, however many markets a live run watches), and the
    hot path sees one float compare within a second. `samples` is built only for a market someone
    is looking at."""

    __slots__ = ("_ts", "_px", "_next", "_count", "due_ts", "span_s")

    def __init__(self, span_s: int = PRICE_HISTORY_S) -> None:
        self.span_s = span_s
        self._ts: array | None = None  # allocated with the first price
        self._px: array | None = None
        self._next = 0  # slot the next sample goes to
        self._count = 0
        self.due_ts = float("-inf")  # the next second's start: earlier prices are not kept (callers may check)

    def add(self, ts: float, price: float) -> None:
        if ts < self.due_ts:
            return
        tss, pxs = self._ts, self._px
        if tss is None or pxs is None:
            tss = self._ts = array("d", bytes(8 * self.span_s))
            pxs = self._px = array("d", bytes(8 * self.span_s))
        i = self._next
        tss[i] = ts
        pxs[i] = price
        i += 1
        self._next = 0 if i == self.span_s else i
        if self._count < self.span_s:
            self._count += 1
        self.due_ts = ts - ts % 1.0 + 1.0  # the next whole second

    def samples(self, now: float, last: float | None = None) -> tuple[tuple[float, float], ...]:
        """(ts, price) of the last `span_s` seconds up to `now`, oldest first; `last` (the live price)
        ends the series at `now` so the chart's right edge is the price shown beside it."""
        out: list[tuple[float, float]] = []
        if self._ts is not None and self._px is not None:
            cutoff = now - self.span_s
            first = (self._next - self._count) % self.span_s
            for k in range(self._count):
                j = (first + k) % self.span_s
                if self._ts[j] >= cutoff:
                    out.append((self._ts[j], self._px[j]))
        if last is not None and (not out or out[-1][0] < now):
            out.append((now, last))
        return tuple(out)

    def __len__(self) -> int:
        return self._count
