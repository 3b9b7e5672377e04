"""Funding leans with the long/short imbalance; open interest follows positions opened and closed."""

import dataclasses
import itertools
import statistics

from core.sim.market_sim import Simulator
from core.sim.scenario import get_scenario

BTC = "BTC-USDT-PERP"


def funding_rates(long_bias: float) -> list[float]:
    scenario = dataclasses.replace(get_scenario("normal"), long_bias=long_bias)
    sim = Simulator(scenario, seed=9, markets=5)
    return [e.funding_rate for e in sim.run(1800.0, chunk=300.0) if e.kind == "mark"]


def test_funding_is_positive_when_longs_crowd_the_market():
    assert statistics.mean(funding_rates(+0.25)) > 0.0002


def test_funding_is_negative_when_shorts_crowd_the_market():
    assert statistics.mean(funding_rates(-0.25)) < 0.0


def test_open_interest_rises_and_falls_as_positions_open_and_close():
    sim = Simulator("calm", seed=4, markets=3)
    qty = [e.oi_qty for e in sim.run(3600.0, chunk=600.0) if e.kind == "open_interest" and e.market == BTC]
    steps = [b - a for a, b in itertools.pairwise(qty)]
    assert sum(s > 0 for s in steps) >= 20
    assert sum(s < 0 for s in steps) >= 20


def test_open_interest_drops_when_a_crash_liquidates_longs():
    sim = Simulator("crash", seed=7, markets=2)
    events = list(sim.run(600.0, chunk=60.0))
    oi = [(e.ts_recv - sim.start_ts, e.oi_qty) for e in events if e.kind == "open_interest" and e.market == BTC]
    before = [q for t, q in oi if t < 120]
    after = [q for t, q in oi if 300 < t < 600]
    liquidated = sum(e.qty for e in events if e.kind == "liquidation" and e.market == BTC)
    assert min(after) < before[-1] - 0.5 * liquidated
