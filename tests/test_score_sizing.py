"""CascadeScore components and the sizing formula."""

from __future__ import annotations

import pytest

from core.cascade_score import NEUTRAL, ScoreInputs, cascade_score
from core.config import ScoreConfig, SizingConfig
from core.instruments import Instrument
from core.sizing import size_entry


def inputs(**kw):
    base = dict(
        events_per_s=1.0,
        usd_per_s=100_000.0,
        baseline_events_per_s=0.02,
        baseline_usd_per_s=2000.0,
        window_usd=5_000_000.0,
        fuel_ahead_usd=None,
        funding_signed=None,
        oi_change_pct=None,
    )
    base.update(kw)
    return ScoreInputs(**base)


def test_unknown_inputs_are_neutral_and_marked_unknown():
    s = cascade_score(inputs(), ScoreConfig())
    for name in ("proximity", "funding", "oi"):
        c = s.component(name)
        assert c.value == NEUTRAL and not c.known


def test_score_is_the_weighted_mean_of_components_times_ten():
    cfg = ScoreConfig()
    s = cascade_score(inputs(fuel_ahead_usd=1e6, funding_signed=0.0002, oi_change_pct=1.0), cfg)
    expected = 10 * sum(c.value * c.weight for c in s.components) / sum(c.weight for c in s.components)
    assert s.total == pytest.approx(expected)
    assert 0 <= s.total <= 10


def test_size_is_log_scaled_between_floor_and_full():
    cfg = ScoreConfig(size_floor_usd=100_000, size_full_usd=10_000_000)
    assert cascade_score(inputs(window_usd=100_000), cfg).component("size").value == 0
    assert cascade_score(inputs(window_usd=1_000_000), cfg).component("size").value == pytest.approx(0.5)
    assert cascade_score(inputs(window_usd=1e9), cfg).component("size").value == 1


def test_speed_is_zero_at_baseline_and_one_at_full_ratio():
    cfg = ScoreConfig(speed_full_ratio=10)
    assert cascade_score(inputs(events_per_s=0.02, usd_per_s=2000), cfg).component("speed").value == 0
    assert cascade_score(inputs(events_per_s=0.2, usd_per_s=20000), cfg).component("speed").value == pytest.approx(1)


def test_funding_against_the_liquidated_side_lowers_the_score():
    cfg = ScoreConfig()
    hi = cascade_score(inputs(funding_signed=0.0005), cfg).component("funding").value
    lo = cascade_score(inputs(funding_signed=-0.0005), cfg).component("funding").value
    assert hi == 1.0 and lo == 0.0


def test_size_is_the_risk_budget_over_the_stop_distance_by_hand():
    cfg = SizingConfig(
        risk_per_trade_usd=100,
        base_size_usd=50_000,
        volume_ref_usd=10_000_000,
        volume_factor_cap=2,
        min_notional_usd=10,
    )
    # budget = $100 × score 8/10 × volume factor 15M/10M = $120; stop 1.2 % → notional $120 / 0.012 = $10,000
    d = size_entry(8.0, 15_000_000, 100.0, 1.2, cfg, Instrument("x", "X", "X-USDT-PERP", lot_size=0.01))
    assert d.budget_usd == pytest.approx(120.0)
    assert d.qty == pytest.approx(100.0) and d.notional == pytest.approx(10_000.0)
    assert d.risk_usd == pytest.approx(120.0)  # what the stop would cost: qty × price × 1.2 %
    # twice the stop distance, half the size, the same dollars at risk
    wide = size_entry(8.0, 15_000_000, 100.0, 2.4, cfg, Instrument("x", "X", "X-USDT-PERP", lot_size=0.01))
    assert wide.qty == pytest.approx(50.0) and wide.risk_usd == pytest.approx(120.0)
    # lot rounding is down, so the risk is at most the budget: $120 / 0.008 = $15,000 → 6.666 lots of 1 → 6
    lots = size_entry(8.0, 15_000_000, 2_500.0, 0.8, cfg, Instrument("x", "X", "X-USDT-PERP", lot_size=1.0))
    assert lots.qty == 6.0 and lots.risk_usd == pytest.approx(6 * 2_500 * 0.008) and lots.risk_usd <= 120.0


def test_size_is_capped_at_the_sizing_notional_cap_and_the_volume_factor_cap():
    cfg = SizingConfig(
        risk_per_trade_usd=100,
        base_size_usd=20_000,
        volume_ref_usd=10_000_000,
        volume_factor_cap=2,
        min_notional_usd=10,
    )
    d = size_entry(10.0, 50_000_000, 100.0, 0.5, cfg)  # $200 budget / 0.5 % = $40,000 > the $20,000 cap
    assert d.volume_factor == 2.0 and d.notional == pytest.approx(20_000) and d.capped == "sizing.base_size_usd"
    assert d.risk_usd == pytest.approx(100.0)  # capped size, so less than the budget is at risk


def test_no_stop_distance_is_skipped_not_divided_by():
    d = size_entry(8.0, 15_000_000, 100.0, 0.0, SizingConfig())
    assert not d.ok and "stop distance" in d.skip_reason


def test_tiny_sizes_are_skipped_with_a_reason():
    cfg = SizingConfig(base_size_usd=10_000, min_notional_usd=100)
    d = size_entry(7.0, 10_000, 60_000.0, 1.0, cfg, Instrument("x", "BTCUSDT", "BTC-USDT-PERP", lot_size=0.001))
    assert not d.ok and "rounds to zero" in d.skip_reason
