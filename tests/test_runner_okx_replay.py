"""OKX: the first liquidation-orders push after a (re)subscribe can replay liquidations from before
the connection. They are counted as `replayed` and never reach the windows; connections are paced
within OKX's 3 connection requests per second per IP. Local websocket server only."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from dataclasses import replace

from core.clock import WallClock
from core.feeds.base import ParseError
from core.feeds.okx import OkxParser
from core.feeds.pacing import ConnectPacer
from core.feeds.registry import make_parser, venue_module
from core.feeds.runner import FeedRunner
from core.instruments import Instrument
from tests.runner_helpers import LocalVenue, until

BTC = [Instrument("okx", "BTC-USDT-SWAP", "BTC-USDT-PERP", contract_value=0.01)]
ACK = json.dumps(
    {"event": "subscribe", "arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "connId": "a4d3ae55"}
)


def liquidations(*rows: tuple[str, str, float]) -> str:
    """(side, sz, ts seconds) rows in one liquidation-orders push for BTC-USDT-SWAP."""
    return json.dumps(
        {
            "arg": {"channel": "liquidation-orders", "instType": "SWAP"},
            "data": [
                {
                    "details": [
                        {
                            "bkLoss": "0",
                            "bkPx": "60000",
                            "ccy": "",
                            "posSide": "net",
                            "side": side,
                            "sz": sz,
                            "ts": str(int(ts * 1000)),
                        }
                        for side, sz, ts in rows
                    ],
                    "instFamily": "BTC-USDT",
                    "instId": "BTC-USDT-SWAP",
                    "instType": "SWAP",
                    "uly": "BTC-USDT",
                }
            ],
        }
    )


def test_rows_older_than_the_subscription_ack_are_replays_not_liquidations():
    p = OkxParser(BTC)
    t0 = 1_700_000_000.0
    # before any ack (e.g. a recording that starts mid-stream) nothing is filtered
    assert len(p.parse(liquidations(("sell", "1", t0 - 600)), t0)) == 1
    assert p.parse(ACK, t0) == []
    try:
        p.parse(liquidations(("sell", "5", t0 - 600), ("buy", "2", t0 - 30)), t0 + 0.2)
        raise AssertionError("an all-replay push must be dropped")
    except ParseError as exc:
        assert exc.reason == "replayed"
    # a push mixing a replay and a new row keeps the new one and counts the other row
    [ev] = p.parse(liquidations(("sell", "5", t0 - 600), ("buy", "3", t0 + 1)), t0 + 1.1)
    assert ev.side == "short" and abs(ev.qty - 0.03) < 1e-12
    assert p.take_row_drops() == {"replayed": 1} and p.take_row_drops() == {}
    # within the clock slack a row just before the ack is still news
    assert len(p.parse(liquidations(("sell", "1", t0 - 0.5)), t0 + 2)) == 1


async def test_replay_on_every_reconnect_is_counted_and_never_delivered():
    """The server replays the same old liquidations after each subscribe, then sends one new one,
    then drops the connection; after three sessions only the three new ones were delivered."""
    sessions = 3

    async def play(ws, index):
        await ws.recv()  # the subscribe frame
        await ws.send(ACK)
        now = time.time()
        await ws.send(liquidations(("sell", "4", now - 900), ("sell", "6", now - 300)))  # replayed push
        await ws.send(liquidations(("buy", "2", now + 0.05)))  # new
        if index < sessions - 1:
            await asyncio.sleep(0.05)
            ws.transport.abort()
            return
        async for _ in ws:
            pass

    events = []
    async with LocalVenue(play) as server:
        api = venue_module("okx")
        conns = [replace(c, url=server.url("/ws/v5/public")) for c in api.connections(BTC) if c.name == "liquidations"]
        runner = FeedRunner(
            "okx",
            conns,
            make_parser("okx", BTC),
            events.extend,
            WallClock(),
            auto_reply=api.auto_reply,
            backoff=(0.05, 0.1),
            rng=random.Random(3),
            connects_per_s=api.connects_per_s,
        )
        task = asyncio.create_task(runner.run())
        try:
            await until(
                lambda: len(events) == sessions and runner.health.dropped.get("replayed") == sessions,
                what="three sessions, each with a replayed push",
            )
            h = runner.health
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    assert [e.side for e in events] == ["short"] * sessions  # only the new rows, never the replays
    assert h.dropped == {"replayed": sessions} and h.reconnects == sessions - 1
    assert h.received == h.processed + sum(h.dropped.values())


async def test_okx_connections_are_paced_within_three_per_second():
    opened: list[float] = []

    async def play(ws, index):
        opened.append(asyncio.get_running_loop().time())
        async for _ in ws:
            pass

    many = [Instrument("okx", f"C{i}-USDT-SWAP", f"C{i}-USDT-PERP", contract_value=1.0) for i in range(450)]
    async with LocalVenue(play) as server:
        api = venue_module("okx")
        conns = [replace(c, url=server.url("/ws/v5/public")) for c in api.connections(many)]
        assert len(conns) == 6 and api.connects_per_s == 3.0  # liquidations + 5 market connections
        runner = FeedRunner(
            "okx",
            conns,
            make_parser("okx", many),
            lambda evs: None,
            WallClock(),
            backoff=(0.05, 0.1),
            rng=random.Random(3),
            connects_per_s=api.connects_per_s,
        )
        task = asyncio.create_task(runner.run())
        try:
            await until(lambda: len(opened) == 6, what="all six connections")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    opened.sort()
    for i in range(len(opened) - 3):  # any four consecutive handshakes span at least one second
        assert opened[i + 3] - opened[i] >= 0.95, opened


async def test_connect_pacer_spaces_concurrent_callers():
    pacer = ConnectPacer(4.0)
    loop = asyncio.get_running_loop()
    stamps = []

    async def one():
        await pacer.acquire()
        stamps.append(loop.time())

    await asyncio.gather(*(one() for _ in range(5)))
    stamps.sort()
    assert all(b - a >= 0.24 for a, b in itertools.pairwise(stamps))
