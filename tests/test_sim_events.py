"""What the simulator emits looks like a live venue's normalised feed."""

import bisect
import math
from collections import Counter, defaultdict

import pytest

from core.events import Liquidation, MarkPrice, Trade, market_name
from core.sim.calibration import hill_alpha
from core.sim.market_sim import Simulator
from core.sim.scenario import SCENARIOS, get_scenario
from core.sim.traders import ACCOUNT_FLOOR_BTC

SECONDS = 1800.0


@pytest.fixture(scope="module")
def volatile():
    sim = Simulator("volatile", seed=4, markets=10)
    return sim, list(sim.run(SECONDS, chunk=90.0))


def test_events_are_in_time_order_with_receive_equal_to_event_time(volatile):
    _, events = volatile
    ts = [e.ts_recv for e in events]
    assert ts == sorted(ts)
    assert all(e.ts_event == e.ts_recv for e in events)


def test_all_prices_sizes_and_funding_are_finite_and_sane(volatile):
    _, events = volatile
    for e in events:
        assert e.venue == "sim"
        if isinstance(e, Liquidation):
            values = (e.price, e.qty, e.usd)
        elif isinstance(e, Trade):
            values = (e.price, e.qty)
        elif isinstance(e, MarkPrice):
            values = (e.mark, e.index)
            assert math.isfinite(e.funding_rate) and abs(e.funding_rate) <= 0.003
            assert e.next_funding_ts > e.ts_recv and e.next_funding_ts % (8 * 3600) == 0
        else:
            values = (e.oi_usd, e.oi_qty)
        assert all(math.isfinite(v) and v > 0 for v in values), e


def test_every_kind_is_emitted_for_every_market(volatile):
    sim, events = volatile
    kinds = {(e.market, e.kind) for e in events}
    for market in sim.markets:
        for kind in ("liquidation", "trade", "mark", "open_interest"):
            assert (market, kind) in kinds


def test_marks_every_2s_and_open_interest_every_8s_per_market(volatile):
    sim, events = volatile
    counts = Counter((e.market, e.kind) for e in events)
    for market in sim.markets:
        assert counts[(market, "mark")] == pytest.approx(SECONDS / 2, abs=2)
        assert counts[(market, "open_interest")] == pytest.approx(SECONDS / 8, abs=2)


def test_background_trades_are_about_one_per_market_per_second_or_fewer():
    sim = Simulator("calm", seed=2, markets=5)
    trades = Counter(e.market for e in sim.run(600.0, chunk=60.0) if e.kind == "trade")
    assert all(100 <= n <= 720 for n in trades.values()), trades


def test_long_liquidations_follow_falls_and_short_liquidations_follow_rises(volatile):
    _, events = volatile
    history = defaultdict(lambda: ([], []))  # market -> (times, prices) from marks and trades
    agree = total = 0
    for e in events:
        if isinstance(e, (MarkPrice, Trade)):
            times, prices = history[e.market]
            times.append(e.ts_recv)
            prices.append(e.mark if isinstance(e, MarkPrice) else e.price)
        elif isinstance(e, Liquidation):
            times, prices = history[e.market]
            i = bisect.bisect_left(times, e.ts_recv - 30.0)
            if i >= len(times) or times[0] > e.ts_recv - 30.0:
                continue
            earlier = prices[i]
            total += 1
            agree += (e.price < earlier) if e.side == "long" else (e.price > earlier)
    assert total > 200
    assert agree / total >= 0.9


def test_btc_liquidation_sizes_are_heavy_tailed(volatile):
    _, events = volatile
    sizes = sorted(e.usd for e in events if e.kind == "liquidation" and e.market == "BTC-USDT-PERP")
    assert sizes[0] >= ACCOUNT_FLOOR_BTC  # the smallest single account
    assert sizes[-1] > 50 * sizes[len(sizes) // 2]
    # a Pareto tail, but not the old infinite-variance one (α ≈ 1.2): calibrated towards α ≈ 1.5–2
    alpha = hill_alpha(sizes, top_share=0.05, min_k=20)
    assert alpha is not None and 1.3 <= alpha <= 3.0


def test_markets_are_canonical_with_btc_first():
    sim = Simulator("normal", seed=1, markets=12)
    assert len(sim.markets) == 12
    assert sim.markets[:3] == [market_name("BTC"), market_name("ETH"), market_name("SOL")]
    assert 55_000 < sim.price("BTC-USDT-PERP") < 65_000
    assert 2_700 < sim.price("ETH-USDT-PERP") < 3_300


def test_instruments_have_venue_sim_and_realistic_steps():
    inst = {i.market: i for i in Simulator("normal", seed=1, markets=50).instruments()}
    btc = inst["BTC-USDT-PERP"]
    assert (btc.venue, btc.symbol, btc.tick_size, btc.lot_size) == ("sim", "BTCUSDT", 0.1, 0.001)
    assert len(inst) == 50
    assert all(i.tick_size > 0 and i.lot_size > 0 for i in inst.values())


def test_market_count_outside_1_to_50_is_rejected():
    with pytest.raises(ValueError, match="markets"):
        Simulator(markets=0)
    with pytest.raises(ValueError, match="markets"):
        Simulator(markets=51)


def test_unknown_scenario_error_names_the_valid_ones():
    with pytest.raises(ValueError) as err:
        get_scenario("apocalypse")
    for name in SCENARIOS:
        assert name in str(err.value)


def test_unknown_market_lookup_is_a_value_error():
    with pytest.raises(ValueError, match="unknown market"):
        Simulator(markets=2).price("DOGE-USDT-PERP")


def test_true_liquidation_levels_bracket_the_price():
    sim = Simulator("calm", seed=3, markets=3)
    sim.advance_to(sim.start_ts + 600)
    for market in sim.markets:
        levels = sim.true_liquidation_levels(market)
        price = sim.price(market)
        assert [lvl[0] for lvl in levels] == sorted(lvl[0] for lvl in levels)
        assert all(p < price for p, _, side in levels if side == "long")
        assert all(p > price for p, _, side in levels if side == "short")
        assert all(usd > 0 for _, usd, _ in levels)


def test_true_liquidation_levels_cluster_under_round_number_entries():
    """Entries bunch at round numbers, so each leverage tier piles liquidations at one price."""
    sim = Simulator("normal", seed=5, markets=1)
    sim.advance_to(sim.start_ts + 3600)
    levels = sim.true_liquidation_levels("BTC-USDT-PERP")
    rounded = Counter(round(p, 2) for p, _, _ in levels)
    stacked = sum(n for n in rounded.values() if n >= 5)
    assert stacked / len(levels) >= 0.15
