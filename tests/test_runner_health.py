"""FeedHealth counters, rate and lag; backoff and the REST weight budget; the runner's REST polls."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket

import httpx

from core.clock import WallClock
from core.events import Trade
from core.feeds.base import ParseError, RestPoll
from core.feeds.failure import describe_failure
from core.feeds.health import HealthTracker, aggregate_state
from core.feeds.pacing import Backoff, RateBudget
from core.feeds.runner import FeedRunner
from tests.runner_helpers import until


def trade(ts_event: float, ts_recv: float) -> Trade:
    return Trade("testvenue", "BTC-USDT-PERP", "BTCUSDT", 100.0, 1.0, "buy", ts_event, ts_recv)


def test_msgs_per_s_averages_the_last_ten_whole_seconds():
    t = HealthTracker("testvenue", ["main"])
    for i in range(50):  # 5 frames/s for 10 s
        t.frame_received(1000.0 + i * 0.2, "main")
    assert t.snapshot(now=1010.5).msgs_per_s == 5.0
    assert t.snapshot(now=1030.0).msgs_per_s == 0.0  # silence brings the rate back to zero


def test_lag_is_the_median_of_events_that_carry_exchange_time():
    t = HealthTracker("testvenue", ["main"])
    t.events_delivered([trade(99.9, 100.0), trade(99.7, 100.0), trade(99.95, 100.0)])
    t.events_delivered([trade(100.0, 100.0)])  # ts_event == ts_recv: the venue gave no time, no sample
    assert round(t.snapshot(now=100.0).lag_ms, 6) == 100.0


def test_venue_state_is_the_worst_connection_state():
    assert aggregate_state(["connected", "stale"]) == "stale"
    assert aggregate_state(["stale", "reconnecting", "connected"]) == "reconnecting"
    assert aggregate_state(["connected", "connected"]) == "connected"
    assert aggregate_state([]) == "down"


def test_is_stale_blocks_on_state_or_on_silence():
    t = HealthTracker("testvenue", ["main"])
    assert t.snapshot(0).is_stale(now=0)  # still connecting
    t.set_state("main", "connected")
    t.frame_received(100.0, "main")
    h = t.snapshot(100.0)
    assert not h.is_stale(now=101.0)
    assert not h.is_stale(now=104.0, max_silence=5.0)
    assert h.is_stale(now=106.0, max_silence=5.0)


def test_note_is_the_reason_while_connected_and_reconnects_count_reopened_connections():
    t = HealthTracker("hyperliquid", ["main"], note="no public liquidation stream")
    t.connection_opened("main")
    t.set_state("main", "connected")
    assert t.snapshot(0).reason == "no public liquidation stream"
    t.set_state("main", "reconnecting", "cannot reach api.hyperliquid.xyz: connection refused")
    t.connection_opened("main")
    h = t.snapshot(0)
    assert h.reason.startswith("cannot reach api.hyperliquid.xyz") and "no public liquidation" in h.reason
    assert h.reconnects == 1
    t.stop()
    assert t.snapshot(0).state == "down"


def test_backoff_grows_to_its_cap_with_jitter_and_resets():
    b = Backoff(1.0, 8.0, rng=random.Random(3))
    delays = [b.next() for _ in range(6)]
    for d, base in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert base * 0.5 <= d < base
    b.reset()
    assert b.next() < 1.0
    same = Backoff(1.0, 8.0, rng=random.Random(3))
    assert [same.next() for _ in range(6)] == delays  # seeded: reproducible


async def test_rate_budget_spaces_requests_beyond_its_burst():
    budget = RateBudget(weight_per_min=600)  # 10/s, burst 100
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(105):
        await budget.acquire(1)
    elapsed = loop.time() - start
    assert 0.4 <= elapsed < 2.0  # the five requests past the burst wait ~0.1 s each


def test_failures_are_described_with_the_host():
    dns = socket.gaierror(-3, "Temporary failure in name resolution")
    assert describe_failure(dns, "wss://fstream.binance.com/market/stream") == (
        "dns",
        "cannot reach fstream.binance.com: DNS lookup failed (Temporary failure in name resolution)",
    )
    wrapped = httpx.ConnectError("boom")
    wrapped.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert describe_failure(wrapped, "https://api.bybit.com/v5") == (
        "refused",
        "cannot reach api.bybit.com: connection refused",
    )


# --- REST polls ---------------------------------------------------------------------------------


class OpenInterestParser:
    venue = "testvenue"

    def parse(self, raw, ts_recv):
        return []


def parse_poll(parser, msg, ts):
    body = msg["body"]
    if "oi" not in body:
        raise ParseError("missing_field", "oi")
    return [trade(ts - body["t"], ts)]  # "t": the answer's age in seconds


async def test_rest_poll_backs_off_on_429_retries_timeouts_and_records_the_response():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(asyncio.get_running_loop().time())
        n = len(calls)
        if n == 1:
            return httpx.Response(429, headers={"Retry-After": "0.3"})
        if n == 2:
            raise httpx.ReadTimeout("slow", request=request)
        if n == 3:
            return httpx.Response(200, json={"nope": 1})
        return httpx.Response(200, json={"oi": "123.4", "t": 1.0})

    raw, events = [], []
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    poll = RestPoll("testvenue", "https://api.test.invalid/v1/openInterest", {"symbol": "BTCUSDT"}, interval=0.05)
    runner = FeedRunner(
        "testvenue",
        [],
        OpenInterestParser(),
        events.extend,
        WallClock(),
        on_raw=lambda ts, v, m: raw.append(m),
        polls=[poll],
        http_client=client,
        backoff=(0.05, 0.1),
        rng=random.Random(2),
        parse_poll=parse_poll,
    )
    task = asyncio.create_task(runner.run())
    try:
        await until(lambda: len(events) >= 1, what="a parsed poll response")
        h = runner.health
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        await client.aclose()

    assert calls[1] - calls[0] >= 0.3  # Retry-After respected
    assert h.errors["rest_http_429"] == 1 and h.errors["rest_timeout"] == 1
    assert h.dropped == {"missing_field": 1}
    assert raw[0] == {"rest": "/v1/openInterest", "params": {"symbol": "BTCUSDT"}, "body": {"nope": 1}}
    assert raw[1]["body"] == {"oi": "123.4", "t": 1.0}
    assert h.received == h.processed + sum(h.dropped.values())


def test_a_connection_never_opened_is_down_with_its_error_and_next_retry_not_reconnecting():
    t = HealthTracker("okx", ["liquidations", "markets-1"], coverage="a sample")
    t.set_state("liquidations", "reconnecting", "cannot reach ws.okx.com: connection refused", next_retry_ts=107.5)
    t.set_state("markets-1", "reconnecting", "cannot reach ws.okx.com: connection refused", next_retry_ts=104.0)
    h = t.snapshot(100.0)
    assert h.state == "down" and not h.ever_connected
    assert h.reason.startswith("cannot reach ws.okx.com") and h.last_error == h.reason
    assert h.next_retry_ts == 104.0 and h.retry_in_s(100.0) == 4.0
    assert h.coverage == "a sample" and h.age_s(100.0) is None
    # once a connection has been up, losing it is "reconnecting", and the last error stays on record
    for name in ("liquidations", "markets-1"):
        t.connection_opened(name)
        t.set_state(name, "connected")
    t.frame_received(101.0, "liquidations")
    t.set_state("liquidations", "reconnecting", "ws.okx.com closed the connection (code 1006)", next_retry_ts=103.0)
    h = t.snapshot(102.0)
    assert h.state == "reconnecting" and h.ever_connected
    assert h.last_error == "ws.okx.com closed the connection (code 1006)"
    assert h.age_s(102.0) == 1.0 and h.retry_in_s(102.0) == 1.0
    t.set_state("liquidations", "connected")
    h = t.snapshot(102.0)
    assert h.state == "connected" and h.next_retry_ts is None and h.last_error.startswith("ws.okx.com closed")
