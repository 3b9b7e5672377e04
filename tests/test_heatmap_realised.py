"""The realised-liquidation overlay's compact ring against the tuple deque it replaced: same bins,
same floats, over random adds, expiry and the per-market cap."""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

import core.heatmap.realised as realised
from core.heatmap.realised import RealisedLiquidations


class TupleRows:
    """The reference: rows as (ts, price, usd, is_long) tuples in a bounded deque."""

    def __init__(self, keep_s: float, cap: int) -> None:
        self.keep_s = keep_s
        self.rows: deque = deque(maxlen=cap)

    def add(self, ts, price, usd, is_long) -> None:
        self.rows.append((ts, price, usd, is_long))

    def bins(self, price, pct, buckets, now):
        rows = self.rows
        while rows and rows[0][0] < now - self.keep_s:
            rows.popleft()
        lo = price * (1.0 - pct / 100.0)
        width = (2.0 * price * pct / 100.0) / buckets
        prices = [lo + width * (b + 0.5) for b in range(buckets)]
        longs, shorts = [0.0] * buckets, [0.0] * buckets
        for _, p, usd, is_long in rows:
            b = int((p - lo) // width)
            if 0 <= b < buckets:
                (longs if is_long else shorts)[b] += usd
        return prices, longs, shorts


steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"), st.floats(0, 5), st.floats(90, 110), st.floats(0.01, 1e6), st.booleans()
        ),  # parsers refuse a zero size
        st.tuples(st.just("bins"), st.floats(0, 30)),
    ),
    max_size=150,
)


@settings(max_examples=300, deadline=None)
@given(steps=steps, cap=st.sampled_from([3, 7, 50]))
def test_ring_bins_equal_the_tuple_rows_bins(steps, cap):
    old_cap = realised.MAX_PER_MARKET
    realised.MAX_PER_MARKET = cap  # a small cap so that the ring wraps and overwrites
    try:
        ring, ref = RealisedLiquidations(20.0), TupleRows(20.0, cap)
        t = 0.0
        for op in steps:
            if op[0] == "add":
                _, dt, price, usd, is_long = op
                t += dt
                ring.add(t, price, usd, is_long)
                ref.add(t, price, usd, is_long)
            else:
                now = t + op[1]
                assert ring.bins(100.0, 8.0, 12, now) == ref.bins(100.0, 8.0, 12, now)
            assert ring.rows() == list(ref.rows)
    finally:
        realised.MAX_PER_MARKET = old_cap
