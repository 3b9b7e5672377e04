"""How a venue's public stream would show the simulator's forced orders.

`BinanceThinning` is Binance USDⓈ-M's `forceOrder` stream: "for each symbol, only the latest one
liquidation order within 1000ms will be pushed as the snapshot. If no liquidation happens in
the interval of 1000ms, no stream will be pushed"
(https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Liquidation-Order-Streams).
So per symbol and per one-second interval the last forced order survives, received when the
interval closes; the others are never seen. A recording made through it looks like a live
Binance capture, so thresholds tuned on it see what the live feed would show.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator

from core.events import Event, Liquidation

SNAPSHOT_S = 1.0


class BinanceThinning:
    """Feed events in time order; get back what the stream would publish, in time order."""

    def __init__(self, interval_s: float = SNAPSHOT_S) -> None:
        self.interval = interval_s
        self._latest: dict[str, tuple[float, Liquidation]] = {}  # symbol -> (interval end, latest order)
        self.seen = 0
        self.published = 0

    def feed(self, ev: Event) -> list[Event]:
        out = self._due(ev.ts_recv)
        if isinstance(ev, Liquidation):
            self.seen += 1
            end = (math.floor(ev.ts_recv / self.interval) + 1.0) * self.interval
            self._latest[ev.symbol] = (end, ev)  # a later order in the same interval replaces it
        else:
            out.append(ev)
        return out

    def _due(self, now: float) -> list[Event]:
        """Snapshots whose interval closed at or before `now`, oldest first."""
        if not self._latest:
            return []
        due = sorted((end, sym) for sym, (end, _) in self._latest.items() if end <= now)
        out: list[Event] = []
        for end, sym in due:
            _, liq = self._latest.pop(sym)
            out.append(dataclasses.replace(liq, ts_recv=end))
            self.published += 1
        return out

    def flush(self) -> list[Event]:
        return self._due(math.inf)


def thinned(events: Iterable[Event], feed: str) -> Iterator[Event]:
    """`events` as the named feed would publish them ('all': unchanged)."""
    if feed == "all":
        yield from events
        return
    if feed != "binance":
        raise ValueError(f"unknown feed {feed!r}; valid: all, binance")
    thin = BinanceThinning()
    for ev in events:
        yield from thin.feed(ev)
    yield from thin.flush()
