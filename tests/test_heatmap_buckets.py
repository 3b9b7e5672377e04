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
        assert math.isclose(BINANCE_MAJOR.effective_rate(edge), BINANCE_MAJOR.effective_rate(edge * (1 + 1e-9)), rel_tol=1e-6)


def test_linear_and_inverse_liquidation_prices():
    assert liquidation_price(100.0, 10, True, 0.005) == 100.0 * (1 - 0.1 + 0.005)
    assert liquidation_price(100.0, 10, False, 0.005) == 100.0 * (1 + 0.1 - 0.005)
    assert liquidation_price(100.0, 10, True, 0.005, inverse=True) == 100.0 * 1.005 / 1.1
    assert table_for("bitmex", "BTC-USD-PERP", inverse=True).inverse
