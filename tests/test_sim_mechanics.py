"""The building blocks: liquidation prices, the sorted population, the book's impact and refill."""

import math
import random

import pytest

from core.sim.order_book import OrderBook
from core.sim.positions import PositionBook, liquidation_price
from core.sim.resting_orders import RestingEntry, RestingOrders
from core.sim.universe import round_number_step


def test_liquidation_price_follows_leverage_and_maintenance_margin():
    assert liquidation_price(60_000, 10, True, 0.005) == pytest.approx(60_000 * (1 - 0.1 + 0.005))
    assert liquidation_price(60_000, 10, False, 0.005) == pytest.approx(60_000 * (1 + 0.1 - 0.005))
    assert liquidation_price(100, 100, True, 0.004) == pytest.approx(99.4)


def filled_book() -> PositionBook:
    book = PositionBook(0.005)
    rng = random.Random(1)
    for _ in range(500):
        book.open(rng.random() < 0.5, 60_000 * (1 + rng.uniform(-0.02, 0.02)), rng.choice([5, 10, 25, 50, 100]), 10_000)
    return book


def test_a_fall_takes_exactly_the_longs_at_or_above_the_price_highest_first():
    book = filled_book()
    crossed = book.take_crossed_longs(59_000)
    assert crossed and all(p.is_long and p.liq >= 59_000 for p in crossed)
    assert [p.liq for p in crossed] == sorted((p.liq for p in crossed), reverse=True)
    assert all(liq < 59_000 for liq in book.long_liq)
    assert book.long_liq == sorted(book.long_liq)


def test_a_rise_takes_exactly_the_shorts_at_or_below_the_price_lowest_first():
    book = filled_book()
    crossed = book.take_crossed_shorts(61_000)
    assert crossed and all(not p.is_long and p.liq <= 61_000 for p in crossed)
    assert [p.liq for p in crossed] == sorted(p.liq for p in crossed)
    assert all(liq > 61_000 for liq in book.short_liq)


def test_voluntary_close_removes_one_bundle_and_its_notional():
    book = filled_book()
    n, total = len(book), book.long_usd + book.short_usd
    pos = book.close_random(random.Random(3))
    assert len(book) == n - 1
    assert book.long_usd + book.short_usd == pytest.approx(total - pos.qty * pos.entry)


def test_imbalance_is_positive_when_longs_hold_more_notional():
    book = PositionBook(0.005)
    book.open(True, 100.0, 10, 3_000)
    book.open(False, 100.0, 10, 1_000)
    assert book.imbalance() == pytest.approx(0.5)


def test_impact_grows_with_size_but_less_than_linearly():
    def move(usd):
        book = OrderBook(10e6, refill_tau=30.0, permanent=0.0)
        book.take(usd, buy=False)
        return -book.displacement

    assert move(1e6) < move(4e6) < 4 * move(1e6)
    assert move(4e6) == pytest.approx(2 * move(1e6))
    assert move(10e6) == pytest.approx(0.01)


def test_the_book_refills_and_price_returns_towards_fair_value():
    book = OrderBook(10e6, refill_tau=30.0, permanent=0.2)
    permanent = book.take(5e6, buy=False)
    start = book.displacement
    assert permanent < 0 and start < 0
    for _ in range(30):
        book.relax(1.0)
    # one refill time constant drains the backlog by e, so the square-root displacement by sqrt(e)
    assert book.displacement == pytest.approx(start * math.exp(-0.5))
    for _ in range(600):
        book.relax(1.0)
    assert book.quiet and book.displacement == 0.0


def test_resting_entries_fill_when_price_reaches_their_level_and_expired_ones_do_not():
    orders = RestingOrders()
    orders.add(RestingEntry(59_000.0, True, 50, 1e5, expires=100.0), price=60_000.0)
    orders.add(RestingEntry(58_000.0, True, 50, 1e5, expires=5.0), price=60_000.0)
    orders.add(RestingEntry(61_000.0, False, 50, 1e5, expires=100.0), price=60_000.0)
    assert orders.take_filled(59_500.0, now=10.0) == []
    filled = orders.take_filled(57_900.0, now=10.0)
    assert [o.level for o in filled] == [59_000.0]
    assert len(orders) == 1


def test_round_number_step_is_a_1_2_5_step_near_half_to_one_percent():
    assert round_number_step(60_000) == 500
    assert round_number_step(3_000) == 50
    assert round_number_step(140) == 1
    for price in (0.012, 0.15, 0.55, 7.0, 600.0, 60_000.0):
        step = round_number_step(price)
        assert 0.0035 * price <= step <= 0.02 * price
