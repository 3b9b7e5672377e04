"""How a venue's live feed is doing: state, counters, rate and lag, as the TUI and risk manager see it.

`FeedHealth` is an immutable snapshot; `HealthTracker` is the mutable side the connection
runner updates on every frame. Counting is exact so that, at any moment,
``received == processed + sum(dropped.values())`` — a frame is either turned into events
(possibly none: acks, pongs) or dropped with a reason, never lost silently.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from core.events import Event


class FeedState(StrEnum):
    """A venue connection's state; anything but CONNECTED blocks entries."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    STALE = "stale"  # connected, but silent for longer than allowed
    RECONNECTING = "reconnecting"
    DOWN = "down"


# entries wait while a venue is in any of these (a simulator or a replay has no connection to lose)
BLOCKING_STATES: frozenset[str] = frozenset(FeedState) - {FeedState.CONNECTED}

# Worst first: the venue shows the worst state among its connections.
_SEVERITY: tuple[FeedState, ...] = (
    FeedState.DOWN,
    FeedState.RECONNECTING,
    FeedState.STALE,
    FeedState.CONNECTING,
    FeedState.CONNECTED,
)

RATE_WINDOW_S = 10  # msgs_per_s is averaged over this many whole seconds
LAG_SAMPLES = 200  # lag_ms is the median of this many recent events


@dataclass(frozen=True, slots=True)
class ConnectionHealth:
    name: str
    state: FeedState = FeedState.CONNECTING
    reason: str = ""
    reconnects: int = 0
    last_frame_ts: float | None = None
    next_retry_ts: float | None = None  # clock time of the next connect attempt while waiting to retry
    ever_connected: bool = False


@dataclass(frozen=True, slots=True)
class FeedHealth:
    venue: str
    state: FeedState = FeedState.CONNECTING
    reason: str = ""  # last error or note, as a human sentence
    received: int = 0  # frames and REST responses taken off the wire
    processed: int = 0  # of those, the ones that parsed
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> frames that did not
    events: int = 0  # normalised events delivered downstream
    filtered: int = 0  # events parsed but removed by the market / min-USD filters
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> events refused by core.validation
    errors: dict[str, int] = field(default_factory=dict)  # connect failures, REST timeouts, 429s...
    reconnects: int = 0
    msgs_per_s: float = 0.0
    lag_ms: float | None = None  # median ts_recv - ts_event over recent events
    last_frame_ts: float | None = None
    connections: tuple[ConnectionHealth, ...] = ()
    rows_dropped: dict[str, int] = field(
        default_factory=dict
    )  # reason -> rows removed from frames that parsed (e.g. OKX replays)
    last_error: str = ""  # the latest failure, kept after recovery so the feed table can say what happened
    next_retry_ts: float | None = None  # earliest clock time a waiting connection tries again
    ever_connected: bool = False  # False + state "down": the venue was never reached this run
    coverage: str = ""  # how complete the venue's liquidation stream is (registry LIQUIDATION_COVERAGE)

    def age_s(self, now: float) -> float | None:
        """Seconds since the last websocket frame; None before the first."""
        return None if self.last_frame_ts is None else max(0.0, now - self.last_frame_ts)

    def retry_in_s(self, now: float) -> float | None:
        """Seconds until the next reconnect attempt; None when nothing is waiting to retry."""
        return None if self.next_retry_ts is None else max(0.0, self.next_retry_ts - now)

    def effective_state(self, now: float, max_silence: float) -> FeedState:
        """The state entries should see: a connected venue with no stream frame yet is still
        ``connecting``; one silent longer than `max_silence` is ``stale``."""
        if self.state != FeedState.CONNECTED:
            return self.state
        if self.last_frame_ts is None:
            return FeedState.CONNECTING
        return FeedState.STALE if now - self.last_frame_ts > max_silence else FeedState.CONNECTED

    def is_stale(self, now: float, max_silence: float | None = None) -> bool:
        """True when entries should be blocked: not connected, or (given `max_silence`) no frame lately."""
        if self.state != FeedState.CONNECTED:
            return True
        if max_silence is not None:
            return self.last_frame_ts is None or now - self.last_frame_ts > max_silence
        return False


def aggregate_state(states: list[FeedState]) -> FeedState:
    """The venue's state is its worst connection's; no connections at all means down."""
    if not states:
        return FeedState.DOWN
    return min(states, key=_SEVERITY.index)


