"""Private (user-data) websocket streams of the live brokers, against the local fake venues.

The REST watcher is set to 60 s in these tests, so an exit fill that arrives within a couple of
seconds can only have come from the stream. Nothing here reaches a real venue."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from core.brokers.base import Fill
from core.brokers.user_stream import BinanceSession, BybitSession, PositionUpdate, bybit_ws_auth_args
from core.engine_commands import Flatten
from core.positions import Position
from tests.fake_exchange.harness import API_KEY, BTC, SECRET, VENUES, rig, submit_entry, until
from tests.fake_exchange.hmac_check import hmac_sha256_hex


@pytest.fixture(params=VENUES)
def venue(request):
    return request.param


async def _open_long(r, qty: float = 0.01) -> Position:
    submit_entry(r.engine, "buy", qty)
    await r.settle()
    assert BTC in r.engine.positions, r.broker.alerts
    await until(lambda: len(r.open_exits()) == 2, what="both exits on the venue")
    return r.engine.positions[BTC]


def _exit_fills(r) -> list[Fill]:
    return [f for f in r.broker._results if isinstance(f, Fill) and f.extras.get("intent") == "exit"]


async def _streaming(r) -> None:
    await until(
        lambda: r.broker.stream is not None and r.broker.stream.connected.is_set() and r.fake.ws.connected,
        what="private stream connected",
    )


@pytest.mark.parametrize("kind", ["stop", "take_profit"])
async def test_exchange_exit_arrives_via_stream_long_before_the_next_poll(venue, kind):
    async with rig(venue, stream=True, watch_interval_s=60.0) as r:
        await _streaming(r)
        pos = await _open_long(r)
        px = pos.stop_price - 50 if kind == "stop" else pos.take_profit_price + 50
        t0 = time.monotonic()
        r.fake.set_price("BTCUSDT", px)
        await until(lambda: _exit_fills(r), timeout=2.0, what=f"{kind} fill from the stream")
        assert time.monotonic() - t0 < 2.0
        f = _exit_fills(r)[0]
        assert f.extras["reason"] == kind and f.extras["source"] == "stream"
        assert f.price == pytest.approx(px) and f.qty == pytest.approx(0.01)
        assert f.fee == pytest.approx(0.01 * px * r.fake.ledger.fee_rate)
        await r.settle()
        assert BTC not in r.engine.positions
        t = r.engine.trades[-1]
        assert t.reason == kind and t.exit_price == pytest.approx(px)
        await until(lambda: r.open_exits() == [], timeout=2.0, what="the other exit cancelled")
        assert r.position() == 0
        # the poller, run now, must not report the same fill a second time
        await r.broker.check_exits()
        assert r.broker.poll(0) == []
        assert not [a for a in r.broker.alerts if "internal" in a]


async def test_own_market_orders_on_the_stream_are_not_taken_for_exits(venue):
    async with rig(venue, stream=True, watch_interval_s=60.0) as r:
        await _streaming(r)
        await _open_long(r)
        await asyncio.sleep(0.2)  # the entry's own fill events have been delivered and ignored
        assert _exit_fills(r) == [] and BTC in r.broker.tracked


async def test_duplicate_delivery_is_reported_once(venue):
    async with rig(venue, stream=True, watch_interval_s=60.0) as r:
        await _streaming(r)
        pos = await _open_long(r)
        r.fake.set_price("BTCUSDT", pos.stop_price - 20)
        await until(lambda: _exit_fills(r), timeout=2.0, what="stop fill")
        await r.settle()
        trades = len(r.engine.trades)
        r.fake.ws.replay()  # the venue sends everything again
        await asyncio.sleep(0.3)
        await r.settle()
        assert _exit_fills(r) == [] and len(r.engine.trades) == trades


async def test_stream_drop_reconnects_and_polling_catches_the_fill_made_meanwhile_once(venue):
    async with rig(venue, stream=True, watch_interval_s=0.3) as r:
        await _streaming(r)
        pos = await _open_long(r)
        sessions = r.broker.stream.sessions
        r.fake.ws.refuse = True
        if venue == "binance":
            r.fake.expire_listen_key()  # listenKeyExpired, then the socket closes
        else:
            r.fake.ws.drop_all()
        await until(lambda: not r.broker.stream.connected.is_set(), what="stream down")
        r.fake.set_price("BTCUSDT", pos.stop_price - 30)  # fires while nobody listens
        await until(lambda: _exit_fills(r), timeout=3.0, what="fill caught by polling")
        f = _exit_fills(r)[0]
        assert f.extras["source"] == "poll" and f.extras["reason"] == "stop"
        await r.settle()
        assert BTC not in r.engine.positions and r.engine.trades[-1].reason == "stop"
        trades = len(r.engine.trades)
        r.fake.ws.refuse = False
        await until(lambda: r.broker.stream.sessions > sessions and r.fake.ws.connected, what="reconnected")
        if venue == "binance":
            keys = r.fake.listen_keys_issued
            assert len(keys) >= 2 and keys[-1] != keys[0]  # a fresh listenKey after expiry
        r.fake.ws.replay()  # anything the venue re-sends after the reconnect is not reported again
        await asyncio.sleep(0.7)  # and a few polls later still nothing new
        await r.settle()
        assert len(r.engine.trades) == trades and _exit_fills(r) == []
        assert r.position() == 0 and r.open_exits() == []


async def test_bybit_bad_auth_is_refused_alerted_redacted_and_polling_goes_on(caplog):
    caplog.set_level(logging.DEBUG)
    async with rig("bybit", stream=True, watch_interval_s=0.3) as r:
        r.fake.ws_secret = "not-the-secret"  # the venue no longer accepts our stream signature
        await until(
            lambda: r.fake.ws.auth_failures >= 1 and any("authentication refused" in a for a in r.broker.alerts),
            what="auth refused and alerted",
        )
        assert r.broker.stream is not None and not r.broker.stream.connected.is_set()
        for a in r.broker.alerts:
            assert API_KEY not in a and SECRET not in a
        assert any("***" in a for a in r.broker.alerts)  # the fake echoed the key; it was redacted
        pos = await _open_long(r)
        r.fake.set_price("BTCUSDT", pos.stop_price - 10)
        await until(lambda: _exit_fills(r), timeout=3.0, what="stop caught by polling")
        assert _exit_fills(r)[0].extras["source"] == "poll"
        await r.settle()
        assert BTC not in r.engine.positions and r.engine.trades[-1].reason == "stop"
    assert API_KEY not in caplog.text and SECRET not in caplog.text


async def test_stream_logs_never_carry_key_secret_or_listen_key(venue, caplog):
    caplog.set_level(logging.DEBUG)
    async with rig(venue, stream=True, watch_interval_s=60.0) as r:
        await _streaming(r)
        pos = await _open_long(r)
        r.fake.set_price("BTCUSDT", pos.stop_price - 5)
        await until(lambda: _exit_fills(r), timeout=2.0, what="stop fill")
        r.fake.ws.drop_all()
        await until(lambda: r.broker.stream.sessions >= 2, what="reconnected")
        listen_keys = getattr(r.fake, "listen_keys_issued", [])
    text = caplog.text
    assert API_KEY not in text and SECRET not in text
    assert not any(k in text for k in listen_keys)


async def test_binance_listen_key_is_obtained_with_the_api_key_header_and_no_signature():
    async with rig("binance", stream=True) as r:
        await _streaming(r)
        posts = r.fake.calls("POST", "/fapi/v1/listenKey")
        assert posts and all("signature" not in p for p in posts)
        assert r.broker.stream.session.listen_key == r.fake.listen_key


def test_bybit_auth_signature_matches_the_independent_hmac():
    args = bybit_ws_auth_args(API_KEY, SECRET, 1_700_000_000_000)
    assert args[:2] == [API_KEY, 1_700_000_000_000]
    assert args[2] == hmac_sha256_hex(SECRET.encode(), b"GET/realtime1700000000000")


def test_binance_session_matches_a_triggered_algo_order_whichever_event_comes_first():
    async def nothing(*a):
        return ""

    otu = {
        "e": "ORDER_TRADE_UPDATE",
        "o": {
            "s": "BTCUSDT",
            "c": "x",
            "S": "SELL",
            "o": "MARKET",
            "x": "TRADE",
            "X": "FILLED",
            "i": 77,
            "z": "0.01",
            "ap": "59000",
            "n": "0.2",
            "R": True,
            "ot": "STOP_MARKET",
        },
    }
    algo = {"e": "ALGO_UPDATE", "o": {"caid": "lqh-abc-x1sl", "aid": 5, "X": "TRIGGERED", "ai": "77"}}
    s = BinanceSession("ws://x", nothing, nothing)
    assert [f.algo_client_id for f in s.handle(algo) + s.handle(otu)] == ["lqh-abc-x1sl"]
    s = BinanceSession("ws://x", nothing, nothing)
    first = s.handle(otu)
    assert first[0].kind_hint == "stop" and first[0].algo_client_id == "" and first[0].fee == pytest.approx(0.2)
    assert [f.algo_client_id for f in s.handle(algo)] == ["lqh-abc-x1sl"]


def test_bybit_session_builds_one_fill_from_partial_executions_and_ignores_repeats():
    s = BybitSession("ws://x", API_KEY, SECRET, lambda: 0)
    part = {
        "category": "linear",
        "symbol": "BTCUSDT",
        "orderId": "o1",
        "orderLinkId": "lqh-a-x1tp",
        "side": "Sell",
        "execType": "Trade",
        "stopOrderType": "Stop",
    }
    m1 = {
        "topic": "execution",
        "data": [
            part | {"execId": "e1", "execQty": "0.004", "execPrice": "100", "execFee": "0.1", "leavesQty": "0.006"}
        ],
    }
    m2 = {
        "topic": "execution",
        "data": [part | {"execId": "e2", "execQty": "0.006", "execPrice": "110", "execFee": "0.2", "leavesQty": "0"}],
    }
    assert s.handle(m1) == [] and s.handle(m1) == []
    (f,) = s.handle(m2)
    assert f.qty == pytest.approx(0.01) and f.avg_price == pytest.approx(106.0) and f.fee == pytest.approx(0.3)
    assert f.client_id == "lqh-a-x1tp" and f.exchange_id == "o1"
    assert s.handle(m2) == []


# -- the 2026 Binance private route, polling as the fallback, silence ---------------------------
def _exit_queries(r) -> int:
    """REST look-ups of our exchange-side exits: what the watcher's poll does."""
    if r.venue == "binance":
        return len(r.fake.calls("GET", "/fapi/v1/algoOrder"))
    return len([p for p in r.fake.calls("GET", "/v5/order/realtime") if p.get("orderLinkId", "")[-2:] in ("sl", "tp")])


