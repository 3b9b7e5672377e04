"""RollingWindow against a brute-force recomputation, and its O(1) bookkeeping."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.rolling_window import RollingWindow


def brute(events, now, length):
    live = [(t, u) for t, u in events if t > now - length]
    return sum(u for _, u in live), len(live), max((u for _, u in live), default=0.0)


steps = st.lists(
    st.tuples(st.floats(0, 30, allow_nan=False), st.one_of(st.none(), st.floats(0.01, 5e6, allow_nan=False))),
    min_size=1,
    max_size=300,
)


@settings(max_examples=200, deadline=None)
@given(steps=steps, length=st.sampled_from([1.0, 5.0, 90.0]))
def test_window_matches_brute_force_over_random_streams_and_expiry_times(steps, length):
    w = RollingWindow(length)
    events = []
    now = 0.0
    for dt, usd in steps:
        now += dt
        if usd is None:
            w.expire(now)  # time passes with no event
        else:
            w.add(now, usd)
            events.append((now, usd))
        total, count, largest = brute(events, now, length)
        assert abs(w.total - total) <= 1e-6 * max(1.0, total)
        assert w.count == count
        assert w.largest == largest


@settings(max_examples=100, deadline=None)
@given(steps=steps)
def test_peak_since_tracking_equals_max_of_window_sums_after_start(steps):
    w = RollingWindow(10.0)
    events = []
    now = 0.0
    w.track_peak("p", now)
    peak = 0.0
    for dt, usd in steps:
        now += dt
        if usd is None:
            w.expire(now)
        else:
            w.add(now, usd)
            events.append((now, usd))
        peak = max(peak, brute(events, now, 10.0)[0])
        assert abs(w.peak("p") - peak) <= 1e-6 * max(1.0, peak)


def test_window_evicts_events_older_than_90s():
    w = RollingWindow(90)
    w.add(0.0, 100.0)
    w.add(50.0, 200.0)
    w.expire(90.0)
    assert w.total == 200.0 and w.count == 1


def test_burst_start_is_the_first_event_since_the_window_was_empty():
    w = RollingWindow(10)
    w.add(0.0, 1.0)
    w.add(5.0, 1.0)
    assert w.burst_start == 0.0
    w.add(30.0, 1.0)  # everything before expired
    assert w.burst_start == 30.0


def test_events_per_second_uses_the_occupied_span():
    w = RollingWindow(90)
    for i in range(10):
        w.add(100.0 + i, 1.0)
    assert abs(w.events_per_s(110.0) - 1.0) < 1e-9


def test_out_of_order_timestamps_never_rewind_the_window():
    w = RollingWindow(10)
    w.add(100.0, 1.0)
    w.add(95.0, 2.0)  # late: counted at 100
    w.expire(109.5)
    assert w.count == 2


def test_largest_follows_expiry():
    w = RollingWindow(10)
    w.add(0.0, 50.0)
    w.add(5.0, 10.0)
    w.expire(10.0)
    assert w.largest == 10.0


# -- WindowPair: two windows over one shared event log ---------------------------------------------
from core.rolling_window import COMPACT_AFTER, WindowPair  # noqa: E402

pair_steps = st.lists(
    st.tuples(st.floats(-2, 30, allow_nan=False), st.one_of(st.none(), st.floats(0.01, 5e6, allow_nan=False))),
    min_size=1,
    max_size=400,
)


@settings(max_examples=200, deadline=None)
@given(steps=pair_steps, lengths=st.sampled_from([(90.0, 10.0), (5.0, 1.0), (10.0, 30.0), (7.0, 7.0)]))
def test_window_pair_holds_exactly_what_two_rolling_windows_hold(steps, lengths):
    """Same floats (not just close): the pair must not change any engine decision. Negative steps
    are out-of-order events (clamped), None is time passing with only an expiry."""
    long_len, short_len = lengths
    pair, a, b = WindowPair(long_len, short_len), RollingWindow(long_len), RollingWindow(short_len)
    pair.window.track_peak("p", 0.0)
    a.track_peak("p", 0.0)
    now = 0.0
    for dt, usd in steps:
        now += dt
        if usd is None:
            pair.window.expire(now)
            a.expire(now)
            pair.short.expire(now)
            b.expire(now)
        else:
            pair.add(now, usd)
            a.add(now, usd)
            b.add(now, usd)
        for w, ref in ((pair.window, a), (pair.short, b)):
            assert w.total == ref.total and w.count == ref.count
            assert w.burst_start == ref.burst_start and w.oldest_ts == ref.oldest_ts
            assert w.events_per_s(now) == ref.events_per_s(now) and w.usd_per_s(now) == ref.usd_per_s(now)
        assert pair.window.peak("p") == a.peak("p")


def test_window_pair_log_stays_bounded_by_what_the_windows_hold():
    pair = WindowPair(10.0, 2.0)
    for i in range(20 * COMPACT_AFTER):
        pair.add(i * 0.01, 1.0)  # 100 events/s: the long window holds ~1,000
    assert pair.window.count == 1000
    assert len(pair._ts) < 1000 + 2 * COMPACT_AFTER + 1
