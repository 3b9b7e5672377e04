"""RiskManager: each rule blocks exactly when it should, and counts the block."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import RiskConfig
from core.risk import EntryRequest, RiskManager

T = 1_767_225_600.0


def check(rm, market="BTC", notional=1000.0, now=T, open_=None, stale=(), unreal=0.0):
    return rm.check_entry(EntryRequest(market, notional, now), open_ or {}, set(stale), unreal)


def test_allows_a_plain_entry():
    assert check(RiskManager(RiskConfig())).allowed


def test_kill_switch_blocks_everything():
    rm = RiskManager(RiskConfig())
    rm.killed = True
    v = check(rm)
    assert not v.allowed and v.rule == "kill_switch"
    assert rm.blocks["kill_switch"] == 1


def test_stale_feed_blocks_entries():
    v = check(RiskManager(RiskConfig()), stale=["binance"])
    assert v.rule == "stale_feed" and "binance" in v.message


def test_never_adds_to_an_open_position():
    v = check(RiskManager(RiskConfig()), open_={"BTC": 5000.0})
    assert v.rule == "no_averaging"


def test_cooldown_after_a_stop():
    rm = RiskManager(RiskConfig(cooldown_after_stop_s=300))
    rm.record_exit("BTC", T, "stop", -50.0)
    assert check(rm, now=T + 100).rule == "cooldown_after_stop"
    assert check(rm, now=T + 301).allowed
    assert check(rm, market="ETH", now=T + 100).allowed


def test_daily_counters_reset_at_utc_midnight():
    rm = RiskManager(RiskConfig(max_trades_per_market_per_day=1))
    rm.record_entry("BTC", T + 100)
    assert check(rm, now=T + 200).rule == "max_trades_per_market"
    assert check(rm, now=T + 86_400 + 1).allowed


@settings(max_examples=300, deadline=None)
@given(
    trades=st.integers(0, 10),
    cap=st.integers(0, 10),
    n_open=st.integers(0, 6),
    max_open=st.integers(0, 6),
    notional=st.floats(0, 200_000),
    per_trade=st.floats(1, 100_000),
    total_cap=st.floats(1, 300_000),
    realised=st.floats(-2000, 2000),
    unreal=st.floats(-2000, 2000),
    limit=st.floats(1, 1000),
)
def test_each_rule_blocks_exactly_when_its_condition_holds(
    trades, cap, n_open, max_open, notional, per_trade, total_cap, realised, unreal, limit
):
    cfg = RiskConfig(
        max_trades_per_market_per_day=cap,
        max_open_positions=max_open,
        max_notional_per_trade_usd=per_trade,
        max_total_notional_usd=total_cap,
        daily_loss_limit_usd=limit,
        cooldown_after_stop_s=0,
    )
    rm = RiskManager(cfg)
    for _ in range(trades):
        rm.record_entry("BTC", T)
    rm.record_exit("X", T, "take_profit", realised)
    open_ = {f"M{i}": 1000.0 for i in range(n_open)}
    v = check(rm, notional=notional, open_=open_, unreal=unreal)
    loss = max(0.0, -(realised + min(unreal, 0.0)))
    expected = None
    if loss >= limit:
        expected = "daily_loss"
    elif trades >= cap:
        expected = "max_trades_per_market"
    elif n_open >= max_open:
        expected = "max_open_positions"
    elif notional > per_trade:
        expected = "max_notional_per_trade"
    elif 1000.0 * n_open + notional > total_cap:
        expected = "max_total_notional"
    assert (v.rule or None) == expected
    assert v.allowed == (expected is None)
