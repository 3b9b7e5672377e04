"""Each venue's real protocol pieces (registry connections, parser, auto_reply) through the runner
and LiveFeeds, against a local websocket server that plays the venue. Never touches the internet."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
from dataclasses import replace

from core.clock import WallClock
from core.events import Liquidation, MarkPrice
from core.feeds.instruments_cache import write_cache
from core.feeds.live import LiveFeeds, MarketFilter
from core.feeds.registry import make_parser, venue_module
from core.feeds.runner import FeedRunner
from core.instruments import Instrument
from tests.runner_helpers import DOCUMENTED_FRAMES, LocalVenue, hang, until

# real frame, BTCUSDT 2023-09-26 (c9s/bbgo PR #1232), in the /market combined-stream envelope
BINANCE_FORCE_ORDER = json.dumps(
    {
        "stream": "!forceOrder@arr",
        "data": {
            "e": "forceOrder",
            "E": 1695714031883,
            "o": {
                "s": "BTCUSDT",
                "S": "SELL",
                "o": "LIMIT",
                "f": "IOC",
                "q": "0.115",
                "p": "26142.12",
                "ap": "26245.10",
                "X": "FILLED",
                "l": "0.115",
                "z": "0.115",
                "T": 1695714031881,
            },
        },
    }
)
BYBIT_LIQUIDATION = json.dumps(
    {
        "topic": "allLiquidation.BTCUSDT",
        "type": "snapshot",
        "ts": 1739502303204,
        "data": [{"T": 1739502302929, "s": "BTCUSDT", "S": "Buy", "v": "0.5", "p": "96000"}],
    }
)
OKX_LIQUIDATION = json.dumps(
    {
        "arg": {"channel": "liquidation-orders", "instType": "SWAP"},
        "data": [
            {
                "details": [
                    {
                        "bkLoss": "0",
                        "bkPx": "60000",
                        "ccy": "",
                        "posSide": "short",
                        "side": "buy",
                        "sz": "13",
                        "ts": "1692266434010",
                    }
                ],
                "instFamily": "BTC-USDT",
                "instId": "BTC-USDT-SWAP",
                "instType": "SWAP",
                "uly": "BTC-USDT",
            }
        ],
    }
)
DERIBIT_TEST_REQUEST = json.dumps({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}})
DERIBIT_LIQUIDATION_TRADE = json.dumps(
    {
        "jsonrpc": "2.0",
        "method": "subscription",
        "params": {
            "channel": "trades.BTC-PERPETUAL.100ms",
            "data": [
                {
                    "trade_seq": 1,
                    "trade_id": "1",
                    "timestamp": 1700000000000,
                    "tick_direction": 0,
                    "price": 40000.0,
                    "mark_price": 40000.0,
                    "instrument_name": "BTC-PERPETUAL",
                    "index_price": 40000.0,
                    "direction": "sell",
                    "amount": 4000.0,
                    "liquidation": "T",
                }
            ],
        },
    }
)


def dead_rest_base() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@contextlib.asynccontextmanager
async def running(coro):
    task = asyncio.create_task(coro)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


def venue_runner(venue, instruments, url, events, **conn_changes):
    api = venue_module(venue)
    conns = [replace(c, url=url, **conn_changes) for c in api.connections(instruments)]
    return FeedRunner(
        venue,
        conns,
        make_parser(venue, instruments),
        events.extend,
        WallClock(),
        limits=DOCUMENTED_FRAMES,
        auto_reply=api.auto_reply,
        backoff=(0.05, 0.2),
        rng=random.Random(5),
    )


async def test_binance_market_route_combined_stream_via_live_feeds(tmp_path):
    paths = []

    async def play(ws, index):
        paths.append(ws.request.path)
        await ws.send(BINANCE_FORCE_ORDER)
        await hang(ws)

    events = []
    async with LocalVenue(play) as server:
        feeds = LiveFeeds(
            ["binance"],
            WallClock(),
            events.extend,
            cache_dir=tmp_path,
            ws_base_urls={"binance": f"ws://127.0.0.1:{server.port}"},
            rest_base_urls={"binance": dead_rest_base()},
            runner_options={"limits": DOCUMENTED_FRAMES},
        )
        async with running(feeds.run()):
            await until(lambda: len(events) == 1, what="the forceOrder liquidation")
            h = feeds.runners["binance"].health

    assert paths == ["/market/stream?streams=!forceOrder@arr/!markPrice@arr@1s"]
    liq = events[0]
    assert isinstance(liq, Liquidation) and liq.side == "long" and liq.market == "BTC-USDT-PERP"
    assert abs(liq.usd - 0.115 * 26245.10) < 0.01
    assert h.state == "connected" and "no cached instruments" in h.reason
    assert feeds.instruments["binance"].source == "none"


async def test_live_feeds_filter_counts_what_it_removes(tmp_path):
    async def play(ws, index):
        await ws.send(BINANCE_FORCE_ORDER)  # ~3 kUSD BTC liquidation
        await ws.send(BINANCE_FORCE_ORDER)
        await hang(ws)

    events = []
    async with LocalVenue(play) as server:
        feeds = LiveFeeds(
            ["binance"],
            WallClock(),
            events.extend,
            cache_dir=tmp_path,
            ws_base_urls={"binance": f"ws://127.0.0.1:{server.port}"},
            rest_base_urls={"binance": dead_rest_base()},
            market_filter=MarketFilter(min_liquidation_usd=10_000),
            runner_options={"limits": DOCUMENTED_FRAMES},
        )
        async with running(feeds.run()):
            await until(
                lambda: "binance" in feeds.runners and feeds.runners["binance"].health.filtered == 2,
                what="two filtered liquidations",
            )
            h = feeds.runners["binance"].health

    assert events == []
    assert (h.processed, h.events, h.dropped) == (2, 0, {})


def test_market_filter_matches_base_or_market_and_exclusions():
    liq = Liquidation("binance", "ETH-USDT-PERP", "ETHUSDT", "long", 2000.0, 1.0, 2000.0, 1.0, 1.0)
    assert MarketFilter(include=frozenset({"ETH"})).keep(liq)
    assert not MarketFilter(include=frozenset({"BTC-USDT-PERP"})).keep(liq)
    assert not MarketFilter(exclude=frozenset({"ETH-USDT-PERP"})).keep(liq)
    assert not MarketFilter(min_liquidation_usd=2500).keep(liq)


async def test_bybit_subscribes_per_symbol_and_keeps_its_ping_pong():
    received = []

    async def play(ws, index):
        received.append(json.loads(await ws.recv()))
        await ws.send(
            json.dumps({"success": True, "ret_msg": "", "conn_id": "c1", "req_id": "sub1", "op": "subscribe"})
        )
        await ws.send(BYBIT_LIQUIDATION)
        async for msg in ws:
            received.append(json.loads(msg))
            await ws.send(json.dumps({"success": True, "ret_msg": "pong", "conn_id": "c1", "req_id": "", "op": "ping"}))

    btc = [Instrument("bybit", "BTCUSDT", "BTC-USDT-PERP")]
    events = []
    async with LocalVenue(play) as server:
        runner = venue_runner("bybit", btc, server.url("/v5/public/linear"), events, ping_interval=0.1)
        async with running(runner.run()):
            await until(lambda: len(received) >= 3 and runner.health.processed >= 4, what="two ping/pong rounds")
            h = runner.health

    assert received[0] == {"req_id": "sub1", "op": "subscribe", "args": ["allLiquidation.BTCUSDT", "tickers.BTCUSDT"]}
    assert all(m == {"op": "ping"} for m in received[1:])
    assert [(e.side, e.qty, e.price) for e in events] == [("long", 0.5, 96000.0)]  # Bybit S is the position side
    assert h.dropped == {}


async def test_okx_text_ping_pong_and_liquidations_in_contracts():
    pings = []
    subscribed = []

    async def play(ws, index):
        sub = json.loads(await ws.recv())
        subscribed.append(sub)
        if sub["args"][0]["channel"] == "liquidation-orders":
            await ws.send(OKX_LIQUIDATION)
        async for msg in ws:
            if msg == "ping":
                pings.append(msg)
                await ws.send("pong")

    btc = [Instrument("okx", "BTC-USDT-SWAP", "BTC-USDT-PERP", contract_value=0.01)]
    events = []
    async with LocalVenue(play) as server:
        runner = venue_runner("okx", btc, server.url("/ws/v5/public"), events, ping_interval=0.1)
        async with running(runner.run()):
            await until(lambda: len(events) == 1 and len(pings) >= 4, what="liquidation and pings")
            h = runner.health

    assert {"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]} in subscribed
    liq = events[0]
    assert liq.side == "short" and abs(liq.qty - 0.13) < 1e-12  # 13 contracts x 0.01 BTC
    assert h.dropped == {} and h.received == h.processed


async def test_deribit_answers_test_request_with_public_test():
    client_frames = []
    answered = asyncio.Event()

    async def play(ws, index):
        client_frames.append(json.loads(await ws.recv()))  # set_heartbeat
        client_frames.append(json.loads(await ws.recv()))  # subscribe
        await ws.send(DERIBIT_TEST_REQUEST)
        client_frames.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        answered.set()
        await ws.send(DERIBIT_LIQUIDATION_TRADE)
        await hang(ws)

    btc = [Instrument("deribit", "BTC-PERPETUAL", "BTC-USD-PERP", contract_kind="inverse", contract_value=10.0)]
    events = []
    async with LocalVenue(play) as server:
        runner = venue_runner("deribit", btc, server.url("/ws/api/v2"), events)
        async with running(runner.run()):
            await asyncio.wait_for(answered.wait(), 5)
            await until(lambda: any(isinstance(e, Liquidation) for e in events), what="the liquidation trade")

    assert client_frames[0]["method"] == "public/set_heartbeat" and client_frames[0]["params"] == {"interval": 30}
    assert client_frames[1]["method"] == "public/subscribe"
    assert client_frames[1]["params"]["channels"] == ["trades.BTC-PERPETUAL.100ms", "ticker.BTC-PERPETUAL.100ms"]
    assert client_frames[2]["method"] == "public/test"
    liqs = [e for e in events if isinstance(e, Liquidation)]
    assert [(e.side, e.usd) for e in liqs] == [("long", 4000.0)]  # the selling taker was liquidated


async def test_hyperliquid_connects_for_funding_only_and_says_so(tmp_path):
    write_cache(tmp_path, "hyperliquid", [Instrument("hyperliquid", "BTC", "BTC-USD-PERP")], fetched_at=1.7e9)
    subscribed = []

    async def play(ws, index):
        subscribed.append(json.loads(await ws.recv()))
        await ws.send(
            json.dumps(
                {
                    "channel": "activeAssetCtx",
                    "data": {
                        "coin": "BTC",
                        "ctx": {
                            "funding": "0.0000125",
                            "openInterest": "1000",
                            "markPx": "60000",
                            "oraclePx": "60010",
                            "premium": "0.0001",
                            "dayNtlVlm": "1000000000",
                            "prevDayPx": "59000",
                        },
                    },
                }
            )
        )
        await hang(ws)

    events, healths = [], []
    async with LocalVenue(play) as server:
        feeds = LiveFeeds(
            ["hyperliquid"],
            WallClock(),
            events.extend,
            on_health=healths.append,
            cache_dir=tmp_path,
            ws_base_urls={"hyperliquid": f"ws://127.0.0.1:{server.port}"},
            rest_base_urls={"hyperliquid": dead_rest_base()},
        )
        async with running(feeds.run()):
            await until(lambda: len(events) >= 1, what="an asset context event")
            h = feeds.runners["hyperliquid"].health

    assert subscribed == [{"method": "subscribe", "subscription": {"type": "activeAssetCtx", "coin": "BTC"}}]
    assert any(isinstance(e, MarkPrice) for e in events)
    assert h.state == "connected"
    assert h.reason.startswith("no public liquidation stream")
    assert "using 1 cached instruments" in h.reason
    assert feeds.instruments["hyperliquid"].source == "cache"
