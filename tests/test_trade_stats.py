"""Honest statistics: Wilson intervals, t intervals, drawdown."""

from __future__ import annotations

import pytest

from core.trade_stats import (
    by_tier,
    cluster_ids,
    holm_adjust,
    interval_sentence,
    max_drawdown,
    mean_interval,
    summarize,
    t95,
    t_quantile,
    wilson_interval,
)


@pytest.mark.parametrize(
    "wins,n,lo,hi", [(8, 10, 0.4902, 0.9433), (0, 10, 0.0, 0.2775), (50, 100, 0.4038, 0.5962), (1, 1, 0.2065, 1.0)]
)
def test_wilson_interval_matches_known_values(wins, n, lo, hi):
    a, b = wilson_interval(wins, n)
    assert a == pytest.approx(lo, abs=1e-4) and b == pytest.approx(hi, abs=1e-4)


def test_mean_interval_uses_student_t_for_small_samples():
    lo, hi = mean_interval([1.0, 2.0, 3.0])  # mean 2, sd 1, t(2) = 4.303
    assert lo == pytest.approx(2 - 4.303 / 3**0.5, abs=1e-3) and hi == pytest.approx(2 + 4.303 / 3**0.5, abs=1e-3)


def trade(pnl, tier="7-8", bps=None, reason="stop"):
    return {
        "pnl": pnl,
        "r_multiple": pnl / 100,
        "tier": tier,
        "return_bps": bps if bps is not None else pnl,
        "fees": 1.0,
        "reason": reason,
        "mae_pct": -0.1,
        "mfe_pct": 0.2,
        "cost_bps": 12.0,
    }


def test_summary_counts_wins_fees_and_profit_factor():
    s = summarize([trade(100), trade(-50), trade(30)])
    assert s.trades == 3 and s.wins == 2 and s.pnl == 80 and s.fees == 3.0
    assert s.profit_factor == pytest.approx(130 / 50)
    assert (
        s.median_bps == 30 and s.cost_bps == 12.0 and s.mae_bps == pytest.approx(-10) and s.mfe_bps == pytest.approx(20)
    )


def test_per_tier_table_has_every_tier_with_its_sample_size():
    tiers = by_tier([trade(10, "7-8"), trade(-5, "7-8"), trade(3, "9-10")])
    assert list(tiers) == ["<5", "5-7", "7-8", "8-9", "9-10"]
    assert tiers["7-8"].trades == 2 and tiers["9-10"].trades == 1 and tiers["<5"].trades == 0


def test_sentence_says_when_the_interval_spans_zero():
    s = summarize([trade(10, bps=10), trade(-12, bps=-12), trade(5, bps=5)])
    assert "not distinguishable from zero at n = 3" in interval_sentence(s)


def test_max_drawdown_is_the_largest_fall_from_a_high():
    assert max_drawdown([10, -5, 20, -30, 5]) == 30


# -- exact t quantiles, against published tables ------------------------------------------------------
# two-sided 95 % (p = 0.975) and 99 % (p = 0.995) critical values, e.g. NIST/SEMATECH e-Handbook of
# Statistical Methods §1.3.6.7.2 "Critical values of the Student's t distribution" (to 3 decimals there;
# the 6+ digit values are the same quantiles as printed by R's qt()).
@pytest.mark.parametrize(
    "p,df,value",
    [
        (0.975, 1, 12.706205),
        (0.975, 2, 4.302653),
        (0.975, 3, 3.182446),
        (0.975, 5, 2.570582),
        (0.975, 10, 2.228139),
        (0.975, 21, 2.079614),
        (0.975, 25, 2.059539),
        (0.975, 30, 2.042272),
        (0.975, 45, 2.014103),
        (0.975, 100, 1.983972),
        (0.995, 10, 3.169273),
        (0.95, 3, 2.353363),
        (0.999, 4, 7.173182),
    ],
)
def test_inverse_t_matches_published_tables(p, df, value):
    assert t_quantile(p, df) == pytest.approx(value, abs=1e-6)
    assert t_quantile(1 - p, df) == pytest.approx(-value, abs=1e-6)


def test_t95_no_longer_rounds_degrees_of_freedom_up():
    # the old table used t(25) = 2.060 for df = 21: 1 % too narrow
    assert t95(21) == pytest.approx(2.0796, abs=1e-4) and t95(21) > 2.060


# -- no interval below two observations ------------------------------------------------------------
def test_no_trades_has_no_interval_and_says_so():
    s = summarize([])
    assert s.win_rate_ci is None and s.mean_bps_ci is None
    d = s.as_dict()
    assert d["win_rate_ci95"] is None and d["mean_bps_ci95"] is None and d["trades"] == 0
    assert interval_sentence(s) == "no trades"


