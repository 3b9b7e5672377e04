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
    RestVenue, ScriptedVenue, binance_force_order, binance_marks, bybit_handshake, bybit_liquidations, bybit_ticker,
    hold, hostile_frames,
)

VENUES = ("binance", "bybit")


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
                    await rig.until(lambda: rig.health("binance").received >= 2 * burst + 2 and rig.engine.liquidations_seen >= 2 * burst + 1000,
                                    15, "second bursts received")
                    await rig.connected(*VENUES)
                    bn.quiet = by.quiet = True
                    await rig.until(lambda: rig.health("binance").received == bn.sent + rest.ok(), 5, "binance frames all in")
                    row.sent = bn.sent + by.sent + rest.ok()
                    row.survived = await rig.responsive()
                    rig.account(row, *VENUES)
                    assert rig.health("binance").reconnects >= 1 and rig.health("bybit").reconnects >= 1
                    assert rig.health("bybit").received <= by.sent
                    assert sum(rig.engine.counts[k] for k in ("liquidation", "mark", "open_interest")) == rig.events_delivered(*VENUES)
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

    async def play_bybit(v, ws, index):
        await bybit_handshake(v, ws)
        beat = asyncio.create_task(heartbeat(v, ws, bybit_ticker))
        try:
            for _ in range(400):
                await v.send(ws, bybit_liquidations(5))
                await asyncio.sleep(0.02)
            await hold(ws)
        finally:
            beat.cancel()

    blocked = []
    with RestVenue() as rest:
        async with ScriptedVenue("binance", play_binance) as bn, ScriptedVenue("bybit", play_bybit) as by:
            async with asyncio.timeout(40):
                async with console(tmp_path, {"binance": bn.base, "bybit": by.base}, rest.url) as rig:
                    from core.engine_events import RiskBlocked
                    rig.engine.subscribe(lambda ev: blocked.append(ev.rule) if isinstance(ev, RiskBlocked) else None)
                    await rig.until(lambda: "binance" in rig.engine.stale_venues and rig.engine.feed_states.get("binance") == "stale",
                                    10, "binance marked stale")
                    await rig.until(lambda: "stale_feed" in blocked, 10, "an entry blocked by the stale feed")
                    n_pos = len(rig.engine.positions)
                    await asyncio.sleep(0.5)
                    assert len(rig.engine.positions) == n_pos  # nothing entered while stale
                    await rig.pilot.pause()
                    assert "STALE" in str(rig.app.query_one("#header").render())
                    speak.set()
                    await rig.until(lambda: "binance" not in rig.engine.stale_venues, 10, "binance back")
                    row.sent = bn.sent + by.sent + rest.ok()
                    row.survived = await rig.responsive()
                    rig.account(row, *VENUES)
                    assert rig.health("binance").reconnects == 0  # silence within the grace: no forced reconnect
    assert_accounted(row)