class HealthTracker:
    """Mutable counters behind `FeedHealth`; the runner is its only writer."""

    def __init__(
        self,
        venue: str,
        connection_names: list[str],
        note: str = "",
        coverage: str = "",
        poll_names: Sequence[str] = (),
    ) -> None:
        self.venue = venue
        self.coverage = coverage
        self.note = note  # shown as the reason while nothing is wrong (e.g. no liquidation stream)
        self.received = 0
        self.processed = 0
        self.dropped: dict[str, int] = {}
        self.row_drops: dict[str, int] = {}
        self.events = 0
        self.filtered = 0
        self.rejected: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.last_frame_ts: float | None = None
        self._conns = {n: ConnectionHealth(n) for n in connection_names}
        # a REST poll degrades the venue only once it fails: until then the streams say how it is
        self._conns.update({n: ConnectionHealth(n, state=FeedState.CONNECTED) for n in poll_names})
        self._opens: dict[str, int] = {}
        self._stopped = False
        self._reason = ""
        self._last_error = ""
        # per-second buckets: (whole second, count); O(1) per frame whatever the rate
        self._buckets: deque[list[float]] = deque(maxlen=RATE_WINDOW_S + 1)
        self._lags: deque[float] = deque(maxlen=LAG_SAMPLES)

    # --- per frame --------------------------------------------------------------------------
    def frame_received(self, ts: float, connection: str | None = None) -> None:
        self.received += 1
        if connection is not None:
            # only stream frames prove the stream is alive: REST answers (Binance polls open interest
            # for every symbol, several a second) must not hide a websocket that went silent
            self.last_frame_ts = ts
        sec = float(int(ts))
        if self._buckets and self._buckets[-1][0] == sec:
            self._buckets[-1][1] += 1
        else:
            self._buckets.append([sec, 1])
        if connection is not None:
            c = self._conns[connection]
            self._conns[connection] = replace(c, last_frame_ts=ts)

    def frame_processed(self) -> None:
        self.processed += 1

    def frame_dropped(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def rows_dropped(self, reason: str, n: int) -> None:
        self.row_drops[reason] = self.row_drops.get(reason, 0) + n

    def events_delivered(self, events: list[Event]) -> None:
        self.events += len(events)
        for ev in events:
            # venues without an exchange timestamp stamp ts_event = ts_recv: that is no lag sample
            if ev.ts_event != ev.ts_recv:
                self._lags.append((ev.ts_recv - ev.ts_event) * 1000.0)

    def event_rejected(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def events_filtered(self, n: int) -> None:
        self.filtered += n

    def error(self, kind: str, reason: str | None = None) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if reason:
            self._reason = self._last_error = reason

    # --- connection state -------------------------------------------------------------------
    def set_state(
        self,
        connection: str,
        state: FeedState,
        reason: str = "",
        next_retry_ts: float | None = None,
        *,
        is_poll: bool = False,
    ) -> bool:
        """Record a connection's state; returns True if it changed (worth a health push).

        A websocket that was never opened and is waiting to retry is ``down``, not
        ``reconnecting``: nothing was ever received from it, so there is nothing to be stale.
        A failing REST poll (open interest, funding intervals) stays ``reconnecting``."""
        c = self._conns[connection]
        if state == FeedState.RECONNECTING and not c.ever_connected and not is_poll:
            state = FeedState.DOWN
        new = replace(
            c,
            state=state,
            reason=reason,
            next_retry_ts=next_retry_ts,
            ever_connected=c.ever_connected or state == FeedState.CONNECTED,
        )
        self._conns[connection] = new
        if reason and state != FeedState.CONNECTED:
            self._reason = self._last_error = reason
        return (new.state, new.reason) != (c.state, c.reason)

    def connection_opened(self, connection: str) -> None:
        """A websocket handshake succeeded; every one after the first is a reconnect."""
        self._opens[connection] = self._opens.get(connection, 0) + 1
        if self._opens[connection] > 1:
            c = self._conns[connection]
            self._conns[connection] = replace(c, reconnects=c.reconnects + 1)

    def stop(self, reason: str = "stopped") -> None:
        self._stopped = True
        self._reason = reason

    # --- reading ----------------------------------------------------------------------------
    def snapshot(self, now: float) -> FeedHealth:
        conns = tuple(self._conns.values())
        state = FeedState.DOWN if self._stopped else aggregate_state([c.state for c in conns])
        reason = (
            ""
            if state == FeedState.CONNECTED
            else next((c.reason for c in conns if c.state == state and c.reason), self._reason)
        )
        if self.note:
            reason = f"{reason}; {self.note}" if reason else self.note
        return FeedHealth(
            venue=self.venue,
            state=state,
            reason=reason,
            received=self.received,
            processed=self.processed,
            dropped=dict(self.dropped),
            events=self.events,
            filtered=self.filtered,
            rejected=dict(self.rejected),
            errors=dict(self.errors),
            reconnects=sum(c.reconnects for c in conns),
            msgs_per_s=self._rate(now),
            lag_ms=statistics.median(self._lags) if self._lags else None,
            last_frame_ts=self.last_frame_ts,
            connections=conns,
            rows_dropped=dict(self.row_drops),
            last_error=self._last_error,
            next_retry_ts=min((c.next_retry_ts for c in conns if c.next_retry_ts is not None), default=None),
            ever_connected=any(c.ever_connected for c in conns),
            coverage=self.coverage,
        )

    def _rate(self, now: float) -> float:
        # the current second is still filling: average the last RATE_WINDOW_S whole seconds before it
        cur = float(int(now))
        total = sum(n for sec, n in self._buckets if cur - RATE_WINDOW_S <= sec < cur)
        return total / RATE_WINDOW_S