async def test_binance_private_stream_uses_the_query_route_with_its_events():
    async with rig("binance", stream=True) as r:
        await _streaming(r)
        (target,) = r.fake.stream_urls
        assert target == (
            f"/private/ws?listenKey={r.fake.listen_key}&events=ORDER_TRADE_UPDATE/ACCOUNT_UPDATE/ALGO_UPDATE"
        )
        assert r.fake.ws.silent_accepted == 0


async def test_fake_binance_serves_user_data_only_on_the_query_route():
    """The fake behaves like the venue: the legacy path form connects and then hears nothing,
    while a query-form connection gets the account's events."""
    from websockets.asyncio.client import connect

    from tests.fake_exchange.ws import FakeWsServer

    async with rig("binance", stream=False) as r:
        listen_key = await r.broker._listen_key()  # POST /fapi/v1/listenKey, as the broker does it
        with FakeWsServer(r.fake) as ws_server:
            base = ws_server.url
            async with (
                connect(f"{base}/private/ws/{listen_key}") as legacy,
                connect(f"{base}/private/ws?listenKey={listen_key}&events=ORDER_TRADE_UPDATE") as routed,
            ):
                await until(lambda: r.fake.ws.connected == 1 and r.fake.ws.silent_accepted == 1, what="both connected")
                submit_entry(r.engine, "buy", 0.01)
                await r.settle()
                first = await asyncio.wait_for(routed.recv(), 2.0)
                assert '"ORDER_TRADE_UPDATE"' in first  # and only the event asked for: no ACCOUNT_UPDATE
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(routed.recv(), 0.1)
                with pytest.raises(TimeoutError):  # the path form got nothing of what the query form got
                    await asyncio.wait_for(legacy.recv(), 0.1)


