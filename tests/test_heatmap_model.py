"""The heatmap estimator on hand-computed cases: one venue ('sim', mmr 0.45 %), one 10× tier."""

from __future__ import annotations

import math
from functools import partial

import pytest

from core.clock import SimClock
from core.events import Liquidation, MarkPrice, OpenInterest, Trade
from core.heatmap import HeatmapConfig, HeatmapEstimator

T0 = 1_767_225_600.0
M = "BTC-USDT-PERP"
MMR = 0.0045
LONG_LIQ = 100.0 * (1 - 1 / 10 + MMR)  # 90.45
SHORT_LIQ = 100.0 * (1 + 1 / 10 - MMR)  # 109.55
HALF_LIFE = 3600.0
NO_DECAY = 30 * 86400.0  # longest half-life allowed: seconds-long tests see no decay at 1e-5
approx = partial(pytest.approx, rel=1e-5)


def trade(ts: float, price: float) -> Trade:
    return Trade("sim", M, "BTCUSDT", price, 1.0, "buy", ts, ts)


def oi(ts: float, qty: float, price: float = 100.0) -> OpenInterest:
    return OpenInterest("sim", M, "BTCUSDT", qty * price, ts, ts, qty)


def liquidation(ts: float, side: str, price: float, usd: float) -> Liquidation:
    return Liquidation("sim", M, "BTCUSDT", side, price, usd / price, usd, ts, ts)  # type: ignore[arg-type]


def make(**over) -> tuple[HeatmapEstimator, SimClock]:
    base = dict(leverages=[10], leverage_weights=[1.0], seed_spread_pct=0.0, half_life_s=NO_DECAY)
    cfg = HeatmapConfig(**{**base, **over})
    clock = SimClock(T0)
    return HeatmapEstimator(cfg, clock), clock


def opened_at_100(est: HeatmapEstimator, clock: SimClock) -> None:
    """OI 1000 → 1010 BTC at price 100: $1,000 of new positions, half long, half short."""
    for ev in (trade(T0, 100.0), oi(T0, 1000.0), trade(T0 + 4, 100.0), oi(T0 + 8, 1010.0)):
        clock.set(ev.ts_recv)
        est.observe(ev)


def bucket_usd(est: HeatmapEstimator, long: bool, price: float) -> float:
    levels = est._markets[M].levels
    return levels.usd(long, est.grid.index(price), est.clock.now())


def test_oi_increase_puts_levels_exactly_where_the_formula_does():
    est, clock = make()
    opened_at_100(est, clock)
    # USD force-traded at the level = qty × liquidation price = $500 / 100 × 90.45
    assert bucket_usd(est, True, LONG_LIQ) == approx(500.0 * LONG_LIQ / 100.0)
    assert bucket_usd(est, False, SHORT_LIQ) == approx(500.0 * SHORT_LIQ / 100.0)
    assert est.bucket_count(M) == 2
    assert est.totals(M) == approx((452.25, 547.75))


def test_fuel_ahead_counts_levels_within_the_range_in_the_cascade_direction():
    est, clock = make()
    opened_at_100(est, clock)
    assert est.fuel_ahead(M, "long", 100.0, 10.0) == approx(452.25)
    assert est.fuel_ahead(M, "long", 100.0, 9.0) == 0.0  # the level is 9.55 % below
    assert est.fuel_ahead(M, "short", 100.0, 10.0) == approx(547.75)


def test_first_oi_reading_without_seed_places_nothing():
    est, clock = make()
    for ev in (trade(T0, 100.0), oi(T0, 1000.0)):
        est.observe(ev)
    assert est.totals(M) == (0.0, 0.0)
    assert est.fuel_ahead(M, "long", 100.0, 10.0) == 0.0  # known (OI is tracked), and empty


def test_unknown_market_answers_unknown():
    est, _ = make()
    assert est.fuel_ahead(M, "long", 100.0, 2.0) is None
    assert not est.support_within(M, "long", 100.0, 3.0, 1.0).known


def test_price_trading_through_a_level_consumes_it():
    est, clock = make()
    opened_at_100(est, clock)
    est.observe(trade(T0 + 9, 91.0))  # above 90.45: still there
    assert est.totals(M)[0] == approx(452.25)
    est.observe(trade(T0 + 10, 90.40))
    assert est.totals(M) == approx((0.0, 547.75))
    est.observe(trade(T0 + 11, 100.0))  # coming back does not bring it back
    assert est.totals(M)[0] == 0.0


def test_oi_decrease_removes_mass_proportionally():
    est, clock = make()
    opened_at_100(est, clock)
    clock.set(T0 + 16)
    est.observe(oi(T0 + 16, 1010.0 - 101.0))  # 10 % of open interest closed
    assert est.totals(M) == approx((452.25 * 0.9, 547.75 * 0.9))


def test_oi_decrease_explained_by_liquidations_is_not_removed_twice():
    est, clock = make(liquidation_consume_pct=0.0)
    opened_at_100(est, clock)
    clock.set(T0 + 12)
    est.observe(liquidation(T0 + 12, "long", 80.0, 800.0))  # 10 BTC, far from our level
    est.observe(oi(T0 + 16, 1000.0))
    assert est.totals(M) == approx((452.25, 547.75))


