"""TimedDecisions: the part of the engine that decides on time alone.

Every time-based decision is an exact deadline on the engine's agenda (core/deadlines.py): a
watching market's next timer (the end of the entry delay, a quiet period, a watch timing out, the
next expiry of a window that can make a setup due), a signal's expiry, a position's max hold or
window drain. `Engine.advance` runs those passed, each at its own time and in time order;
superseded entries are skipped (the time expected per market and position is kept here). A mixin
of `Engine`, like `OrderFlow`: it works on the engine's own state and methods.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from core.brokers.base import Broker, Fill
from core.deadlines import DeadlineQueue
from core.engine_commands import MODE_LABELS, Mode
from core.market_state import MarketState
from core.positions import Position
from core.signals import Detector, Signal

# the kinds of deadline on the engine's agenda (the key is a market, or a signal id)
MARKET_DUE, SIGNAL_DUE, POSITION_DUE = "market", "signal", "position"


class TimedDecisions:
    # the engine's state this mixin works on (set in Engine.__init__), declared so it reads as typed
    broker: Broker
    mode: Mode
    markets: dict[str, MarketState]
    detectors: dict[str, list[Detector]]
    positions: dict[str, Position]  # by market
    signals: dict[str, Signal]
    _deadlines: DeadlineQueue
    _market_due: dict[str, float]  # market -> the deadline it expects (older ones are stale)
    _position_due: dict[str, float]  # market -> its position's next time-based check
    _watching: dict[str, None]
    _now: float
    # ...and the engine's methods it calls
    _evaluate: Callable[[str, float], None]
    _end_signal: Callable[[Signal, str, str], None]
    _check_position: Callable[[Position, MarketState, float], None]
    _on_fill: Callable[[Fill], None]
    _on_reject: Callable[..., None]

    def next_deadline(self) -> float | None:
        """Engine time of the next time-based decision (None: nothing is waiting on the clock)."""
        dq = self._deadlines
        while len(dq):
            t, kind, key = dq.peek()
            if self._is_current(t, kind, key):
                return t
            dq.pop()  # superseded: drop it so a waker does not wake for nothing
        return None

    def watch_deadlines(self, fn: Callable[[float], None] | None) -> None:
        """`fn(t)` whenever a new deadline becomes the earliest (a source's wake-up re-arms on it)."""
        self._deadlines.listener = fn

    def _poll_broker(self, now: float) -> None:
        for result in self.broker.poll(now):
            if isinstance(result, Fill):
                self._on_fill(result)
            else:
                self._on_reject(result)

    def _is_current(self, t: float, kind: str, key: str) -> bool:
        if kind == MARKET_DUE:
            return self._market_due.get(key) == t
        if kind == POSITION_DUE:
            return self._position_due.get(key) == t
        return key in self.signals

    def _run_deadlines(self, now: float) -> None:
        dq = self._deadlines
        while dq.due(now):
            t, kind, key = dq.pop()
            if not self._is_current(t, kind, key):
                continue
            if t > self._now:
                self._now = t
                self._poll_broker(t)
            self._on_deadline(self._now, kind, key)

    def _on_deadline(self, t: float, kind: str, key: str) -> None:
        if kind == MARKET_DUE:
            del self._market_due[key]
            if key in self._watching:
                self._evaluate(key, t)
        elif kind == SIGNAL_DUE:
            sig = self.signals[key]
            reason = "not confirmed in time" if self.mode == Mode.SEMI else f"{MODE_LABELS[self.mode]} mode: not traded"
            self._end_signal(sig, "expired", reason)
        else:
            del self._position_due[key]
            pos = self.positions.get(key)
            if pos is not None:
                st = self.markets[key]
                st.expire(t)
                self._check_position(pos, st, t)
                self._schedule_position(pos, st)

    def _schedule_market(self, market: str, now: float) -> None:
        """The watching market's next timer: the earliest its active playbooks ask for."""
        st = self.markets[market]
        due = math.inf
        for det in self.detectors[market]:
            if det.active:
                d = det.next_deadline(now, st)
                if d is not None and d < due:
                    due = d
        if due == math.inf:
            self._market_due.pop(market, None)
            return
        if due <= now:  # a window expiry that rounding left one ulp short: look again just after
            due = math.nextafter(now, math.inf)
        if self._market_due.get(market) != due:
            self._market_due[market] = due
            self._deadlines.push(due, MARKET_DUE, market)

    def _schedule_signal(self, sig: Signal) -> None:
        """A raised signal expires at its own time unless it is taken, skipped or blocked first."""
        self._deadlines.push(sig.expires_ts, SIGNAL_DUE, sig.id)

    def _schedule_position(self, pos: Position, st: MarketState) -> None:
        """A position's next time-based check: its max hold, or (ride) the next expiry in its window,
        the only moments a draining window can make the exhaustion exit fire without an event."""
        if pos.exit_pending:
            self._position_due.pop(pos.market, None)
            return
        due = pos.max_hold_until
        if pos.playbook == "ride":
            w = st.side(pos.rides).window
            oldest = w.oldest_ts
            if oldest is not None and w.peak(pos.id) > 0:
                due = min(due, oldest + w.length)
        if due <= self._now:
            due = math.nextafter(self._now, math.inf)
        current = self._position_due.get(pos.market)
        if current is None or due < current:
            self._position_due[pos.market] = due
            self._deadlines.push(due, POSITION_DUE, pos.market)
