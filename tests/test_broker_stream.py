"""Private (user-data) websocket streams of the live brokers, against the local fake venues.

The REST watcher is set to 60 s in these tests, so an exit fill that arrives within a couple of
seconds can only have come from the stream. Nothing here reaches a real venue."""
from __future__ import annotations

import asyncio
import logging
import time

import pytest

from core.brokers.base import Fill
from core.brokers.user_stream import BinanceSession, BybitSession, bybit_ws_auth_args
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
    await until(lambda: r.broker.stream is not None and r.broker.stream.connected.is_set() and r.fake.ws.connected,
                what="private stream connected")


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
        await until(lambda: r.fake.ws.auth_failures >= 1 and any("authentication refused" in a for a in r.broker.alerts),
                    what="auth refused and alerted")
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

    otu = {"e": "ORDER_TRADE_UPDATE", "o": {"s": "BTCUSDT", "c": "x", "S": "SELL", "o": "MARKET", "x": "TRADE",
                                             "X": "FILLED", "i": 77, "z": "0.01", "ap": "59000", "n": "0.2",
                                             "R": True, "ot": "STOP_MARKET"}}
    algo = {"e": "ALGO_UPDATE", "o": {"caid": "lqh-abc-x1sl", "aid": 5, "X": "TRIGGERED", "ai": "77"}}
    s = BinanceSession("ws://x", nothing, nothing)
    assert [f.algo_client_id for f in s.handle(algo) + s.handle(otu)] == ["lqh-abc-x1sl"]
    s = BinanceSession("ws://x", nothing, nothing)
    first = s.handle(otu)
    assert first[0].kind_hint == "stop" and first[0].algo_client_id == "" and first[0].fee == pytest.approx(0.2)
    assert [f.algo_client_id for f in s.handle(algo)] == ["lqh-abc-x1sl"]


def test_bybit_session_builds_one_fill_from_partial_executions_and_ignores_repeats():
    s = BybitSession("ws://x", API_KEY, SECRET, lambda: 0)
    part = {"category": "linear", "symbol": "BTCUSDT", "orderId": "o1", "orderLinkId": "lqh-a-x1tp", "side": "Sell",
            "execType": "Trade", "stopOrderType": "Stop"}
    m1 = {"topic": "execution", "data": [part | {"execId": "e1", "execQty": "0.004", "execPrice": "100", "execFee": "0.1",
                                                 "leavesQty": "0.006"}]}
    m2 = {"topic": "execution", "data": [part | {"execId": "e2", "execQty": "0.006", "execPrice": "110", "execFee": "0.2",
                                                 "leavesQty": "0"}]}
    assert s.handle(m1) == [] and s.handle(m1) == []
    (f,) = s.handle(m2)
    assert f.qty == pytest.approx(0.01) and f.avg_price == pytest.approx(106.0) and f.fee == pytest.approx(0.3)
    assert f.client_id == "lqh-a-x1tp" and f.exchange_id == "o1"
    assert s.handle(m2) == []
