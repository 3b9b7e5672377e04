"""The bucket store's O(1) tricks (lazy decay, scale-only OI removal) against a naive map."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.heatmap.buckets import LogGrid, MarketLevels
from core.heatmap.margin import BINANCE_MAJOR, liquidation_price, table_for

HALF = 100.0

ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.booleans(), st.integers(-20, 20), st.floats(1, 1e6)),
        st.tuples(st.just("mul"), st.floats(0.0, 1.0)),
        st.tuples(st.just("wait"), st.floats(0, 5000)),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(ops)
def test_lazy_scale_matches_a_naive_map(seq):
    lv = MarketLevels(HALF, 0.0)
    naive: dict[tuple[bool, int], float] = {}
    t = 0.0
    for op in seq:
        if op[0] == "add":
            _, is_long, i, usd = op
            lv.add(is_long, i, usd, t)
            naive[(is_long, i)] = naive.get((is_long, i), 0.0) + usd
        elif op[0] == "mul":
            lv.multiply(op[1], t)
            naive = {k: v * op[1] for k, v in naive.items()}
        else:
            t += op[1]
            naive = {k: v * 0.5 ** (op[1] / HALF) for k, v in naive.items()}
    for (is_long, i), v in naive.items():
        assert math.isclose(lv.usd(is_long, i, t), v, rel_tol=1e-6, abs_tol=1e-6)


def test_grid_buckets_have_equal_relative_width():
    g = LogGrid(0.1)
    i = g.index(60_000.0)
    assert g.lower(i) <= 60_000.0 < g.lower(i + 1)
    assert g.lower(i + 1) / g.lower(i) == pytest.approx(1.001)


def test_moving_price_clears_only_crossed_buckets():
    lv = MarketLevels(HALF, 0.0)
    lv.move_price(0, 0.0)
    for i in (-1, -5, -10):
        lv.add(True, i, 1.0, 0.0)
    for i in (1, 5):
        lv.add(False, i, 1.0, 0.0)
    assert lv.move_price(-5, 0.0) == (2.0, 0.0)  # -1 and -5 crossed
    assert lv.move_price(5, 0.0) == (0.0, 2.0)
    assert list(lv.long) == [-10] and not lv.short


def test_binance_tiers_give_an_effective_rate_continuous_at_the_edges():
    # 500k is in the 250k–1M tier (1 %): maintenance amount 50k×0.1 % + 250k×0.5 % = 1,300
    assert BINANCE_MAJOR.effective_rate(500_000) == pytest.approx(0.01 - 1300 / 500_000)
    assert BINANCE_MAJOR.effective_rate(50_000) == 0.004
    assert BINANCE_MAJOR.max_leverage(500_000) == 50
    for edge in (50_000, 250_000, 1_000_000, 10_000_000):
        assert math.isclose(
            BINANCE_MAJOR.effective_rate(edge), BINANCE_MAJOR.effective_rate(edge * (1 + 1e-9)), rel_tol=1e-6
        )


def test_linear_and_inverse_liquidation_prices():
    assert liquidation_price(100.0, 10, True, 0.005) == 100.0 * (1 - 0.1 + 0.005)
    assert liquidation_price(100.0, 10, False, 0.005) == 100.0 * (1 + 0.1 - 0.005)
    assert liquidation_price(100.0, 10, True, 0.005, inverse=True) == 100.0 * 1.005 / 1.1
    assert table_for("bitmex", "BTC-USD-PERP", inverse=True).inverse


def _scan_take_near(book: dict, i: int, radius: int, usd: float, s: float) -> float:
    """The reference: walk every bucket by distance from i (lower first), as take_near used to."""
    left = usd
    for k in range(radius + 1):
        for j in (i,) if k == 0 else (i - k, i + k):
            raw = book.get(j)
            if not raw:
                continue
            have = raw * s
            if have <= left:
                del book[j]
                left -= have
            else:
                book[j] = (have - left) / s
                return usd
            if left <= 0.0:
                return usd
    return usd - left


def _scan_move_price(lv: MarketLevels, i: int, ts: float) -> tuple[float, float]:
    """The reference: pop every bucket index the price crossed, as move_price used to."""
    lv.price_idx = i
    s = lv.scale_at(ts)
    long_gone = short_gone = 0.0
    if lv.long_top is not None and lv.long_top >= i:
        for j in range(i, lv.long_top + 1):
            raw = lv.long.pop(j, None)
            if raw:
                long_gone += raw
        lv.long_top = i - 1 if lv.long else None
    if lv.short_bottom is not None and lv.short_bottom <= i:
        for j in range(lv.short_bottom, i + 1):
            raw = lv.short.pop(j, None)
            if raw:
                short_gone += raw
        lv.short_bottom = i + 1 if lv.short else None
    return long_gone * s, short_gone * s


level_ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.booleans(), st.integers(-30, 30), st.floats(0.5, 1e6)),
        st.tuples(st.just("take"), st.booleans(), st.integers(-35, 35), st.integers(0, 6), st.floats(0.5, 3e6)),
        st.tuples(st.just("price"), st.integers(-25, 25)),
        st.tuples(st.just("wait"), st.floats(0, 500)),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(level_ops)
def test_take_near_and_price_moves_visit_occupied_buckets_with_the_scanning_walks_results(seq):
    """The sorted occupied-index lists give the same floats as walking every bucket."""
    lv = MarketLevels(HALF, 0.0)
    ref = MarketLevels(HALF, 0.0)  # its dicts are driven by the reference walk below
    t = 0.0
    for op in seq:
        if op[0] == "add":
            assert lv.add(op[1], op[2], op[3], t) == ref.add(op[1], op[2], op[3], t)
        elif op[0] == "take":
            _, is_long, i, radius, usd = op
            got = lv.take_near(is_long, i, radius, usd, t)
            want = _scan_take_near(ref.long if is_long else ref.short, i, radius, usd, ref.scale_at(t))
            assert got == want
        elif op[0] == "price":
            assert lv.move_price(op[1], t) == _scan_move_price(ref, op[1], t)
        else:
            t += op[1]
        ref.long_keys, ref.short_keys = sorted(ref.long), sorted(ref.short)  # the reference walks don't keep them
        assert lv.long == ref.long and lv.short == ref.short
        assert lv.long_keys == sorted(lv.long) and lv.short_keys == sorted(lv.short)