async def test_exchange_stop_is_reported_by_the_stream_with_no_poll_at_all(venue):
    # watch_interval 0.05 s: without a healthy stream the watcher would poll twenty times a second
    async with rig(venue, stream=True, watch_interval_s=0.05, stream_watch_interval_s=3600.0) as r:
        await _streaming(r)
        pos = await _open_long(r)
        polls_before = _exit_queries(r)
        r.fake.set_price("BTCUSDT", pos.stop_price - 40)
        await until(lambda: _exit_fills(r), timeout=2.0, what="stop fill")
        assert _exit_queries(r) == polls_before == 0  # not one REST look-up of the exits
        f = _exit_fills(r)[0]
        assert f.extras["source"] == "stream" and f.extras["reason"] == "stop"
        await r.settle()
        assert BTC not in r.engine.positions and r.engine.trades[-1].reason == "stop"
        assert r.broker.stream.healthy and r.broker.stream.silent_misses == 0
        assert r.broker.stream_health()["state"] == "up" and r.broker.stream_health()["events"] > 0


async def test_silent_private_stream_is_counted_alerted_reconnected_and_polling_takes_over(venue, caplog):
    caplog.set_level(logging.WARNING)
    async with rig(
        venue, stream=True, watch_interval_s=0.05, stream_watch_interval_s=3600.0, stream_silence_s=0.3
    ) as r:
        r.fake.stream_silent = True  # connects and subscribes, then delivers nothing (a wrong route)
        await until(lambda: r.broker.stream.connected.is_set(), what="stream connected")
        sessions = r.broker.stream.sessions
        pos = await _open_long(r)  # REST shows the entry fill; the stream never mentions it
        await until(lambda: r.broker.stream.silent_misses >= 1, timeout=3.0, what="silence detected")
        assert not r.broker.stream.healthy and r.broker.stream.state == "silent"
        health = r.broker.stream_health()
        assert health["state"] == "silent" and health["silent_misses"] >= 1 and health["confirmed"] == 0
        assert any("connected but silent" in a for a in r.broker.alerts)
        assert "private stream silent" in caplog.text
        await until(lambda: r.broker.stream.sessions > sessions, what="reconnected after the silence")
        r.fake.set_price("BTCUSDT", pos.stop_price - 40)
        await until(lambda: _exit_fills(r), timeout=3.0, what="stop caught by polling")
        assert _exit_fills(r)[0].extras["source"] == "poll"
        await r.settle()
        assert BTC not in r.engine.positions and r.engine.trades[-1].reason == "stop"


