"""Honest statistics: Wilson intervals, t intervals, drawdown."""
from __future__ import annotations

import pytest

from core.trade_stats import by_tier, interval_sentence, max_drawdown, mean_interval, summarize, wilson_interval


@pytest.mark.parametrize("wins,n,lo,hi", [(8, 10, 0.4902, 0.9433), (0, 10, 0.0, 0.2775), (50, 100, 0.4038, 0.5962), (1, 1, 0.2065, 1.0)])
def test_wilson_interval_matches_known_values(wins, n, lo, hi):
    a, b = wilson_interval(wins, n)
    assert a == pytest.approx(lo, abs=1e-4) and b == pytest.approx(hi, abs=1e-4)


def test_mean_interval_uses_student_t_for_small_samples():
    lo, hi = mean_interval([1.0, 2.0, 3.0])  # mean 2, sd 1, t(2) = 4.303
    assert lo == pytest.approx(2 - 4.303 / 3 ** 0.5, abs=1e-3) and hi == pytest.approx(2 + 4.303 / 3 ** 0.5, abs=1e-3)


def trade(pnl, tier="7-8", bps=None, reason="stop"):
    return {"pnl": pnl, "r_multiple": pnl / 100, "tier": tier, "return_bps": bps if bps is not None else pnl, "fees": 1.0,
            "reason": reason, "mae_pct": -0.1, "mfe_pct": 0.2, "cost_bps": 12.0}


def test_summary_counts_wins_fees_and_profit_factor():
    s = summarize([trade(100), trade(-50), trade(30)])
    assert s.trades == 3 and s.wins == 2 and s.pnl == 80 and s.fees == 3.0
    assert s.profit_factor == pytest.approx(130 / 50)
    assert s.median_bps == 30 and s.cost_bps == 12.0 and s.mae_bps == pytest.approx(-10) and s.mfe_bps == pytest.approx(20)


def test_per_tier_table_has_every_tier_with_its_sample_size():
    tiers = by_tier([trade(10, "7-8"), trade(-5, "7-8"), trade(3, "9-10")])
    assert list(tiers) == ["<5", "5-7", "7-8", "8-9", "9-10"]
    assert tiers["7-8"].trades == 2 and tiers["9-10"].trades == 1 and tiers["<5"].trades == 0


def test_sentence_says_when_the_interval_spans_zero():
    s = summarize([trade(10, bps=10), trade(-12, bps=-12), trade(5, bps=5)])
    assert "not distinguishable from zero at n = 3" in interval_sentence(s)


def test_max_drawdown_is_the_largest_fall_from_a_high():
    assert max_drawdown([10, -5, 20, -30, 5]) == 30
