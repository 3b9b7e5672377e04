"""Fault injection through the whole console, headless: local Binance and Bybit venues on
127.0.0.1, the real parsers and connection runners, the engine with its heatmap estimate, a
file journal and the Textual app. After each fault the app is up, keys still change the engine,
every received frame is processed or dropped with a reason, and no position is without a stop.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from tests.faults.console import console, fast_feeds, finite_state
from tests.faults.report import FaultRow, record
from tests.faults.venues import (
    RestVenue,
    ScriptedVenue,
    binance_force_order,
    binance_marks,
    bybit_handshake,
    bybit_liquidations,
    bybit_ticker,
    hold,
    hostile_frames,
)

VENUES = ("binance", "bybit")

pytestmark = pytest.mark.slow  # the whole console against local venues: seconds each


@pytest.fixture(autouse=True)
def _fast_feeds(monkeypatch):
    fast_feeds(monkeypatch)


async def heartbeat(venue: ScriptedVenue, ws, frame, every: float = 0.25) -> None:
    """Marks / tickers at a steady pace, as the venues send them (keeps the feed from going stale)."""
    try:
        while not venue.quiet:
            await venue.send(ws, frame())
            await asyncio.sleep(every)
    except Exception:
        return


def assert_accounted(row: FaultRow) -> None:
    assert row.balanced, f"received {row.received} != processed {row.processed} + dropped {dict(row.dropped)}"
    assert row.naked == 0, "a position lost its stop"
    assert row.survived


async def test_feed_drop_mid_burst_reconnects_and_accounts_for_every_frame(tmp_path):
    row = record(FaultRow("feed drop mid-burst (both venues)", injected=2))
    burst = 3_000
    cut = {"binance": asyncio.Event(), "bybit": asyncio.Event()}

    async def play_binance(v, ws, index):
        await v.send(ws, binance_marks())
        if index == 0:
            for i in range(burst):
                await v.send(ws, binance_force_order(i))
                if i % 100 == 0:
                    await asyncio.sleep(0.005)
            await cut["binance"].wait()
            ws.transport.abort()  # no close frame: the TCP connection just dies
            return
        for i in range(burst):
            await v.send(ws, binance_force_order(i, side="BUY"))
            if i % 100 == 0:
                await asyncio.sleep(0.005)
        await heartbeat(v, ws, binance_marks)
        await hold(ws)

    async def play_bybit(v, ws, index):
        await bybit_handshake(v, ws)
        await v.send(ws, bybit_ticker())
        for i in range(100):
            await v.send(ws, bybit_liquidations(10))
            await asyncio.sleep(0.005)
            if index == 0 and i == 60:
                ws.transport.abort()  # mid-burst, frames still in flight are lost on the wire
                return
        await heartbeat(v, ws, bybit_ticker)
        await hold(ws)

    with RestVenue() as rest:
        async with ScriptedVenue("binance", play_binance) as bn, ScriptedVenue("bybit", play_bybit) as by:
            async with asyncio.timeout(45):
                async with console(tmp_path, {"binance": bn.base, "bybit": by.base}, rest.url) as rig:
                    await rig.until(lambda: rig.health("binance").received >= burst + 1, 15, "first binance burst")
                    cut["binance"].set()
                    await rig.until(lambda: bn.connections >= 2 and by.connections >= 2, 15, "both venues reconnected")
                    await rig.until(
                        lambda: (
                            rig.health("binance").received >= 2 * burst + 2
                            and rig.engine.liquidations_seen >= 2 * burst + 1000
                        ),
                        15,
                        "second bursts received",
                    )
                    await rig.connected(*VENUES)
                    bn.quiet = by.quiet = True
                    await rig.until(
                        lambda: rig.health("binance").received == bn.sent + rest.ok(), 5, "binance frames all in"
                    )
                    row.survived = await rig.responsive()
                    rig.account(row, bn.sent + by.sent + rest.ok(), *VENUES)
                    assert rig.health("binance").reconnects >= 1 and rig.health("bybit").reconnects >= 1
                    assert rig.health("bybit").received <= by.sent
                    assert sum(
                        rig.engine.counts[k] for k in ("liquidation", "mark", "open_interest")
                    ) == rig.events_delivered(*VENUES)
                    assert rig.engine.liquidations_seen >= 2 * burst + 100 * 10
    assert_accounted(row)


async def test_silent_venue_goes_stale_blocks_entries_then_recovers(tmp_path):
    row = record(FaultRow("venue goes silent (binance 3 s)", injected=1))
    speak = asyncio.Event()

    async def play_binance(v, ws, index):
        await v.send(ws, binance_marks())
        await v.send(ws, binance_force_order(0))
        await speak.wait()  # silent: no frames at all, the connection stays open
        await heartbeat(v, ws, binance_marks)

    burst = asyncio.Event()  # the Bybit cascade starts once Binance is stale, so its signal meets the block

    async def play_bybit(v, ws, index):
        await bybit_handshake(v, ws)
        beat = asyncio.create_task(heartbeat(v, ws, bybit_ticker))
        try:
            await burst.wait()
            for _ in range(400):
                await v.send(ws, bybit_liquidations(5))
                await asyncio.sleep(0.02)
            await hold(ws)
        finally:
            beat.cancel()

    blocked = []
    opened_while_stale = []  # checked on every entry, not sampled after a pause
    with RestVenue() as rest:
        async with ScriptedVenue("binance", play_binance) as bn, ScriptedVenue("bybit", play_bybit) as by:
            async with asyncio.timeout(40):
                async with console(tmp_path, {"binance": bn.base, "bybit": by.base}, rest.url) as rig:
                    from core.engine_events import PositionOpened, RiskBlocked

                    def watch(ev) -> None:
                        if isinstance(ev, RiskBlocked):
                            blocked.append(ev.rule)
                        elif isinstance(ev, PositionOpened) and "binance" in rig.engine.stale_venues:
                            opened_while_stale.append(ev.position.market)

                    rig.engine.subscribe(watch)
                    await rig.until(
                        lambda: (
                            "binance" in rig.engine.stale_venues and rig.engine.feed_states.get("binance") == "stale"
                        ),
                        10,
                        "binance marked stale",
                    )
                    burst.set()
                    await rig.until(lambda: "stale_feed" in blocked, 10, "an entry blocked by the stale feed")
                    # the header repaints at the refresh rate, which a loaded machine stretches: wait for it
                    await rig.until(
                        lambda: "STALE" in str(rig.app.query_one("#header").render()), 10, "STALE in the header"
                    )
                    speak.set()
                    await rig.until(lambda: "binance" not in rig.engine.stale_venues, 10, "binance back")
                    assert opened_while_stale == []  # nothing entered while stale
                    row.survived = await rig.responsive()
                    rig.account(row, bn.sent + by.sent + rest.ok(), *VENUES)
                    assert rig.health("binance").reconnects == 0  # silence within the grace: no forced reconnect
    assert_accounted(row)


async def paced(v: ScriptedVenue, ws, total: int, per_tick: int, make, tick: float = 0.05) -> None:
    """`total` frames, `per_tick` every `tick` seconds (catching up without sleeping when behind)."""
    loop = asyncio.get_running_loop()
    t0, n, k = loop.time(), 0, 0
    while n < total:
        for _ in range(min(per_tick, total - n)):
            await v.send(ws, make(n))
            n += 1
        k += 1
        await asyncio.sleep(max(0.0, t0 + k * tick - loop.time()))


async def test_burst_of_100000_liquidations_in_10_s_is_counted_in_full(tmp_path):
    row = record(FaultRow("burst: 100k liquidations in 10 s", injected=100_000))
    bn_frames, by_frames, per_by_frame = 20_000, 1_600, 50  # 20k + 80k liquidations
    t_send = {}

    async def play_binance(v, ws, index):
        await v.send(ws, binance_marks())
        t0 = time.monotonic()
        await paced(v, ws, bn_frames, 100, binance_force_order)
        t_send["binance"] = time.monotonic() - t0
        await heartbeat(v, ws, binance_marks)
        await hold(ws)

    async def play_bybit(v, ws, index):
        await bybit_handshake(v, ws)
        await v.send(ws, bybit_ticker())
        t0 = time.monotonic()
        await paced(v, ws, by_frames, 8, lambda n: bybit_liquidations(per_by_frame, side="Sell"))
        t_send["bybit"] = time.monotonic() - t0
        await heartbeat(v, ws, bybit_ticker)
        await hold(ws)

    total = bn_frames + by_frames * per_by_frame
    with RestVenue() as rest:
        async with ScriptedVenue("binance", play_binance) as bn, ScriptedVenue("bybit", play_bybit) as by:
            async with asyncio.timeout(60):
                async with console(tmp_path, {"binance": bn.base, "bybit": by.base}, rest.url) as rig:
                    t0 = time.monotonic()
                    await rig.until(lambda: rig.engine.counts["liquidation"] >= total, 40, "all 100,000 liquidations")
                    took = time.monotonic() - t0
                    bn.quiet = by.quiet = True
                    await rig.until(
                        lambda: (
                            rig.health("binance").received == bn.sent + rest.ok()
                            and rig.health("bybit").received == by.sent
                        ),
                        5,
                        "every frame in",
                    )
                    row.survived = await rig.responsive()
                    rig.account(row, bn.sent + by.sent + rest.ok(), *VENUES)
                    assert rig.engine.counts["liquidation"] == total
                    assert rig.engine.liquidations_seen == total
                    assert max(t_send.values()) < 15.0, t_send  # the venues really sent at ~10k/s
                    print(f"\n100k burst: sent in {max(t_send.values()):.1f} s, engine had all after {took:.1f} s")
    assert_accounted(row)


async def test_flood_of_malformed_and_hostile_messages_is_counted_and_survived(tmp_path):
    row = record(FaultRow("hostile/malformed message flood"))
    rounds = 8
    valid = {"binance": 0, "bybit": 0}

    async def play(v, ws, venue):
        frames = hostile_frames(venue)
        light = [f for f in frames if len(f) < 5_000]
        for r in range(rounds):
            for f in frames if r == 0 else light:
                await v.send(ws, f)
            for i in range(5):
                await v.send(ws, binance_force_order(i) if venue == "binance" else bybit_liquidations(1))
                valid[venue] += 1
            await v.send(ws, binance_marks() if venue == "binance" else bybit_ticker())
            await asyncio.sleep(0.02)
        row.injected += len(frames) + (rounds - 1) * len(light)
        await heartbeat(v, ws, binance_marks if venue == "binance" else bybit_ticker)
        await hold(ws)

    async def play_binance(v, ws, index):
        await play(v, ws, "binance")

    async def play_bybit(v, ws, index):
        await bybit_handshake(v, ws)
        await play(v, ws, "bybit")

    with RestVenue() as rest:
        async with ScriptedVenue("binance", play_binance) as bn, ScriptedVenue("bybit", play_bybit) as by:
            async with asyncio.timeout(40):
                async with console(tmp_path, {"binance": bn.base, "bybit": by.base}, rest.url) as rig:
                    await rig.until(
                        lambda: (
                            rig.engine.counts["liquidation"] >= sum(valid.values()) > 0
                            and bn.connections
                            and row.injected > 100
                        ),
                        15,
                        "the flood and the valid frames among it",
                    )
                    bn.quiet = by.quiet = True
                    await rig.until(
                        lambda: (
                            rig.health("binance").received == bn.sent + rest.ok()
                            and rig.health("bybit").received == by.sent
                        ),
                        10,
                        "every frame in",
                    )
                    row.survived = await rig.responsive()
                    rig.account(row, bn.sent + by.sent + rest.ok(), *VENUES)
                    assert bn.connections == 1 and by.connections == 1  # garbage never costs the connection
                    for reason in ("bad_json", "oversized", "binary_frame", "bad_number"):
                        assert row.dropped[reason] > 0, (reason, dict(row.dropped))
                    assert sum(
                        rig.engine.counts[k] for k in ("liquidation", "mark", "open_interest")
                    ) == rig.events_delivered(*VENUES)
                    assert rig.engine.counts["liquidation"] >= sum(valid.values())
                    assert finite_state(rig.engine)
    assert_accounted(row)


async def test_rest_timeouts_and_rate_limits_are_retried_counted_and_survived(tmp_path):
    from core.feeds import binance as bf
    from core.feeds import bybit as yf
    from core.feeds.instruments_cache import write_cache
    from tests.faults.venues import FIXTURES

    row = record(FaultRow("REST timeouts, 429/418, 500, junk"))
    cache = tmp_path / "cache"
    write_cache(
        cache, "binance", bf.parse_instruments((FIXTURES / "binance_exchange_info.json").read_text()), time.time()
    )
    write_cache(
        cache, "bybit", yf.parse_instruments((FIXTURES / "bybit_instruments_info.json").read_text()), time.time()
    )

    async def play_binance(v, ws, index):
        await heartbeat(v, ws, binance_marks)
        await hold(ws)

    async def play_bybit(v, ws, index):
        await bybit_handshake(v, ws)
        await heartbeat(v, ws, bybit_ticker)
        await hold(ws)

    with RestVenue(hang_s=1.0) as rest:
        rest.add("/fapi/v1/exchangeInfo", "418")  # instrument lists: rate-limited, the cache is used
        rest.add("/v5/market/instruments-info", "429")
        oi_faults = ("timeout", "429", "418", "500", "not_json", "timeout")
        rest.add("/fapi/v1/openInterest", *oi_faults)
        row.injected = 2 + len(oi_faults)
        async with ScriptedVenue("binance", play_binance) as bn, ScriptedVenue("bybit", play_bybit) as by:
            async with asyncio.timeout(40):
                async with console(tmp_path, {"binance": bn.base, "bybit": by.base}, rest.url) as rig:
                    want = {"rest_timeout", "rest_http_429", "rest_http_418", "rest_http_500"}
                    await rig.until(
                        lambda: (
                            want <= set(rig.health("binance").errors)
                            and rig.health("binance").dropped.get("rest_not_json")
                        ),
                        20,
                        "every REST fault seen",
                    )
                    await rig.until(
                        lambda: (
                            rig.engine.counts["open_interest"] >= 2
                            and not rest.faults["/fapi/v1/openInterest"]
                            and rig.health("binance").errors.get("rest_timeout") == 2
                        ),
                        15,
                        "open interest flowing again",
                    )
                    await rig.connected(*VENUES)
                    assert "cached instruments" in rig.source.feeds.instruments["bybit"].reason
                    row.survived = await rig.responsive()
                    rig.account(row, bn.sent + by.sent + rest.ok(), *VENUES)
    assert_accounted(row)


async def test_journal_turning_read_only_is_reported_and_stops_stay(tmp_path):
    from core.engine_events import PositionOpened

    row = record(FaultRow("journal disk becomes read-only", injected=1))
    price = {"px": 60_000.0}

    async def play_binance(v, ws, index):
        while not v.quiet:
            await v.send(ws, binance_marks(price["px"]))
            for i in range(20):
                await v.send(ws, binance_force_order(i, qty=2.0, price=price["px"]))
            await asyncio.sleep(0.1)
        await hold(ws)

    async def play_bybit(v, ws, index):
        await bybit_handshake(v, ws)
        await heartbeat(v, ws, bybit_ticker)
        await hold(ws)

    opened = []
    with RestVenue() as rest:
        async with ScriptedVenue("binance", play_binance) as bn, ScriptedVenue("bybit", play_bybit) as by:
            async with asyncio.timeout(45):
                async with console(tmp_path, {"binance": bn.base, "bybit": by.base}, rest.url) as rig:
                    rig.engine.subscribe(
                        lambda ev: opened.append(ev.position) if isinstance(ev, PositionOpened) else None
                    )
                    await rig.until(lambda: rig.engine.positions, 15, "a position opened")
                    (first,) = rig.engine.positions.values()
                    assert rig.journal.query("SELECT stop_price FROM positions_open") == [
                        {"stop_price": first.stop_price}
                    ]
                    # the disk goes read-only under the writer
                    ro = sqlite3.connect(
                        f"file:{rig.journal.path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
                    )
                    with rig.journal._lock:
                        rig.journal._writer._conn = ro
                    # the price runs through the short's stop: it closes, and the cascade goes on to a new entry
                    price["px"] = first.stop_price * 1.01 if first.side == "short" else first.stop_price * 0.99
                    await rig.until(lambda: len(opened) >= 2 and rig.engine.positions, 15, "stopped out and re-entered")
                    await rig.until(
                        lambda: "JOURNAL FAILING" in str(rig.app.query_one("#header").render()), 5, "journal alert"
                    )
                    assert any("journal cannot write" in m.text for m in rig.app.query_one("#status").history)
                    assert rig.engine.trades and rig.engine.trades[0].reason == "stop"
                    row.survived = await rig.responsive()
                    bn.quiet = by.quiet = True
                    rig.account(row, bn.sent + by.sent + rest.ok(), *VENUES)
                    assert rig.journal.stats.errors > 0
                    for pos in rig.engine.positions.values():
                        assert pos.stop_price == opened[-1].stop_price
    assert_accounted(row)


async def test_order_rejects_and_rate_limits_on_a_live_broker_leave_no_position_without_a_stop(tmp_path):
    from core.brokers.factory import make_broker
    from core.brokers.keys import ApiKeys
    from core.clock import WallClock
    from core.engine_events import OrderRejected
    from tests.fake_exchange.harness import API_KEY, SECRET, fast_settings, make_fake
    from tests.fake_exchange.server import FakeServer

    row = record(FaultRow("order reject, 429/418 (live broker)"))

    async def play_binance(v, ws, index):
        while not v.quiet:
            await v.send(ws, binance_marks())
            for i in range(20):
                await v.send(ws, binance_force_order(i, qty=2.0))
            await asyncio.sleep(0.1)
        await hold(ws)

    fake = make_fake("binance")
    rejected = []
    with FakeServer(fake) as exchange, RestVenue() as rest:
        broker = make_broker(
            "binance-testnet",
            False,
            trading_config_for_broker(),
            keys=ApiKeys(API_KEY, SECRET, "binance"),
            base_url=exchange.url,
            settings=fast_settings(),
            now_fn=WallClock().now,
        )
        await broker.start()
        fake.faults.add("POST", "/fapi/v1/order", "margin", "429", "418")
        row.injected = 3
        try:
            async with ScriptedVenue("binance", play_binance) as bn:
                async with asyncio.timeout(40):
                    async with console(
                        tmp_path,
                        {"binance": bn.base},
                        rest.url,
                        cfg=trading_config_for_broker(),
                        broker=broker,
                        instruments=broker.instruments(),
                    ) as rig:
                        rig.engine.subscribe(lambda ev: rejected.append(ev) if isinstance(ev, OrderRejected) else None)
                        await rig.until(lambda: rejected, 15, "the entry rejected for margin")
                        assert rejected[0].order.intent == "entry" and not rig.engine.positions
                        await rig.until(
                            lambda: rig.engine.positions and fake.open_algos(),
                            20,
                            "the next entry filled with its exchange stop",
                        )
                        (pos,) = rig.engine.positions.values()
                        stops = [float(a["triggerPrice"]) for a in fake.open_algos() if a["orderType"] == "STOP_MARKET"]
                        assert stops == [pytest.approx(pos.stop_price, abs=0.1)]
                        row.survived = await rig.responsive()
                        bn.quiet = True
                        rig.account(row, bn.sent + rest.ok(), "binance")
        finally:
            await broker.aclose()
    assert_accounted(row)


def trading_config_for_broker():
    from tests.faults.console import trading_config

    return trading_config(filters={"markets": ["BTC-USDT-PERP"]})
