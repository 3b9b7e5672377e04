"""Gate and Bitget through LiveFeeds against local servers: instruments over REST (and the cache),
subscribe frames as the venues document them, application heartbeats, liquidations sized with the
REST metadata, funding intervals from the hourly contracts poll. Never touches the internet."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from core.clock import WallClock
from core.events import Liquidation, MarkPrice
from core.feeds.instruments_cache import read_cache
from core.feeds.live import LiveFeeds
from tests.faults.venues import FIXTURES, RestVenue
from tests.runner_helpers import DOCUMENTED_FRAMES, LocalVenue, until


@contextlib.asynccontextmanager
async def running(coro):
    task = asyncio.create_task(coro)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


async def _repeat(ws, frame: str, every: float = 0.2) -> None:
    with contextlib.suppress(Exception):
        while True:
            await ws.send(frame)
            await asyncio.sleep(every)


def _fixture(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text().strip()


async def test_gate_subscribes_all_liquidations_pings_and_sizes_by_the_contract_multiplier(tmp_path):
    received: list[dict] = []
    headers: list[str | None] = []

    async def play(ws, index):
        headers.append(ws.request.headers.get("X-Gate-Size-Decimal"))
        async for raw in ws:
            msg = json.loads(raw)
            received.append(msg)
            if msg["channel"] == "futures.ping":
                await ws.send(
                    json.dumps(
                        {
                            "time": int(time.time()),
                            "time_ms": int(time.time() * 1000),
                            "channel": "futures.pong",
                            "event": "",
                            "result": None,
                        }
                    )
                )
            elif msg.get("event") == "subscribe":
                await ws.send(
                    json.dumps(
                        {
                            "time": msg["time"],
                            "channel": msg["channel"],
                            "event": "subscribe",
                            "payload": msg["payload"],
                            "result": {"status": "success"},
                        }
                    )
                )
                if msg["channel"] == "futures.public_liquidates":
                    await ws.send(_fixture("gate_public_liquidates"))
                    await ws.send(_fixture("gate_public_liquidates_short"))
                else:  # tickers keep coming, as Gate pushes them
                    asyncio.create_task(_repeat(ws, _fixture("gate_tickers").replace("BTC_USDT", "ETH_USDT")))

    events = []
    with RestVenue() as rest:
        async with LocalVenue(play) as server:
            feeds = LiveFeeds(
                ["gate"],
                WallClock(),
                events.extend,
                cache_dir=tmp_path,
                ws_base_urls={"gate": f"ws://127.0.0.1:{server.port}"},
                rest_base_urls={"gate": rest.url},
                runner_options={"health_interval": 0.05, "limits": DOCUMENTED_FRAMES},
            )
            feeds_task = feeds.run()
            async with running(feeds_task):
                await until(lambda: sum(isinstance(e, Liquidation) for e in events) == 3, what="three liquidations")
                runner = await _runner(feeds, "gate")
                await until(lambda: rest.ok("/api/v4/futures/usdt/contracts") >= 2, what="the contracts poll")
                await until(
                    lambda: any(isinstance(e, MarkPrice) and e.funding_interval_h == 4.0 for e in events),
                    what="an ETH mark with its 4 h interval",
                )
                h = runner.health

    assert headers and set(headers) == {"1"}  # fractional contract sizes, not integers
    subs = [m for m in received if m.get("event") == "subscribe"]
    assert {"channel": "futures.public_liquidates", "event": "subscribe", "payload": ["!all"]}.items() <= next(
        m for m in subs if m["channel"] == "futures.public_liquidates"
    ).items()
    assert all(abs(m["time"] - time.time()) < 60 for m in subs)  # stamped when sent, as Gate checks
    liqs = [e for e in events if isinstance(e, Liquidation)]
    assert [e.side for e in liqs] == ["long", "long", "short"]
    assert abs(liqs[0].qty - 124.5 * 0.0001) < 1e-12 and abs(liqs[2].qty - 0.37) < 1e-12
    assert h.state == "connected" and h.received == h.processed and h.coverage.startswith("every liquidation")
    instruments, _ = read_cache(tmp_path, "gate")
    assert {i.symbol for i in instruments} == {"BTC_USDT", "ETH_USDT"}


async def _runner(feeds, venue):
    await until(lambda: venue in feeds.runners, what=f"{venue} runner")
    return feeds.runners[venue]


async def test_bitget_liquidation_snapshot_ticker_and_text_ping(tmp_path):
    received: list[object] = []

    async def play(ws, index):
        async for raw in ws:
            if raw == "ping":
                received.append(raw)
                await ws.send("pong")
                continue
            msg = json.loads(raw)
            received.append(msg)
            for arg in msg["args"]:
                await ws.send(json.dumps({"event": "subscribe", "arg": arg, "connId": "c1"}))
                if arg["topic"] == "liquidation":
                    await ws.send(_fixture("bitget_liquidation_both"))
                elif arg["symbol"] == "ETHUSDT":
                    await ws.send(_fixture("bitget_ticker").replace("BTCUSDT", "ETHUSDT"))

    events = []
    with RestVenue() as rest:
        async with LocalVenue(play) as server:
            feeds = LiveFeeds(
                ["bitget"],
                WallClock(),
                events.extend,
                cache_dir=tmp_path,
                ws_base_urls={"bitget": f"ws://127.0.0.1:{server.port}"},
                rest_base_urls={"bitget": rest.url},
                runner_options={"limits": DOCUMENTED_FRAMES},
            )
            async with running(feeds.run()):
                await until(lambda: sum(isinstance(e, Liquidation) for e in events) == 2, what="two liquidations")
                runner = await _runner(feeds, "bitget")
                await until(lambda: rest.ok("/api/v2/mix/market/contracts") >= 2, what="the contracts poll")
                h = runner.health

    assert {"op": "subscribe", "args": [{"instType": "usdt-futures", "topic": "liquidation"}]} in received
    long_, short = [e for e in events if isinstance(e, Liquidation)]
    assert (long_.side, short.side) == ("long", "short") and long_.usd == 60210.0
    assert h.state == "connected" and h.dropped == {} and "largest long" in h.coverage


async def test_htx_gzip_frames_ping_pong_and_wildcard_liquidations(tmp_path):
    import gzip

    pongs: list[dict] = []
    subs: list[dict] = []

    async def play(ws, index):
        subs.append(json.loads(await ws.recv()))
        await ws.send(gzip.compress(_fixture("htx_sub_ack").encode()))
        await ws.send(gzip.compress(json.dumps({"op": "ping", "ts": "1700000000000"}).encode()))
        pongs.append(json.loads(await ws.recv()))
        await ws.send(gzip.compress(_fixture("htx_liquidation_orders").encode()))
        await ws.send(b"\x1f\x8b not really gzip")  # a corrupt frame is counted, not fatal
        await ws.send(gzip.compress(_fixture("htx_liquidation_orders_buy").encode()))
        async for _ in ws:
            pass

    events = []
    raw: list[object] = []
    with RestVenue() as rest:
        async with LocalVenue(play) as server:
            feeds = LiveFeeds(
                ["htx"],
                WallClock(),
                events.extend,
                on_raw=lambda ts, v, m: raw.append(m),
                cache_dir=tmp_path,
                ws_base_urls={"htx": f"ws://127.0.0.1:{server.port}"},
                rest_base_urls={"htx": rest.url},
                runner_options={"limits": DOCUMENTED_FRAMES},
            )
            async with running(feeds.run()):
                await until(lambda: len(events) == 2, what="two HTX liquidations")
                h = (await _runner(feeds, "htx")).health

    assert subs == [{"op": "sub", "cid": "liquidations", "topic": "public.*.liquidation_orders"}]
    assert pongs == [{"op": "pong", "ts": "1700000000000"}]
    assert [(e.side, e.qty) for e in events] == [("long", 0.227), ("short", 0.35)]
    assert h.dropped == {"bad_gzip": 1} and h.received == h.processed + 1
    assert any(isinstance(m, str) and "liquidation_orders" in m for m in raw)  # recorded inflated, so it replays