def test_realised_liquidation_consumes_mass_near_its_price():
    est, clock = make()
    opened_at_100(est, clock)
    est.observe(liquidation(T0 + 12, "long", 90.5, 200.0))
    assert est.totals(M)[0] == approx(252.25)
    est.observe(liquidation(T0 + 13, "long", 95.0, 200.0))  # nothing within 0.3 % of 95
    assert est.totals(M)[0] == approx(252.25)


def test_liquidation_reported_after_price_crossed_its_level_takes_nothing_more():
    est, clock = make(leverages=[10, 20], leverage_weights=[1.0, 1.0])
    opened_at_100(est, clock)
    long20 = 100.0 * (1 - 1 / 20 + MMR)  # 95.45, $250 × 0.9545
    est.observe(trade(T0 + 10, 95.40))
    est.observe(liquidation(T0 + 11, "long", 95.40, 238.625))
    assert est.totals(M)[0] == approx(250.0 * LONG_LIQ / 100.0)
    assert bucket_usd(est, True, long20) == 0.0


def test_decay_halves_mass_after_one_half_life():
    est, clock = make(half_life_s=HALF_LIFE)
    opened_at_100(est, clock)
    clock.advance(HALF_LIFE)
    assert est.totals(M) == approx((452.25 / 2, 547.75 / 2))
    assert est.fuel_ahead(M, "long", 100.0, 10.0) == approx(452.25 / 2)


def test_funding_tilts_new_positions_towards_the_side_paying():
    est, clock = make(funding_tilt=0.5)
    est.observe(MarkPrice("sim", M, "BTCUSDT", 100.0, 0.0003, None, T0, T0))  # 0.02 % above neutral → +0.1
    opened_at_100(est, clock)
    long_usd, short_usd = est.totals(M)
    assert long_usd == approx(1000.0 * 0.6 * LONG_LIQ / 100.0)
    assert short_usd == approx(1000.0 * 0.4 * SHORT_LIQ / 100.0)


def test_support_is_a_large_opposing_cluster_within_range():
    est, clock = make(leverages=[50], leverage_weights=[1.0])
    opened_at_100(est, clock)  # 50×: longs at 98.45, shorts at 101.55
    long_cascade = est.support_within(M, "long", 100.0, 3.0, 400.0)
    assert long_cascade.blocks  # short levels 1.55 % above: a snap-back squeezes into them
    assert long_cascade.distance_pct == approx(1.55, abs=0.1)
    assert not est.support_within(M, "long", 100.0, 1.0, 400.0).blocks  # out of range
    assert not est.support_within(M, "long", 100.0, 3.0, 600.0).blocks  # too small
    assert est.support_within(M, "long", 100.0, 1.0, 600.0).known


def test_order_book_depth_in_the_cascade_path_counts_as_support():
    est, clock = make()
    opened_at_100(est, clock)
    est.observe_depth(M, bids=[(99.0, 5_000.0)], asks=[], ts=T0 + 8)
    check = est.support_within(M, "long", 100.0, 3.0, 1_000.0)
    assert check.blocks and check.price == approx(99.0, rel=2e-3)
    clock.advance(60.0)  # stale depth is ignored
    assert not est.support_within(M, "long", 100.0, 3.0, 1_000.0).blocks


def test_nearest_cluster_reports_price_and_distance():
    est, clock = make()
    opened_at_100(est, clock)
    c = est.nearest_cluster(M, "long", 100.0, min_usd=100.0, max_pct=15.0)
    assert c is not None and c.price == approx(LONG_LIQ, rel=1e-3) and c.usd == approx(452.25)
    assert c.distance_pct == approx(9.55, abs=0.1)


def test_levels_bins_the_estimate_for_display():
    est, clock = make()
    opened_at_100(est, clock)
    prices, longs, shorts = est.levels(M, 100.0, pct=10.0, buckets=20)
    assert len(prices) == len(longs) == len(shorts) == 20
    assert sum(longs) == approx(452.25) and longs[0] == approx(452.25)  # 90–91 bin
    assert sum(shorts) == approx(547.75) and shorts[-1] == approx(547.75)
    _, rl, rs = est.realised_levels(M, 100.0, pct=10.0, buckets=20)
    assert sum(rl) == sum(rs) == 0.0


def test_an_oi_update_touches_at_most_two_buckets_per_tier():
    est, clock = make(leverages=[5, 10, 20, 25, 50, 75, 100], leverage_weights=[1.0] * 7)
    opened_at_100(est, clock)
    assert est.bucket_count(M) <= 2 * 7


def test_memory_stays_bounded_on_a_long_random_walk():
    import random

    rng = random.Random(3)
    est, clock = make(leverages=[5, 10, 20, 25, 50, 75, 100], leverage_weights=[1.0] * 7, range_pct=10.0)
    price, qty, t = 100.0, 1000.0, T0
    for _ in range(20_000):
        t += 1.0
        price *= math.exp(rng.gauss(0, 0.003))
        qty += rng.uniform(0, 2)
        clock.set(t)
        est.observe(trade(t, price))
        est.observe(oi(t, qty, price))
    assert est.bucket_count(M) <= 4 * est.grid.span(10.0)
