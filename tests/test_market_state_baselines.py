"""`apply_liquidation` updates a side's baselines inline (it runs for every liquidation); the figures
must be exactly those of the `DecayedRates` and `DecayedRate` objects fed the same times and sizes,
including out-of-order and repeated times."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import Config
from core.events import Liquidation
from core.market_state import DecayedRate, DecayedRates, apply_liquidation, new_market_state

T0 = 1_767_225_600.0


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.floats(min_value=-3.0, max_value=30.0),  # seconds after the previous event (some go back)
            st.floats(min_value=0.0, max_value=5e6),
            st.sampled_from(("long", "short")),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_inline_baselines_equal_the_decayed_rate_objects(steps):
    cfg = Config()
    state = new_market_state("BTC-USDT-PERP", cfg)
    halflife = cfg.window.baseline_halflife_s
    pairs = {side: DecayedRates(halflife) for side in ("long", "short")}
    singles = {side: (DecayedRate(halflife), DecayedRate(halflife)) for side in ("long", "short")}
    t = T0
    for dt, usd, side in steps:
        t += dt
        apply_liquidation(state, Liquidation("binance", "BTC-USDT-PERP", "BTCUSDT", side, 60_000.0, 1.0, usd, t, t))
        pairs[side].add(t, usd)
        singles[side][0].add(t, 1.0)
        singles[side][1].add(t, usd)
    for side in ("long", "short"):
        got = state.side(side)
        for now in (t, t + 7.5, t + 600.0):
            assert got.baseline_events.rate(now) == pairs[side].events_rate(now) == singles[side][0].rate(now)
            assert got.baseline_usd.rate(now) == pairs[side].usd_rate(now) == singles[side][1].rate(now)
