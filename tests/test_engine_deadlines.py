"""Decisions at the frame that makes them due and at exact deadlines (issue 21).

A watching market is evaluated after every frame that changed it; every time-based decision
(entry delay over, signal expiry, max hold) is handled at its own time by `advance`, on the
state as it was before the event that moved the clock past it. A source on a running clock
arms `DeadlineWaker`, so the decision does not wait for the next frame.
"""

from __future__ import annotations

import asyncio
import dataclasses

from core.config import Config
from core.deadlines import DeadlineWaker
from core.engine_events import ExitTriggered, OrderSubmitted, SignalEnded, SignalRaised
from tests.builders import BTC, T0, feed, liq, make_engine, mark, scripted_cascade


def _before(t: float):
    """The scripted cascade's events before `t` (its first large liquidation is at T0)."""
    evs, _, _ = scripted_cascade(T0)
    return [e for e in evs if e.ts_recv < t]


def _kinds(seen, kind):
    return [e for e in seen if isinstance(e, kind)]


def test_entry_is_decided_at_the_end_of_the_entry_delay_with_no_frame_then():
    eng, clock = make_engine("auto")
    seen: list = []
    eng.subscribe(seen.append)
    feed(eng, clock, _before(T0 + 4.9))  # the setup already holds; the delay (5 s) has not passed
    assert not _kinds(seen, SignalRaised)
    assert eng.next_deadline() == T0 + eng.cfg.signal.entry_delay_min_s
    clock.set(T0 + 7.3)  # the next thing to happen, 2.3 s after the delay ended
    eng.tick()
    (raised,) = _kinds(seen, SignalRaised)
    (order,) = _kinds(seen, OrderSubmitted)
    assert raised.ts == raised.signal.raised_ts == T0 + 5.0  # decided at the deadline, not at the tick
    assert order.ts == order.order.submitted_ts == T0 + 5.0


def test_a_deadline_is_decided_on_the_state_before_the_event_that_passes_it():
    eng, clock = make_engine("auto")
    seen: list = []
    eng.subscribe(seen.append)
    feed(eng, clock, _before(T0 + 4.9))
    window_before = eng.markets[BTC].long.window.total
    feed(eng, clock, [liq(T0 + 6.0, 5_000_000.0, "long", 59_800.0)])  # arrives after the delay ended
    (raised,) = _kinds(seen, SignalRaised)
    assert raised.signal.raised_ts == T0 + 5.0
    assert raised.signal.window_usd == window_before  # the $5M liquidation at +6 s is not in it


def test_entry_is_decided_after_the_frame_that_makes_it_due():
    cfg = Config()
    cfg.signal = dataclasses.replace(cfg.signal, window_min_usd=7_000_000.0)
    eng, clock = make_engine("auto", cfg)
    seen: list = []
    eng.subscribe(seen.append)
    feed(eng, clock, _before(T0 + 4.9))  # $6.3M in the window: short of $7M
    clock.set(T0 + 5.5)
    eng.tick()
    assert not _kinds(seen, SignalRaised)  # the delay is over, the window is not big enough
    frame = [liq(T0 + 5.63, 400_000.0, "long", 59_800.0), liq(T0 + 5.63, 500_000.0, "long", 59_790.0)]
    clock.set(T0 + 5.63)
    eng.process_many(frame)
    (raised,) = _kinds(seen, SignalRaised)
    assert raised.signal.raised_ts == T0 + 5.63  # at that frame, not on a re-check grid after it
    assert raised.signal.window_usd == eng.markets[BTC].long.window.total  # both events of the frame are in


def test_max_hold_exit_at_its_deadline():
    cfg = Config()
    cfg.exits = dataclasses.replace(cfg.exits, max_hold_s=2.0)
    eng, clock = make_engine("auto", cfg)
    seen: list = []
    eng.subscribe(seen.append)
    feed(eng, clock, _before(T0 + 4.9))
    clock.set(T0 + 5.5)
    eng.tick()  # the entry fills after the broker's latency
    pos = eng.positions[BTC]
    assert eng.next_deadline() is not None and eng.next_deadline() <= pos.max_hold_until
    clock.set(pos.max_hold_until + 1.7)
    eng.tick()
    (ex,) = _kinds(seen, ExitTriggered)
    assert ex.reason == "max_hold" and ex.ts == pos.max_hold_until


def test_an_unconfirmed_signal_expires_at_its_ttl():
    eng, clock = make_engine("semi")
    seen: list = []
    eng.subscribe(seen.append)
    feed(eng, clock, _before(T0 + 4.9))
    clock.set(T0 + 5.0)
    eng.tick()
    (raised,) = _kinds(seen, SignalRaised)
    assert eng.next_deadline() == raised.signal.expires_ts == T0 + 5.0 + eng.cfg.signal.signal_ttl_s
    clock.set(raised.signal.expires_ts + 3.0)
    eng.tick()
    (ended,) = _kinds(seen, SignalEnded)
    assert ended.signal.status == "expired" and ended.ts == raised.signal.expires_ts


def test_a_watch_that_never_develops_ends_at_its_timeout():
    eng, clock = make_engine("watch")
    feed(eng, clock, [mark(T0 - 1, 60_000.0), liq(T0, 200_000.0, "long")])  # starts a watch; nothing follows
    det = eng.detectors[BTC][0]
    assert det.active and eng.next_deadline() == T0 + eng.cfg.signal.entry_delay_min_s
    clock.set(T0 + 60.0)
    eng.tick()
    assert not det.active and "watch ended" in det.last_outcome
    assert eng.next_deadline() is None


class _LoopClock:
    """Engine time that runs with the event loop's own clock, from `start`."""

    def __init__(self, start: float) -> None:
        self._offset = start - asyncio.get_running_loop().time()

    def now(self) -> float:
        return self._offset + asyncio.get_running_loop().time()


async def test_the_waker_makes_the_entry_when_its_delay_ends_without_any_frame():
    eng, sim_clock = make_engine("auto")
    feed(eng, sim_clock, _before(T0 + 4.9))
    # from here engine time runs on the loop's clock, 0.2 s before the entry delay ends
    eng.clock = clock = _LoopClock(T0 + 4.8)  # type: ignore[assignment]
    raised = asyncio.Event()
    eng.subscribe(lambda ev: raised.set() if isinstance(ev, SignalRaised) else None)
    waker = DeadlineWaker(eng, clock.now)
    waker.start()
    try:
        await asyncio.wait_for(raised.wait(), timeout=10.0)  # no frame arrives: only the timer can do it
    finally:
        waker.stop()
    assert waker.wakes >= 1
    (order,) = eng.orders.values()
    assert order.submitted_ts == T0 + 5.0  # full-auto: entered at the deadline's time


async def test_a_live_entry_decided_at_its_deadline_reaches_the_exchange():
    """End to end against the fake venue on 127.0.0.1: the waker makes the entry at the end of the
    entry delay and the live broker's order request arrives after it (tests/fake_exchange/order_hop.py)."""
    from tests.fake_exchange.order_hop import measure_decisions

    for venue in ("binance", "bybit"):
        got = (await measure_decisions(venue, 1))["decision_to_exchange"]
        assert got["n"] == 1 and got["p50_ms"] > 0  # the request came after the deadline, never before it
