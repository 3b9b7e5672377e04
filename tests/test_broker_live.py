"""Live brokers against the local fake venues: the order life cycle, the faults, reconciliation.

Every test talks to a fake exchange on 127.0.0.1; nothing here can reach a real venue."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from core.brokers.base import Fill, Rejection
from core.brokers.reconcile import startup_reconcile
from core.brokers.reconcile_loop import ReconcileLoop
from core.engine_commands import Flatten, Kill
from core.positions import Position
from tests.fake_exchange.harness import BTC, T0, VENUES, rig, submit_entry, until


@pytest.fixture(params=VENUES)
def venue(request):
    return request.param


def _stop_and_tp(r) -> dict[str, float]:
    out = {}
    for o in r.open_exits():
        if r.venue == "binance":
            out["stop" if o["orderType"] == "STOP_MARKET" else "tp"] = float(o["triggerPrice"])
        else:
            # a long's stop fires on a fall (direction 2), its take-profit on a rise (1)
            out["stop" if o["triggerDirection"] == 2 else "tp"] = float(o["triggerPrice"])
    return out


async def _open_long(r, qty: float = 0.01) -> Position:
    submit_entry(r.engine, "buy", qty)
    await r.settle()
    assert BTC in r.engine.positions, r.broker.alerts
    return r.engine.positions[BTC]


async def test_entry_fills_at_venue_price_with_venue_fee_and_places_both_exits(venue):
    async with rig(venue) as r:
        r.fake.ledger.prices["BTCUSDT"] = 60_123.4
        pos = await _open_long(r)
        assert pos.qty == pytest.approx(0.01) and pos.entry_price == pytest.approx(60_123.4)
        assert r.engine.fees_paid == pytest.approx(0.01 * 60_123.4 * r.fake.ledger.fee_rate)  # from the venue
        exits = _stop_and_tp(r)
        assert set(exits) == {"stop", "tp"}
        assert exits["stop"] == pytest.approx(round(pos.stop_price, 1)) and exits["tp"] == pytest.approx(
            round(pos.take_profit_price, 1)
        )
        assert r.position() == pytest.approx(0.01)
        if venue == "binance":
            for a in r.open_exits():  # algo orders: close the position on the mark, no qty/reduceOnly
                assert a["closePosition"] and a["workingType"] == "MARK_PRICE" and a["algoType"] == "CONDITIONAL"
            assert not [p for p in r.fake.calls("POST", "/fapi/v1/order") if "STOP" in p.get("type", "")]
        else:
            for o in r.open_exits():
                assert o["reduceOnly"] and o["closeOnTrigger"] and o["triggerBy"] == "MarkPrice"
        assert r.fake.ledger.leverage["BTCUSDT"] == 3
        if venue == "binance":
            assert r.fake.ledger.margin_mode["BTCUSDT"] == "ISOLATED"
        else:  # a unified account already in isolated mode: leverage set per symbol, the account untouched
            assert r.fake.account_margin_mode == "ISOLATED_MARGIN"
            assert not r.fake.calls("POST", "/v5/position/switch-isolated")
            assert not r.fake.calls("POST", "/v5/account/set-margin-mode")


async def test_engine_exit_closes_and_cancels_both_exchange_exits(venue):
    async with rig(venue) as r:
        await _open_long(r)
        r.fake.ledger.prices["BTCUSDT"] = 60_300.0
        r.engine.submit(Flatten(BTC))
        await r.settle()
        assert BTC not in r.engine.positions
        assert r.engine.trades[-1].exit_price == pytest.approx(60_300.0) and r.engine.trades[-1].reason == "flatten"
        assert r.position() == 0 and r.open_exits() == []


async def test_exchange_stop_fires_engine_adopts_exit_and_take_profit_is_cancelled(venue):
    async with rig(venue, watch_interval_s=0.05) as r:
        pos = await _open_long(r)
        r.fake.set_price("BTCUSDT", pos.stop_price - 50)  # the venue fires the stop; the engine saw no price
        await until(lambda: r.broker._results or BTC not in r.broker.tracked, what="stop fill")
        await r.settle()
        assert BTC not in r.engine.positions
        t = r.engine.trades[-1]
        assert t.reason == "stop" and t.exit_price == pytest.approx(pos.stop_price - 50)
        await until(lambda: r.open_exits() == [], what="take-profit cancelled")
        assert r.position() == 0


async def test_exit_refused_as_reduce_only_after_venue_stop_reports_the_stop_fill(venue):
    async with rig(venue) as r:  # watcher effectively off: the engine's own exit races the venue stop
        pos = await _open_long(r)
        r.fake.set_price("BTCUSDT", pos.stop_price - 100)
        r.engine.submit(Flatten(BTC))
        await r.settle()
        assert BTC not in r.engine.positions
        assert r.engine.trades[-1].exit_price == pytest.approx(pos.stop_price - 100)
        assert r.position() == 0 and r.open_exits() == []


async def test_injected_reduce_only_reject_with_position_open_is_a_rejection(venue):
    async with rig(venue) as r:
        await _open_long(r)
        r.fake.faults.add(*r.order_path, "reduce_only")
        r.engine.submit(Flatten(BTC))
        await r.broker.wait_idle()
        results = r.broker.poll(0)
        assert len(results) == 1 and isinstance(results[0], Rejection)
        r.broker._results.extend(results)
        r.engine.tick()
        assert r.engine.positions[BTC].exit_pending == ""  # the engine will try again
        assert r.position() == pytest.approx(0.01)


async def test_kill_and_flatten_work_with_feeds_down(venue):
    async with rig(venue) as r:
        await _open_long(r)
        r.engine.set_feed_state(venue, "down", "test")
        r.fake.ledger.prices["BTCUSDT"] = 59_900.0  # the engine never hears of this price
        r.engine.submit(Kill())
        await r.settle()
        assert r.engine.positions == {} and r.engine.trades[-1].reason == "kill"
        assert r.engine.trades[-1].exit_price == pytest.approx(59_900.0)
        assert r.position() == 0 and r.open_exits() == []


async def test_flatten_all_uses_venue_state_retries_failures_and_reports(venue):
    async with rig(venue) as r:
        await _open_long(r)
        r.fake.ledger.prices["ETHUSDT"] = 3_000.0
        r.fake.ledger.set_position("ETHUSDT", -0.5, 3_000.0)  # not the engine's: flatten closes it anyway
        cancel_path = ("DELETE", "/fapi/v1/algoOpenOrders") if venue == "binance" else ("POST", "/v5/order/cancel-all")
        r.fake.faults.add(*cancel_path, "drop_before")
        r.fake.faults.add(*r.order_path, "503_after")
        report = await asyncio.wait_for(r.broker.flatten_all("kill", max_attempts=5), 15)
        assert report.done and report.attempts >= 2 and report.failures == []
        assert r.position("BTCUSDT") == 0 and r.position("ETHUSDT") == 0 and r.open_exits() == []
        assert any("flatten attempt 1 incomplete" in a for a in r.broker.alerts)
        if venue == "binance":  # stops live only in the algo book: both cancel endpoints every time
            assert r.fake.calls("DELETE", "/fapi/v1/allOpenOrders") and r.fake.calls(
                "DELETE", "/fapi/v1/algoOpenOrders"
            )
        r.engine.tick()
        assert r.engine.positions == {} and r.engine.trades[-1].reason == "kill"


async def test_flatten_all_gives_up_after_max_attempts_and_says_why(venue):
    async with rig(venue) as r:
        r.fake.ledger.set_position("BTCUSDT", 0.02, 60_000.0)
        for _ in range(3):  # every close refused while the position is still there
            r.fake.faults.add(*r.order_path, "margin")
        report = await r.broker.flatten_all("kill", max_attempts=2)
        assert not report.done and report.attempts == 2
        assert any("BTC-USDT-PERP" in f for f in report.failures)
        assert r.position() == pytest.approx(0.02)


async def test_startup_reconcile_adopts_venue_position_and_replaces_stale_exits(venue):
    async with rig(venue) as r:
        r.fake.ledger.set_position("BTCUSDT", 0.02, 59_000.0)
        report = await startup_reconcile(r.engine, r.broker)
        assert report.adopted == [BTC]
        pos = r.engine.positions[BTC]
        assert pos.side == "long" and pos.qty == pytest.approx(0.02) and pos.entry_price == pytest.approx(59_000.0)
        exits = _stop_and_tp(r)
        assert exits["stop"] < 59_000.0 < exits["tp"] and len(r.open_exits()) == 2
        assert not hasattr(r.broker, "engine")  # reconciliation is driven from outside the broker
        # a second start-up (another restart) must not pile up exit orders
        await startup_reconcile(r.engine, r.broker)
        assert len(r.open_exits()) == 2


async def test_reconcile_closes_engine_position_the_venue_no_longer_has(venue):
    async with rig(venue) as r:
        ghost = Position("p-old", BTC, "short", 0.01, 61_000.0, T0 - 60, 62_000.0, 59_000.0, 1.5, "s", 7.0, "long")
        r.engine.restore_position(ghost)
        report = await startup_reconcile(r.engine, r.broker)
        assert report.closed == [BTC]
        r.engine.tick()
        assert r.engine.positions == {} and r.engine.trades[-1].reason == "reconcile"


async def test_reconcile_takes_venue_size(venue):
    async with rig(venue) as r:
        await _open_long(r)
        r.fake.ledger.set_position("BTCUSDT", 0.015, 60_000.0)  # e.g. a manual add on the venue's site
        report = await startup_reconcile(r.engine, r.broker)
        assert report.resized == [BTC] and r.engine.positions[BTC].qty == pytest.approx(0.015)


async def test_clock_skew_is_detected_resynced_and_the_order_goes_once(venue):
    async with rig(venue) as r:
        r.fake.clock.skew_ms = 20_000  # the venue's clock jumps ahead of ours
        await _open_long(r)
        assert len(r.filled_orders()) == 1
        assert len(r.entry_posts()) == 2  # one timestamp reject, one accepted
        assert abs(r.broker.time_offset_ms - 20_000) < 1_000


@pytest.mark.parametrize("fault,posts", [("drop_after", 1), ("503_after", 1), ("drop_before", 2)])
async def test_no_duplicate_order_when_the_outcome_is_unknown(venue, fault, posts):
    async with rig(venue) as r:
        r.fake.faults.add(*r.order_path, fault)
        await _open_long(r)
        assert len(r.filled_orders()) == 1, "exactly one market order on the venue"
        assert len(r.entry_posts()) == posts  # resent only when the venue had definitely not got it
        ids = {p.get("newClientOrderId") or p.get("orderLinkId") for p in r.entry_posts()}
        assert len(ids) == 1  # a resend reuses the client order id
        assert r.position() == pytest.approx(0.01)


async def test_rate_limit_is_waited_out_not_hammered(venue):
    async with rig(venue) as r:
        kinds = ("429", "418") if venue == "binance" else ("rate_limit",)
        r.fake.faults.add(*r.order_path, *kinds)
        await _open_long(r)
        times = [t for t, m, p, params in r.fake.log if (m, p) == r.order_path and not params.get("triggerPrice")]
        assert len(times) == len(kinds) + 1 and len(r.filled_orders()) == 1
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(g >= 0.25 for g in gaps), gaps  # each retry waited for the venue's Retry-After / reset


async def test_ban_longer_than_entry_patience_refuses_entries_without_sending(venue):
    async with rig(venue) as r:
        if venue == "binance":
            r.fake.faults.add(*r.order_path, "ban:30")
        else:
            r.broker.gate.block_for(30, banned=True)
            r.fake.faults.add(*r.order_path, "rate_limit")
        sent_before = len(r.entry_posts())
        o1 = submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        o2 = submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        assert o1.status == "rejected" and o2.status == "rejected" and "rate" in o2.reject_reason
        assert len(r.entry_posts()) - sent_before == (1 if venue == "binance" else 0)
        assert BTC not in r.engine.positions and r.engine.pending_entries == {}


async def test_insufficient_margin_is_a_rejection_with_the_venue_reason(venue):
    async with rig(venue) as r:
        r.fake.faults.add(*r.order_path, "margin")
        o = submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        assert o.status == "rejected" and ("Margin" in o.reject_reason or "not enough" in o.reject_reason)
        assert r.engine.pending_entries == {} and r.position() == 0


@pytest.mark.parametrize(
    "qty,price,why",
    [(0.0004, 60_000.0, "below the minimum"), (0.0015, 60_000.0, "notional"), (1.0, 60_000.0, "hard cap")],
)
async def test_orders_outside_filters_or_caps_are_refused_before_sending(venue, qty, price, why):
    async with rig(venue) as r:
        o = submit_entry(r.engine, "buy", qty, price)
        await r.settle()
        assert o.status == "rejected" and why in o.reject_reason
        assert r.entry_posts() == []


async def test_sizes_are_floored_to_the_venue_step(venue):
    async with rig(venue) as r:
        submit_entry(r.engine, "buy", 0.0109999)
        await r.settle()
        assert [p.get("quantity") or p.get("qty") for p in r.entry_posts()] == ["0.01"]


async def test_kill_cancels_entries_not_yet_sent(venue):
    async with rig(venue) as r:
        r.broker.gate.block_for(0.5)  # the entry is held at the gate
        o = submit_entry(r.engine, "buy", 0.01)
        r.engine.submit(Kill())
        await r.settle()
        assert o.status == "cancelled" and r.engine.pending_entries == {} and r.entry_posts() == []


async def test_results_carry_fills_and_rejections_only_once(venue):
    async with rig(venue) as r:
        submit_entry(r.engine, "buy", 0.01)
        await r.broker.wait_idle()
        first = r.broker.poll(0)
        assert len(first) == 1 and isinstance(first[0], Fill) and first[0].extras["client_id"].startswith("lqh-")
        assert r.broker.poll(0) == []


async def test_reconcile_loop_adopts_a_position_opened_behind_our_back_periodically(venue):
    async with rig(venue, watch_interval_s=0.05, reconcile_interval_s=0.1) as r:
        await startup_reconcile(r.engine, r.broker)
        loop = ReconcileLoop(r.engine, r.broker)
        loop.start()
        try:
            r.fake.ledger.set_position("BTCUSDT", -0.03, 60_500.0)  # opened behind our back
            await until(lambda: BTC in r.engine.positions, what="adoption by the reconcile loop")
            assert r.engine.positions[BTC].side == "short" and r.engine.positions[BTC].qty == pytest.approx(0.03)
            await until(lambda: len(r.open_exits()) == 2, what="exits for the adopted position")
        finally:
            await loop.stop()


async def test_reconcile_pass_reports_a_fired_venue_stop_at_its_own_price_not_as_reconcile(venue):
    """The venue is flat because its stop fired and nothing has polled yet: the pass polls the
    exits first (under the broker's watch lock), so the engine books the stop at its fill price."""
    async with rig(venue) as r:  # watcher effectively off, no private stream
        pos = await _open_long(r)
        r.fake.set_price("BTCUSDT", pos.stop_price - 50)
        report = await ReconcileLoop(r.engine, r.broker).run_once()
        await r.settle()
        assert report.closed == [] and BTC not in r.engine.positions
        t = r.engine.trades[-1]
        assert t.reason == "stop" and t.exit_price == pytest.approx(pos.stop_price - 50)


async def test_reconcile_loop_runs_at_once_when_the_broker_says_due(venue):
    async with rig(venue, reconcile_interval_s=3600.0) as r:
        loop, report = await ReconcileLoop.after_startup(r.engine, r.broker)  # as `liqhunt run` does
        try:
            assert report.summary() == "in sync" and loop.passes == 0
            r.fake.ledger.set_position("BTCUSDT", 0.02, 59_000.0)
            r.broker.reconcile_due.set()
            await until(lambda: loop.passes == 1, what="a pass right after reconcile_due")
            assert BTC in r.engine.positions and not r.broker.reconcile_due.is_set()
        finally:
            await loop.stop()


async def test_a_periodic_resize_is_journaled_so_a_restart_restores_the_venue_size(venue, tmp_path):
    """As `liqhunt run` wires it: every pass of the loop reports to the journal."""
    from core.journal import Journal, open_positions, record_reconciliation

    path = tmp_path / "journal.sqlite"
    async with rig(venue, reconcile_interval_s=3600.0) as r:
        j = Journal(path, r.clock)
        j.open_session("auto", [venue], r.engine.cfg, "live")
        j.attach(r.engine)
        loop, _ = await ReconcileLoop.after_startup(
            r.engine, r.broker, on_report=lambda rep: record_reconciliation(j, r.engine, rep)
        )
        try:
            await _open_long(r)
            r.fake.ledger.set_position("BTCUSDT", 0.015, 60_000.0)  # a manual add on the venue's site
            r.broker.reconcile_due.set()
            await until(lambda: loop.passes == 1, what="a reconciliation pass")
        finally:
            await loop.stop()
        rows = j.query("SELECT market, kind, exchange_qty FROM reconcile_diffs")
        j.close()
    assert rows == [{"market": BTC, "kind": "resized", "exchange_qty": pytest.approx(0.015)}]
    (back,) = open_positions(path)
    assert back.qty == pytest.approx(0.015)
