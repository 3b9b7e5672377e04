"""The engine keeps pace while the screen renders: 20,000 liquidations through the running app."""

from __future__ import annotations

import asyncio

from textual import events

from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.engine_commands import Arm
from core.engine_events import ModeChanged
from core.events import Liquidation
from tui.app import make_app
from tui.widgets.tape import LiquidationTape

T0 = 1_767_225_600.0
TOTAL = 20_000
MARKETS = [f"{b}-USDT-PERP" for b in ("BTC", "ETH", "SOL", "XRP", "DOGE", "ADA", "AVAX", "LINK")]


class BurstSource:
    """Hands the engine TOTAL liquidations in chunks, giving the loop a turn between chunks."""

    label = "BURST test"

    def __init__(self, clock: SimClock, chunk: int = 250, midway: int = 2_000) -> None:
        self.clock, self.chunk, self.midway = clock, chunk, midway
        self.events = 0
        self.finished = False
        self.started = asyncio.Event()
        self.reached_midway = asyncio.Event()  # `midway` liquidations handed over
        self.done = asyncio.Event()

    async def run(self, engine: Engine) -> None:
        self.started.set()
        for i in range(TOTAL):
            ts = T0 + i * 0.0005  # 2,000 liquidations per second of event time
            m = MARKETS[i % len(MARKETS)]
            side = "long" if i % 3 else "short"
            usd = 1_000.0 + (i * 7919) % 90_000
            self.clock.set(ts)
            engine.process(
                Liquidation("binance", m, m.replace("-PERP", "").replace("-", ""), side, 100.0, usd / 100, usd, ts, ts)
            )
            self.events += 1
            if self.events == self.midway:
                self.reached_midway.set()
            if self.events % self.chunk == 0:
                await asyncio.sleep(0.002)  # the loop's turn between chunks: the burst's own pacing
        self.finished = True
        self.done.set()


async def test_burst_of_20000_loses_nothing_and_a_key_lands_mid_burst():
    clock = SimClock(T0)
    engine = Engine(Config(), clock, mode="watch")
    engine.submit(Arm("auto"))
    source = BurstSource(clock)
    app = make_app(engine, source, clock, engine.cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        await asyncio.wait_for(source.started.wait(), 5)
        await asyncio.wait_for(source.reached_midway.wait(), 30)
        applied_at: list[int] = []
        engine.subscribe(lambda ev: applied_at.append(source.events) if isinstance(ev, ModeChanged) else None)
        app.post_message(events.Key("d", "d"))  # as the terminal driver delivers a key press
        await asyncio.wait_for(source.done.wait(), 60)
        assert engine.mode == "watch"  # the key took effect...
        assert applied_at and applied_at[0] < TOTAL  # ...while the burst was still running
        await pilot.pause()
        app.refresh_panes()
        tape = app.query_one(LiquidationTape)
        assert engine.liquidations_seen == TOTAL
        assert engine.counts["liquidation"] == TOTAL
        assert tape.received + tape.skipped == TOTAL  # every one shown or counted as skipped
        assert tape.skipped > 0 and len(tape.ring) <= tape.ring.maxlen
