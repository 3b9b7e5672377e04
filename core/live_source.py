"""Live venue feeds as an engine source: the same engine, fed on the wall clock.

Feed health flows into the engine (`set_feed_state`), so a stale or reconnecting venue blocks
entries exactly as the risk manager's `stale_feed` rule says; instruments learned at start-up
give the engine its lot sizes. With no network the venues simply show as reconnecting.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from core.clock import Clock
from core.config import Config
from core.deadlines import DeadlineWaker
from core.engine import Engine
from core.feeds.health import FeedHealth, FeedState
from core.feeds.live import LiveFeeds, MarketFilter
from core.recording import RecordingWriter
from core.validation import limits_from_config


class LiveSource:
    def __init__(
        self,
        venues: list[str],
        clock: Clock,
        cfg: Config,
        cache_dir: Path | None = None,
        record_to: Path | None = None,
        ws_base_urls: dict[str, str] | None = None,
        rest_base_urls: dict[str, str] | None = None,
        tick_s: float = 0.25,
    ) -> None:
        self.venues = venues
        self.clock = clock
        self.cfg = cfg
        self.cache_dir = cache_dir
        self.record_to = record_to
        self.ws_base_urls = ws_base_urls
        self.rest_base_urls = rest_base_urls
        self.tick_s = tick_s
        self.health: dict[str, FeedHealth] = {}
        self.events = 0
        self.finished = False
        self.paused = False  # live data cannot be paused; kept for the console's uniform source API
        self.label = "LIVE " + ",".join(venues) + (" ● REC" if record_to else "")
        self.feeds: LiveFeeds | None = None

    def _market_filter(self) -> MarketFilter:
        f = self.cfg.filters
        return MarketFilter(frozenset(f.markets), frozenset(f.exclude_markets), f.min_usd)

    async def run(self, engine: Engine) -> None:
        writer = RecordingWriter(self.record_to) if self.record_to else None

        def on_events(events) -> None:
            engine.process_many(events)  # one frame: decided once its events are all in
            self.events += len(events)

        def on_health(h: FeedHealth) -> None:
            self.health[h.venue] = h
            engine.set_feed_state(h.venue, h.effective_state(self.clock.now(), self.cfg.feeds.stale_after_s), h.reason)

        on_raw: Callable | None = writer.write if writer else None
        for v in self.venues:
            engine.set_feed_state(v, FeedState.CONNECTING, "starting")
        self.feeds = LiveFeeds(
            self.venues,
            self.clock,
            on_events=on_events,
            on_raw=on_raw,
            on_health=on_health,
            cache_dir=self.cache_dir,
            ws_base_urls=self.ws_base_urls,
            rest_base_urls=self.rest_base_urls,
            market_filter=self._market_filter(),
            on_instruments=lambda venue, ins: engine.add_instruments(ins),
            runner_options={"limits": limits_from_config(self.cfg)},
        )
        ticker = asyncio.create_task(self._tick(engine, writer))
        # time-based decisions (entry delay over, signal expiry, max hold) when due, not at the next tick
        waker = DeadlineWaker(engine, self.clock.now)
        waker.start()
        try:
            await self.feeds.run()
        finally:
            waker.stop()
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            if writer:
                writer.close()

    async def _tick(self, engine: Engine, writer: RecordingWriter | None) -> None:
        n = 0
        while True:
            await asyncio.sleep(self.tick_s)
            engine.tick()
            # a venue that went quiet without the runner noticing yet is still stale to the engine
            now = self.clock.now()
            for venue, h in self.health.items():
                if h.state == FeedState.CONNECTED:
                    engine.set_feed_state(venue, h.effective_state(now, self.cfg.feeds.stale_after_s), h.reason)
            n += 1
            if writer and n % 4 == 0:
                writer.flush()