async def test_a_stream_that_delivers_again_is_trusted_again(venue):
    async with rig(
        venue, stream=True, watch_interval_s=0.05, stream_watch_interval_s=3600.0, stream_silence_s=0.3
    ) as r:
        r.fake.stream_silent = True
        await until(lambda: r.broker.stream.connected.is_set(), what="stream connected")
        await _open_long(r)
        await until(lambda: r.broker.stream.silent, timeout=3.0, what="silence detected")
        r.fake.stream_silent = False  # the next session is fed
        sessions = r.broker.stream.sessions
        r.fake.ws.drop_all()
        await until(lambda: r.broker.stream.sessions > sessions and r.fake.ws.connected, what="fed session")
        r.engine.submit(Flatten(BTC))
        await r.settle()
        await until(lambda: r.broker.stream.confirmed >= 1, timeout=3.0, what="the close seen on the stream")
        assert r.broker.stream.healthy


async def test_binance_listen_key_is_kept_alive_and_a_lapsed_key_is_replaced():
    async with rig("binance", stream=True, stream_heartbeat_s=0.1) as r:
        await _streaming(r)
        await until(lambda: len(r.fake.calls("PUT", "/fapi/v1/listenKey")) >= 2, what="two keepalives")
        assert all("signature" not in p for p in r.fake.calls("PUT", "/fapi/v1/listenKey"))
        sessions = r.broker.stream.sessions
        with r.fake.ledger.lock:
            r.fake.listen_key = None  # lapses without a listenKeyExpired event: the next PUT gets -1125
        await until(lambda: r.broker.stream.sessions > sessions and r.fake.ws.connected, what="new session")
        assert len(r.fake.listen_keys_issued) == 2 and r.broker.stream.session.listen_key == r.fake.listen_key
        assert r.fake.stream_urls[-1].startswith(f"/private/ws?listenKey={r.fake.listen_key}&")