def test_one_trade_has_no_interval_either():
    s = summarize([trade(50, bps=50)])
    assert s.trades == 1 and s.win_rate_ci is None and s.mean_bps_ci is None
    assert s.as_dict()["win_rate_ci95"] is None and s.as_dict()["mean_bps_ci95"] is None
    assert "no interval" in interval_sentence(s) and "not distinguishable" in interval_sentence(s)
    assert mean_interval([3.0]) is None and mean_interval([]) is None and wilson_interval(0, 0) is None


def test_backtest_text_and_json_show_a_dash_and_null_at_n_0_and_n_1():
    from core.backtest import BacktestResult, backtest_report, format_report

    empty = backtest_report(BacktestResult(file="x.jsonl", config_digest="c", start_ts=0.0, end_ts=3600.0))
    assert empty["win_rate_ci95"] is None and empty["mean_bps_ci95"] is None
    text = format_report(empty)
    assert "win rate — (no trades)" in text and "0%–0%" not in text
    one = {
        **trade(40, bps=40),
        "entry_ts": 10.0,
        "exit_ts": 20.0,
        "position_id": "p1",
        "playbook": "ride",
        "qty": 1.0,
        "entry_price": 100.0,
        "fees_bps": 10.0,
        "slippage_bps": 2.0,
        "drift_bps": 1.0,
    }
    rep = backtest_report(BacktestResult(file="x.jsonl", config_digest="c", start_ts=0.0, end_ts=3600.0, trades=[one]))
    assert rep["trades"] == 1 and rep["win_rate_ci95"] is None and rep["mean_bps_ci95"] is None
    text = format_report(rep)
    assert "95 % CI —, n = 1" in text and "no interval (one trade)" in text
    assert "fees 10.0 + modelled slippage 2.0 + latency drift +1.0 = 12.0 bps" in text


# -- clusters ------------------------------------------------------------------------------------------
def test_cluster_rule_chains_events_closer_than_five_minutes():
    assert cluster_ids([0.0, 100.0, 350.0, 1000.0, 1299.0, 5000.0]) == [0, 0, 0, 1, 1, 2]
    assert cluster_ids([1000.0, 0.0, 100.0]) == [1, 0, 0]  # order of input kept


def test_clustered_interval_is_wider_when_one_shock_hits_many_markets():
    # 3 shocks, each seen on 4 markets within a minute: 12 episodes, but 3 independent observations
    values = [30.0, 32.0, 28.0, 31.0, -5.0, -4.0, -6.0, -5.0, 12.0, 11.0, 13.0, 12.0]
    times = [0, 10, 20, 30, 3600, 3610, 3620, 3630, 7200, 7210, 7220, 7230]
    cids = cluster_ids(times)
    assert len(set(cids)) == 3
    iid = mean_interval(values)
    clus = mean_interval(values, cids)
    assert iid is not None and clus is not None
    assert iid[0] > 0  # treated as 12 independent episodes, "positive"
    assert clus[0] < 0 < clus[1]  # as 3 clusters, not distinguishable from zero
    # by hand: CR1 variance = G/(G-1) × Σ_g (Σ_i∈g (x − mean))² / n², t with G − 1 = 2 df
    mean = sum(values) / 12
    sums = [sum(v - mean for v in values[k : k + 4]) for k in (0, 4, 8)]
    half = 4.302653 * (1.5 * sum(x * x for x in sums) / 144) ** 0.5
    assert clus == pytest.approx((mean - half, mean + half), abs=1e-4)
    # the summary shows the cluster count beside n and uses the clustered interval
    trades = [{**trade(v, bps=v), "entry_ts": float(t)} for v, t in zip(values, times, strict=True)]
    s = summarize(trades)
    assert s.clusters == 3 and s.mean_bps_ci == pytest.approx(clus)
    assert "n = 12 in 3 clusters" in interval_sentence(s) and "not distinguishable" in interval_sentence(s)
    # the win rate's interval uses the effective sample size: wider than the independent Wilson
    assert s.win_rate_ci is not None
    w_iid = wilson_interval(s.wins, 12)
    assert s.win_rate_ci[1] - s.win_rate_ci[0] > w_iid[1] - w_iid[0]


def test_holm_adjustment_steps_down():
    assert holm_adjust([0.01, 0.04, 0.03, None]) == [
        pytest.approx(0.03),
        pytest.approx(0.06),
        pytest.approx(0.06),
        None,
    ]


def test_out_of_sample_span_counts_from_the_split_not_the_file_start():
    from core.backtest import BacktestResult, backtest_report, format_report

    res = BacktestResult(
        file="x.jsonl",
        config_digest="c",
        start_ts=0.0,
        end_ts=86_400.0,
        count_from=60_480.0,
        label="out-of-sample (last 30%)",
    )
    rep = backtest_report(res)
    assert rep["span_s"] == pytest.approx(25_920.0)
    assert "7.20 h" in format_report(rep) and "24.00 h" not in format_report(rep)
