"""The ride's cheap-filter gate (issue 21): while the window, events or funding filter fails, a
frame on the watched market decides nothing without scoring it; the decision is the same as a full
evaluation on every frame, and the filter list the console reads is at most FILTERS_REFRESH_S old.
"""

from __future__ import annotations

import dataclasses

import core.signals as signals
from core.config import Config
from core.engine_events import SignalRaised
from tests.builders import BTC, T0, feed, liq, make_engine, mark


def _count_setups(monkeypatch) -> list[float]:
    """Engine times of every full ride evaluation (ride_setup scores and checks support)."""
    calls: list[float] = []
    real = signals.ride_setup

    def counted(st, side, now, cfg, fuel_map):
        calls.append(now)
        return real(st, side, now, cfg, fuel_map)

    monkeypatch.setattr(signals, "ride_setup", counted)
    return calls


def _cascade_without_funding(t0: float) -> list:
    """A long cascade on BTC, marks every 0.5 s without a funding rate, liquidations every 10 ms."""
    evs = [mark(t0 - 1.0, 60_000.0, funding=None)]
    evs += [mark(t0 + i * 0.5, 60_000.0 - i * 20, funding=None) for i in range(20)]
    evs.append(liq(t0, 1_000_000.0, "long", 60_000.0))  # starts the watch
    evs += [liq(t0 + 0.01 * i, 60_000.0, "long", 59_900.0) for i in range(1, 900)]
    return evs


def test_a_watch_failing_on_funding_is_not_scored_on_every_frame(monkeypatch):
    calls = _count_setups(monkeypatch)
    eng, clock = make_engine("auto")
    seen: list = []
    eng.subscribe(seen.append)
    feed(eng, clock, _cascade_without_funding(T0))  # 9 s: the entry window is open from +5 s
    det = eng.detectors[BTC][0]
    assert det.state == signals.WATCHING
    assert not [e for e in seen if isinstance(e, SignalRaised)]  # funding unknown: the filter fails
    frames_in_window = 900 - 500 + 8  # liquidations and marks after +5 s
    # refreshed for display about every 0.1 s (plus a frame each time a mark moves funding: none here)
    assert 30 <= len(calls) <= 50, (len(calls), frames_in_window)
    assert all(b - a >= signals.FILTERS_REFRESH_S - 1e-6 for a, b in zip(calls, calls[1:], strict=False))
    failing = [f.name for f in det.last_filters if not f.passed]
    assert failing == ["funding"] and det.last_filters[0].name == "window"


def test_the_frame_that_brings_funding_decides_at_once():
    eng, clock = make_engine("auto")
    seen: list = []
    eng.subscribe(seen.append)
    feed(eng, clock, _cascade_without_funding(T0))
    assert not [e for e in seen if isinstance(e, SignalRaised)]
    m = mark(T0 + 9.603, 59_600.0, funding=0.0004)  # longs crowded and paying: the ride's funding filter passes
    clock.set(m.ts_recv)
    eng.process(m)
    (raised,) = [e for e in seen if isinstance(e, SignalRaised)]
    assert raised.signal.raised_ts == T0 + 9.603  # at that frame, not at the next display refresh


def test_the_gate_changes_no_decision():
    """The same stream with the gate and with every frame fully evaluated: the same signals."""

    def run(gated: bool) -> list:
        cfg = Config()
        cfg.signal = dataclasses.replace(cfg.signal, window_min_usd=30_000_000.0)  # the window fails first
        eng, clock = make_engine("auto", cfg)
        seen: list = []
        eng.subscribe(seen.append)
        evs = [mark(T0 - 1.0, 60_000.0)]
        evs.append(liq(T0, 1_000_000.0, "long", 60_000.0))
        # the window grows past $30M at about +7.4 s, inside the entry window
        evs += [liq(T0 + 0.01 * i, 40_000.0, "long", 59_900.0) for i in range(1, 1_100)]
        first = evs[:2]
        feed(eng, clock, first)
        if not gated:
            for det in eng.detectors[BTC]:
                det.skips_frame = lambda now, st: False  # type: ignore[method-assign]
        skipped = 0
        (det,) = eng.detectors[BTC]
        for ev in evs[2:]:
            if det.skips_frame(ev.ts_recv, eng.markets[BTC]):
                skipped += 1
            feed(eng, clock, [ev])
        return [(e.signal.raised_ts, e.signal.window_usd) for e in seen if isinstance(e, SignalRaised)], skipped

    (gated, skipped), (full, none) = run(True), run(False)
    assert gated == full and len(gated) == 1
    assert skipped > 150 and none == 0  # the gate did skip frames where the window was short of $30M
