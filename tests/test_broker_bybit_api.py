"""Bybit v5 as it is today: account-wide margin mode on unified accounts (read, never switched),
fees from cumFeeDetail, order look-up falling back to history, HTTP 403 as a block, not a rate
limit. Against the local fake Bybit; nothing here reaches the venue."""

from __future__ import annotations

import pytest

from core.brokers.live_errors import BLOCKED, VenueError
from core.brokers.user_stream import bybit_fee
from tests.fake_exchange.harness import BTC, rig, submit_entry


def _account_changes(fake) -> list:
    return fake.calls("POST", "/v5/position/switch-isolated") + fake.calls("POST", "/v5/account/set-margin-mode")


@pytest.mark.parametrize("status", [3, 4, 5, 6])
async def test_unified_account_in_another_margin_mode_is_refused_and_left_alone(status):
    async with rig("bybit", start=False) as r:
        r.fake.unified_margin_status, r.fake.account_margin_mode = status, "REGULAR_MARGIN"  # cross, account-wide
        with pytest.raises(Exception) as e:  # config asks for isolated (the default)
            await r.broker.start()
        msg = str(e.value)
        assert "REGULAR_MARGIN" in msg and "does not switch" in msg and 'margin_mode = "cross"' in msg
        assert _account_changes(r.fake) == []  # neither the deprecated per-symbol switch nor the account-wide one
        assert r.fake.calls("POST", "/v5/position/set-leverage") == []
        assert r.fake.account_margin_mode == "REGULAR_MARGIN"


@pytest.mark.parametrize(
    "wanted,account", [("cross", "REGULAR_MARGIN"), ("cross", "PORTFOLIO_MARGIN"), ("isolated", "ISOLATED_MARGIN")]
)
async def test_unified_account_already_in_the_wanted_mode_only_gets_leverage(wanted, account):
    async with rig("bybit", start=False, margin_mode=wanted) as r:
        r.fake.account_margin_mode = account
        await r.broker.start()
        assert _account_changes(r.fake) == [] and r.fake.account_margin_mode == account
        assert [p["symbol"] for p in r.fake.calls("POST", "/v5/position/set-leverage")] == ["BTCUSDT"]
        assert len(r.fake.calls("GET", "/v5/account/info")) == 1  # read once per run


async def test_classic_account_still_sets_margin_mode_per_symbol():
    async with rig("bybit", start=False) as r:
        r.fake.unified_margin_status = 1
        await r.broker.start()
        (call,) = r.fake.calls("POST", "/v5/position/switch-isolated")
        assert call["symbol"] == "BTCUSDT" and call["tradeMode"] == 1
        assert r.fake.calls("POST", "/v5/account/set-margin-mode") == []


async def test_fee_is_read_from_cum_fee_detail_not_the_deprecated_cum_exec_fee():
    async with rig("bybit") as r:
        submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        (o,) = r.filled_orders()
        assert o["cumExecFee"] == "0"  # deprecated for linear: the fake leaves it stale, like a venue may
        assert r.engine.fees_paid == pytest.approx(0.01 * 60_000.0 * r.fake.ledger.fee_rate)


def test_bybit_fee_prefers_the_detail_and_falls_back_only_when_it_is_absent():
    assert bybit_fee({"cumFeeDetail": {"USDT": "0.24"}, "cumExecFee": "9"}) == pytest.approx(0.24)
    assert bybit_fee({"cumExecFee": "0.3"}) == pytest.approx(0.3)
    assert bybit_fee({"cumFeeDetail": {}, "cumExecFee": "0.3"}) == pytest.approx(0.3)
    assert bybit_fee({"cumExecFee": ""}) is None and bybit_fee({}) is None
    assert bybit_fee({"cumFeeDetail": {"MNT": "0.002"}}) == 0.0  # not in the settle coin: not added as USDT


async def test_filled_order_unknown_to_realtime_after_a_venue_restart_is_found_in_history():
    async with rig("bybit") as r:
        order = submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        cid = r.broker.client_id(order)
        r.fake.restart()  # realtime forgets closed orders
        assert (
            await r.broker._call(
                "GET", "/v5/order/realtime", {"category": "linear", "symbol": "BTCUSDT", "orderLinkId": cid}
            )
        )["list"] == []
        rep = await r.broker._query_order("BTCUSDT", cid)
        assert rep.status == "filled" and rep.filled_qty == pytest.approx(0.01) and rep.fee > 0
        assert r.fake.calls("GET", "/v5/order/history")


async def test_http_403_is_reported_as_a_block_and_not_retried_as_a_rate_limit():
    async with rig("bybit") as r:
        r.fake.faults.add(*r.order_path, "403")
        order = submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        assert order.status == "rejected"
        assert (
            "403" in order.reject_reason and "geo-block" in order.reject_reason and "not retried" in order.reject_reason
        )
        assert len(r.entry_posts()) == 1 and r.position() == 0  # sent once, never again
        assert r.broker.gate.wait_s() == 0  # not taken for a rate limit: nothing else is held back
        assert BTC not in r.engine.positions


async def test_403_on_a_lookup_stops_the_lookup_with_the_block_message():
    async with rig("bybit") as r:
        r.fake.faults.add("GET", "/v5/order/realtime", "403")
        with pytest.raises(VenueError) as e:
            await r.broker._query_order("BTCUSDT", "lqh-x")
        assert e.value.kind == BLOCKED and e.value.http_status == 403
