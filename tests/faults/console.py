"""The whole console, headless: LiveSource on local venues + Engine + heatmap estimate + file
journal + the Textual app, built by the same composition root `liqhunt run` uses."""

from __future__ import annotations

import argparse
import asyncio
import functools
import math
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from core.clock import WallClock
from core.config import Config
from core.config_load import config_from_dict
from core.engine import Engine
from core.feeds import binance as binance_feed
from core.feeds import live as live_module
from core.feeds.health import FeedHealth
from core.feeds.runner import FeedRunner
from core.journal.journal import Journal
from core.live_source import LiveSource
from tests.faults.report import FaultRow, naked_positions
from tests.runner_helpers import until
from tui.app import LiqHuntApp, make_app
from tui.commands._console import build_session
from tui.liq_levels import EstimatedLevels

SIZE = (110, 32)


def trading_config(**sections) -> Config:
    """Lenient signals so a local burst on BTC raises, enters (paper, full-auto) and holds positions."""
    data = {
        "signal": {
            "watch_min_usd": 20_000.0,
            "window_min_usd": 100_000.0,
            "min_events": 3,
            "entry_delay_min_s": 0.0,
            "entry_delay_max_s": 60.0,
            "score_min": 0.0,
            "require_funding": False,
            "rearm_after_s": 2.0,
            "signal_ttl_s": 5.0,
            "support_max_pct": 0.0,
        },
        "sizing": {"volume_ref_usd": 1.0, "base_size_usd": 10_000.0},
        "risk": {"max_trades_per_market_per_day": 1000, "cooldown_after_stop_s": 0.0, "daily_loss_limit_usd": 1e9},
        "broker": {"latency_ms": 20.0},
        "exits": {"max_hold_s": 3600.0, "take_profit_pct": 50.0, "exhaustion_drop_pct": 100.0},
        "feeds": {"stale_after_s": 1.0},
        "ui": {"bell": False},
    }
    for name, body in sections.items():
        data[name] = data.get(name, {}) | body
    return config_from_dict(data)


def fast_feeds(monkeypatch, poll_interval: float = 0.25) -> None:
    """Test pacing for the real runner: short backoff, REST timeout and poll interval."""
    monkeypatch.setattr(
        live_module,
        "FeedRunner",
        functools.partial(FeedRunner, backoff=(0.05, 0.5), rest_timeout=0.5, health_interval=0.1),
    )
    real_polls = binance_feed.polls
    monkeypatch.setattr(
        binance_feed, "polls", lambda ins: [replace(p, interval=poll_interval) for p in real_polls(ins)]
    )


@dataclass
class Rig:
    app: LiqHuntApp
    pilot: object
    engine: Engine
    source: LiveSource
    journal: Journal
    clock: WallClock

    def health(self, venue: str) -> FeedHealth:
        runner = self.source.feeds.runners.get(venue) if self.source.feeds else None
        return runner.health if runner else FeedHealth(venue)

    async def until(self, cond, timeout: float = 10.0, what: str = "condition") -> None:
        await until(cond, timeout, what)

    async def connected(self, *venues: str, timeout: float = 10.0) -> None:
        await until(
            lambda: all(self.engine.feed_states.get(v) == "connected" for v in venues),
            timeout,
            f"{venues} connected (states {self.engine.feed_states})",
        )

    async def responsive(self) -> bool:
        """Keys still reach the engine: d disarms to WATCH, then a → u re-arms FULL-AUTO."""
        eng, pilot = self.engine, self.pilot
        await pilot.press("d")
        disarmed = eng.mode == "watch"
        await pilot.press("a")
        await pilot.press("u")
        return disarmed and eng.mode == "auto" and self.app.is_running

    def naked(self) -> list:
        return naked_positions(self.engine.positions.values())

    def account(self, row: FaultRow, sent: int, *venues: str) -> FaultRow:
        """Fill the row from the servers' count and each venue's health, at one moment."""
        row.sent = sent
        row.positions = len(self.engine.trades) + len(self.engine.positions)
        for v in venues:
            row.add_health(self.health(v))
        row.naked = len(self.naked())
        return row

    def events_delivered(self, *venues: str) -> int:
        return sum(self.health(v).events for v in venues)


@asynccontextmanager
async def console(
    tmp_path: Path,
    ws: dict[str, str],
    rest: str,
    cfg: Config | None = None,
    mode: str = "auto",
    broker=None,
    instruments=(),
):
    venues = list(ws)
    cfg = cfg or trading_config()
    clock = WallClock()
    args = argparse.Namespace(journal=str(tmp_path / "journal.sqlite"))
    session = build_session(
        cfg,
        clock,
        list(instruments),
        mode,
        args,
        source_label="live",
        venues=venues,
        broker=broker,
        journal_by_default=True,
    )
    if broker is not None:
        broker.price_of = session.engine.mark_of  # as `liqhunt run` wires a live broker
    source = LiveSource(
        venues,
        clock,
        cfg,
        cache_dir=tmp_path / "cache",
        ws_base_urls=ws,
        rest_base_urls={v: rest for v in venues},
        tick_s=0.1,
    )
    levels = EstimatedLevels(session.fuel_map) if session.fuel_map is not None else None
    app = make_app(session.engine, source, clock, cfg, levels=levels, journal=session.journal)
    try:
        async with app.run_test(size=SIZE) as pilot:
            yield Rig(app, pilot, session.engine, source, session.journal, clock)
            await asyncio.sleep(0)
    finally:
        session.journal.close()


def finite_state(engine: Engine) -> bool:
    """No NaN/Infinity leaked into the windows or the tape."""
    for st in engine.markets.values():
        for side in (st.long, st.short):
            if not math.isfinite(side.window.total):
                return False
    return all(math.isfinite(liq.usd) and liq.usd > 0 for liq in engine.tape)
