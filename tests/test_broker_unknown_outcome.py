"""An entry is never sent twice: unknown send outcomes are resolved on the venue before any resend.

Binance keeps a client order id unique only among *open* orders, and a filled order can answer
-2013 for a while: a resend after one failed look-up is a second position. Every test here runs
against the local fake venues; the fake records every request it got."""

from __future__ import annotations

import pytest

from tests.fake_exchange.harness import BTC, VENUES, rig, submit_entry, until


@pytest.fixture(params=VENUES)
def venue(request):
    return request.param


def _one_entry_one_position(r) -> None:
    assert len(r.filled_orders()) == 1, "exactly one market order on the venue"
    assert len(r.entry_posts()) == 1, "and it was sent once"
    assert r.position() == pytest.approx(0.01)
    assert BTC in r.engine.positions and r.engine.positions[BTC].qty == pytest.approx(0.01)


async def test_filled_then_503_is_one_order_and_one_position(venue):
    async with rig(venue) as r:
        r.fake.faults.add(*r.order_path, "503_after")  # the venue filled it and answered 503
        submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        _one_entry_one_position(r)


async def test_binance_1007_backend_timeout_is_resolved_not_resent():
    async with rig("binance") as r:
        r.fake.faults.add(*r.order_path, "1007_after")
        submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        _one_entry_one_position(r)


async def test_filled_but_not_queryable_for_a_while_is_never_sent_twice(venue):
    """The order answers 'does not exist' (Binance -2013; Bybit: neither realtime nor history) for
    0.8 s after it filled; its fill is already in the account's trades/executions, so the broker
    stays in doubt and keeps looking instead of resending the same client id."""
    async with rig(venue) as r:
        r.fake.query_lag_s = 0.8
        r.fake.faults.add(*r.order_path, "503_after")
        submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        _one_entry_one_position(r)
        lookups = r.fake.calls("GET", "/fapi/v1/order" if venue == "binance" else "/v5/order/realtime")
        assert len(lookups) >= 2  # it asked again rather than resend
        if venue == "binance":  # and looked beyond the order itself: recent orders, then fills
            assert r.fake.calls("GET", "/fapi/v1/allOrders") and r.fake.calls("GET", "/fapi/v1/userTrades")
        else:
            assert r.fake.calls("GET", "/v5/order/history") and r.fake.calls("GET", "/v5/execution/list")


async def test_every_rest_record_lagging_the_private_stream_still_proves_the_order(venue):
    """Worst case: order, order list and fills all lag 1.5 s. The private stream has already
    delivered the order's client id, so the order exists: no resend."""
    async with rig(venue, stream=True, watch_interval_s=60.0) as r:
        await until(lambda: r.broker.stream.connected.is_set() and r.fake.ws.connected, what="stream up")
        r.fake.query_lag_s = 1.5
        if venue == "binance":
            r.fake.trades_lag_s = 1.5
        else:
            r.fake.executions_hidden = True
        r.fake.faults.add(*r.order_path, "503_after")
        submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        _one_entry_one_position(r)


async def test_order_that_never_arrived_is_resent_once_with_the_same_client_id(venue):
    async with rig(venue) as r:
        r.fake.faults.add(*r.order_path, "drop_before")  # the request never reached the venue
        submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        posts = r.entry_posts()
        assert len(posts) == 2 and len({p.get("newClientOrderId") or p.get("orderLinkId") for p in posts}) == 1
        assert len(r.filled_orders()) == 1 and r.position() == pytest.approx(0.01)


async def test_absence_confirmed_after_the_entry_window_is_refused_not_sent_late(venue):
    async with rig(venue, max_entry_wait_s=0.1, absence_recheck_s=0.3) as r:
        r.fake.faults.add(*r.order_path, "drop_before")
        order = submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        assert len(r.entry_posts()) == 1 and r.filled_orders() == [] and r.position() == 0
        assert order.status == "rejected" and "not sent" in order.reject_reason
        assert BTC not in r.engine.positions and r.engine.pending_entries == {}
