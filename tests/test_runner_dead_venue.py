"""A dead venue never blocks the others: a venue that is unreachable for the whole run is `down`
(last error, next retry), not `stale`; it blocks entries only on markets it fed (none), so the live
venue's cascade signals and trades (paper broker). Then `liqhunt run`'s default venues with OKX
unreachable: the rest still trade, and the console's feed table (key e) says OKX is down and why."""

from __future__ import annotations

import asyncio
import socket

import pytest

from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.engine_events import RiskBlocked
from core.events import Liquidation, MarkPrice
from core.feeds.registry import DEFAULT_VENUES
from tests.faults.console import console, fast_feeds
from tests.faults.venues import (
    RestVenue,
    ScriptedVenue,
    binance_force_order,
    binance_marks,
    bybit_handshake,
    bybit_ticker,
    hold,
)
from tests.tui_helpers import screen_text


@pytest.fixture(autouse=True)
def _fast_feeds(monkeypatch):
    fast_feeds(monkeypatch)


def dead_ws() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"ws://127.0.0.1:{s.getsockname()[1]}"


async def beat(venue: ScriptedVenue, ws, frame, every: float = 0.25) -> None:
    try:
        while not venue.quiet:
            await venue.send(ws, frame())
            await asyncio.sleep(every)
    except Exception:
        return


async def binance_cascade(v: ScriptedVenue, ws, index: int) -> None:
    """Marks, then a cascade of long liquidations on BTC (30 kUSD each), then marks at a steady pace."""
    await v.send(ws, binance_marks())
    await asyncio.sleep(0.3)
    for i in range(40):
        await v.send(ws, binance_force_order(i))
        await asyncio.sleep(0.03)
    await beat(v, ws, binance_marks)


async def test_a_venue_dead_all_run_is_down_and_the_live_venue_signals_and_trades(tmp_path):
    blocked: list[str] = []
    with RestVenue() as rest:
        async with ScriptedVenue("binance", binance_cascade) as bn:
            async with asyncio.timeout(40):
                async with console(tmp_path, {"binance": bn.base, "okx": dead_ws()}, rest.url, mode="auto") as rig:
                    rig.engine.subscribe(lambda ev: blocked.append(ev.rule) if isinstance(ev, RiskBlocked) else None)
                    await rig.until(
                        lambda: rig.engine.positions or rig.engine.trades, 20, "a position from the cascade"
                    )
                    await rig.until(lambda: rig.health("okx").next_retry_ts is not None, 5, "okx waiting to retry")
                    okx = rig.health("okx")
                    assert rig.engine.feed_states["okx"] == "down" and okx.state == "down" and not okx.ever_connected
                    assert "connection refused" in okx.reason and okx.next_retry_ts is not None
                    assert "okx" in rig.engine.stale_venues  # down counts as not live ...
                    assert rig.engine.stale_inputs("BTC-USDT-PERP") == frozenset()  # ... but fed nothing here
                    assert rig.engine.missing_venues("BTC") == frozenset()
                    assert "stale_feed" not in blocked
                    assert rig.engine.signals or rig.engine.positions or rig.engine.trades
                    assert rig.naked() == []


def _liq(venue: str, market: str, ts: float) -> Liquidation:
    return Liquidation(venue, market, market.replace("-PERP", "").replace("-", ""), "long", 100.0, 1.0, 100.0, ts, ts)


def test_stale_venue_blocks_only_the_markets_it_fed_and_the_aggregate_names_it():
    clock = SimClock(1_800_000_000.0)
    eng = Engine(Config(), clock)
    eng.process(_liq("binance", "BTC-USDT-PERP", clock.now()))
    eng.process(_liq("okx", "ETH-USDT-PERP", clock.now()))
    eng.process(MarkPrice("okx", "BTC-USD-PERP", "BTC-USD-SWAP", 60_000.0, None, None, clock.now(), clock.now()))
    eng.set_feed_state("binance", "connected")
    eng.set_feed_state("okx", "stale", "no frame for 31 s")
    eng.set_feed_state("bybit", "down", "cannot reach stream.bybit.com: connection refused")  # fed nothing
    assert eng.stale_inputs("BTC-USDT-PERP") == frozenset()
    assert eng.stale_inputs("ETH-USDT-PERP") == {"okx"}
    assert eng.missing_venues("BTC") == {"okx"}  # the BTC aggregate counts binance and says okx is missing
    verdict = eng.risk.check_entry(
        __import__("core.risk", fromlist=["EntryRequest"]).EntryRequest("ETH-USDT-PERP", 1000.0, clock.now()),
        {},
        eng.stale_inputs("ETH-USDT-PERP"),
        0.0,
    )
    assert verdict.rule == "stale_feed" and "okx" in verdict.message and "ETH-USDT-PERP" in verdict.message


async def test_run_defaults_with_okx_unreachable_trade_on_the_rest_and_say_why(tmp_path):
    assert "okx" in DEFAULT_VENUES and "bitmex" not in DEFAULT_VENUES

    async def bybit_play(v, ws, index):
        await bybit_handshake(v, ws)
        await beat(v, ws, bybit_ticker)

    async def quiet_play(v, ws, index):  # reachable, subscribed, nothing to say yet
        await hold(ws)

    servers = {"binance": ScriptedVenue("binance", binance_cascade), "bybit": ScriptedVenue("bybit", bybit_play)}
    servers |= {v: ScriptedVenue(v, quiet_play) for v in DEFAULT_VENUES if v not in servers and v != "okx"}
    with RestVenue() as rest:
        for s in servers.values():
            await s.__aenter__()
        try:
            ws = {v: servers[v].base if v in servers else dead_ws() for v in DEFAULT_VENUES}
            async with asyncio.timeout(45):
                async with console(tmp_path, ws, rest.url, mode="auto") as rig:
                    await rig.until(
                        lambda: rig.engine.positions or rig.engine.trades, 25, "a position from the cascade"
                    )
                    await rig.until(lambda: rig.engine.feed_states.get("okx") == "down", 10, "okx down")
                    for v in servers:
                        assert rig.health(v).ever_connected, (v, rig.health(v))
                    okx = rig.health("okx")
                    assert okx.state == "down" and not okx.ever_connected and okx.coverage.startswith("a sample")
                    await rig.pilot.press("e")
                    await rig.pilot.pause()
                    text = screen_text(rig.app)
                    assert "okx" in text and "down (never reached this run)" in text and "connection refused" in text
                    assert "liquidations: a sample" in text  # okx's completeness caveat is in the table
                    assert all(v in text for v in DEFAULT_VENUES)  # one row per venue in the table
                    await rig.pilot.press("escape")
        finally:
            for s in servers.values():
                await s.__aexit__(None, None, None)