def test_binance_session_reads_account_updates_and_reports_an_exit_rejected_at_trigger():
    async def nothing(*a):
        return ""

    s = BinanceSession("ws://x/private/ws", nothing, nothing)
    acct = {
        "e": "ACCOUNT_UPDATE",
        "E": 1,
        "T": 1,
        "a": {"m": "ORDER", "B": [], "P": [{"s": "BTCUSDT", "pa": "-0.020", "ep": "60000", "ps": "BOTH"}]},
    }
    assert s.handle(acct) == [PositionUpdate("BTCUSDT", -0.02)] and s.positions == {"BTCUSDT": -0.02}
    gone = s.handle(
        {"e": "ALGO_UPDATE", "T": 1, "E": 1, "o": {"caid": "lqh-a-x1sl", "aid": 9, "X": "REJECTED", "ai": ""}}
    )
    assert [(g.client_id, g.status) for g in gone] == [("lqh-a-x1sl", "rejected")]


async def test_exit_rejected_at_trigger_on_the_stream_is_alerted(venue):
    from core.brokers.user_stream import ExitOrderGone

    async with rig(venue) as r:
        await _open_long(r)
        t = r.broker.tracked[BTC]
        r.broker.on_stream_exit_gone(ExitOrderGone(t.stop_id, "rejected"))
        assert any("stop order rejected" in a and "NOT protected" in a for a in r.broker.alerts)


async def test_position_changed_on_the_venue_behind_our_back_is_reconciled_at_once(venue):
    """A manual partial close on the website: the stream's account/position update triggers the
    reconciliation right away (periodic reconciliation and slow polling are an hour away here)."""
    from core.brokers.reconcile import startup_reconcile
    from core.brokers.reconcile_loop import ReconcileLoop

    async with rig(
        venue, stream=True, watch_interval_s=0.05, stream_watch_interval_s=3600.0, reconcile_interval_s=3600.0
    ) as r:
        await _streaming(r)
        await startup_reconcile(r.engine, r.broker)
        loop = ReconcileLoop(r.engine, r.broker)
        loop.start()
        await _open_long(r)
        with r.fake.ledger.lock:
            r.fake.ledger.set_position("BTCUSDT", 0.004, 60_000.0)
        if venue == "binance":
            r.fake.push_account_update("BTCUSDT")
        else:
            r.fake.push_position("BTCUSDT")
        await until(lambda: r.engine.positions[BTC].qty == pytest.approx(0.004), timeout=3.0, what="resized")
        await until(
            lambda: r.broker.tracked.get(BTC) is not None and r.broker.tracked[BTC].qty == pytest.approx(0.004),
            timeout=3.0,
            what="exits re-placed for the new size",
        )
        await loop.stop()


def test_default_private_stream_urls_and_keepalive():
    from core.brokers import binance, bybit
    from core.brokers.factory import make_broker
    from core.brokers.keys import ApiKeys
    from core.config import Config

    b = make_broker("binance", True, Config(), keys=ApiKeys(API_KEY, SECRET, "binance"))
    assert b.stream_url() == "wss://fstream.binance.com/private/ws"  # + ?listenKey=…&events=… per session
    assert b._make_user_stream(b.stream_url()).session.keepalive_s == 1800.0  # 30 min; keys last 60
    assert binance.TESTNET_STREAM_URL == "wss://fstream.binancefuture.com/private/ws"
    y = make_broker("bybit", True, Config(), keys=ApiKeys(API_KEY, SECRET, "bybit"))
    assert y.stream_url() == bybit.MAINNET_STREAM_URL == "wss://stream.bybit.com/v5/private"
