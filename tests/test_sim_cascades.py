"""Cascades come out of the mechanism: forced orders move price into the next liquidation cluster."""

import dataclasses
import statistics

import pytest

from core.sim.market_sim import Simulator
from core.sim.scenario import get_scenario

BTC = "BTC-USDT-PERP"
CRASH_SECONDS = 900.0


@pytest.fixture(scope="module")
def crash():
    sim = Simulator("crash", seed=7, markets=20)
    events = list(sim.run(CRASH_SECONDS, chunk=60.0))
    return sim, events


def marks(events, market):
    return [(e.ts_recv, e.mark) for e in events if e.kind == "mark" and e.market == market]


def max_drop_within(series, seconds):
    """Largest fall from a price to a later one at most `seconds` later, as a fraction."""
    worst = 0.0
    for i, (t0, p0) in enumerate(series):
        for t1, p1 in series[i + 1 :]:
            if t1 - t0 > seconds:
                break
            worst = max(worst, 1.0 - p1 / p0)
    return worst


def test_crash_liquidations_cluster_in_a_60s_window(crash):
    _, events = crash
    longs = [e for e in events if e.kind == "liquidation" and e.market == BTC and e.side == "long"]
    best_usd, best_n = 0.0, 0
    for i, first in enumerate(longs):
        window = [e for e in longs[i:] if e.ts_recv - first.ts_recv <= 60.0]
        best_usd = max(best_usd, sum(e.usd for e in window))
        best_n = max(best_n, len(window))
    assert best_usd >= 5_000_000
    assert best_n >= 50


def test_crash_moves_btc_more_than_1pct_within_a_minute(crash):
    _, events = crash
    assert max_drop_within(marks(events, BTC), 60.0) >= 0.01


def test_crash_low_is_followed_by_a_partial_rebound(crash):
    sim, events = crash
    fractions = []
    for market in sim.markets:
        series = [p for _, p in marks(events, market)]
        start = series[50]  # t+100 s, before the sell programme begins at t+120 s
        low = min(series)
        i = series.index(low)
        fractions.append((max(series[i : i + 150]) - low) / (start - low))  # 300 s after the low
    assert 0.1 <= statistics.median(fractions) < 0.9


def test_crash_liquidates_mostly_longs_across_markets(crash):
    sim, events = crash
    long_usd = sum(e.usd for e in events if e.kind == "liquidation" and e.side == "long")
    short_usd = sum(e.usd for e in events if e.kind == "liquidation" and e.side == "short")
    assert long_usd > 5 * short_usd
    hit = {e.market for e in events if e.kind == "liquidation" and e.side == "long" and e.ts_recv > sim.start_ts + 120}
    assert len(hit) >= 15


def test_forced_selling_amplifies_the_sell_programme():
    """The same sell programme on a book 20x deeper (so forced orders barely move price) drops BTC less."""

    def btc_low(scenario):
        sim = Simulator(scenario, seed=7, markets=3)
        return min(e.mark for e in sim.run(600.0, chunk=60.0) if e.kind == "mark" and e.market == BTC) / 60_000.0

    crash = get_scenario("crash")
    deep = dataclasses.replace(crash, depth_btc_usd_per_pct=crash.depth_btc_usd_per_pct * 20)
    assert btc_low(crash) < btc_low(deep) - 0.003


def test_ground_truth_episodes_match_the_emitted_liquidations(crash):
    sim, events = crash
    done = [ep for ep in sim.episodes if ep.done]
    assert len(done) >= 10
    for ep in done:
        mine = [
            e
            for e in events
            if e.kind == "liquidation"
            and e.market == ep.market
            and e.side == ep.side
            and ep.start_ts <= e.ts_recv <= ep.end_ts
        ]
        assert len(mine) == ep.events
        assert sum(e.usd for e in mine) == pytest.approx(ep.total_usd, rel=1e-9)
        prices = [e.price for e in mine]
        if ep.side == "long":
            assert ep.extreme_price <= min(prices) * 1.001 and ep.move_pct < 0
        else:
            assert ep.extreme_price >= max(prices) * 0.999 and ep.move_pct > 0
        assert ep.end_price is not None and ep.end_price > 0


def test_crash_has_btc_episode_of_at_least_5m_usd(crash):
    sim, _ = crash
    assert max(ep.total_usd for ep in sim.episodes if ep.market == BTC) >= 5_000_000


def test_normal_run_has_liquidations_that_fizzle_as_well_as_cascades():
    # an hour: calibrated to ordinary days, `normal` has a few cascades an hour (~90 a day on 20 markets)
    sim = Simulator("normal", seed=7, markets=20)
    liqs = [e for e in sim.run(3600.0, chunk=300.0) if e.kind == "liquidation"]
    last_seen: dict[tuple[str, str], float] = {}
    bursts = 0  # runs of liquidations on one market and side with no gap over 15 s
    for e in liqs:
        key = (e.market, e.side)
        if e.ts_recv - last_seen.get(key, -1e18) > 15.0:
            bursts += 1
        last_seen[key] = e.ts_recv
    assert len(sim.episodes) >= 5
    assert bursts >= 3 * len(sim.episodes)  # most bursts die out before they become cascades


def test_calm_hour_has_few_or_no_cascades():
    sim = Simulator("calm", seed=7, markets=20)
    for _ in sim.run(3600.0, chunk=600.0):
        pass
    assert len(sim.episodes) <= 2
