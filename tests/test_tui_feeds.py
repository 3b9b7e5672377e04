"""Feed and replay truth: NO DATA, the feeds table, glyphs, replay pause / speed / progress / ENDED."""

from __future__ import annotations

import asyncio

from core.cli import main as core_main
from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.feeds.health import FeedHealth
from core.sources import ReplaySource
from tests.snapshot_apps.console_app import prepared_engine
from tests.tui_helpers import screen_text
from tui.app import make_app
from tui.commands.replay_cmd import _count_lines_in_background


async def test_nothing_connected_says_no_data():
    engine = Engine(Config(), SimClock(1_767_225_600.0))
    app = make_app(engine, None, engine.clock, engine.cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "NO DATA" in screen_text(app).splitlines()[0]


class HealthSource:
    """A live-like source: per-venue FeedHealth as the runners publish it."""

    label = "LIVE binance,bybit"
    finished = False

    def __init__(self, health: dict) -> None:
        self.health = health

    async def run(self, engine) -> None:
        return None


async def test_feeds_table_shows_state_rate_lag_age_drops_and_never_connected():
    engine, clock = prepared_engine("watching")
    now = clock.now()
    health = {
        "binance": FeedHealth(
            "binance",
            "connected",
            received=900,
            processed=890,
            dropped={"bad json": 7, "unknown stream": 3},
            reconnects=2,
            msgs_per_s=42.0,
            lag_ms=85.0,
            last_frame_ts=now - 2,
        ),
        "bybit": FeedHealth("bybit", "reconnecting", reason="connection refused"),
    }
    # fields a newer FeedHealth carries (next retry, coverage) are shown when present
    health["bybit"] = type(
        "NewerHealth",
        (),
        {
            **{k: getattr(health["bybit"], k) for k in FeedHealth.__slots__},
            "next_retry_ts": now + 12.0,
            "coverage": "largest order per symbol per second",
        },
    )()
    engine.set_feed_state("binance", "connected")
    engine.set_feed_state("bybit", "reconnecting", "connection refused")
    app = make_app(engine, HealthSource(health), clock, engine.cfg)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert "feeds 1/2 ⚠" in header and "STALE BYB" in header
        await pilot.press("e")
        await pilot.pause()
        text = screen_text(app)
    assert "msg/s" in text and "last msg" in text and " rc " in text and "retry" in text
    binance = next(line for line in text.splitlines() if "binance" in line and "connected" in line)
    assert "42" in binance and "85ms" in binance and "2s ago" in binance and "bad json 7" in binance
    bybit = next(line for line in text.splitlines() if "bybit" in line and "never" in line)
    assert "○" in bybit and "12s" in bybit and "connection refused" in text
    assert "liquidations: largest order per symbol per second" in text
    for glyph in ("●", "◐", "✖", "○", "■"):
        assert glyph in text  # every glyph explained


async def test_replay_pauses_changes_speed_shows_progress_and_ends(tmp_path):
    rec = tmp_path / "rec.jsonl"
    assert core_main(["sim", "--markets", "2", "--minutes", "1", "--out", str(rec)]) == 0
    source = ReplaySource(rec, speed=30.0, step_s=0.02)
    _count_lines_in_background(source)
    engine = Engine(Config(), source.clock)
    app = make_app(engine, source, source.clock, engine.cfg)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        assert source.paused and "PAUSED" in screen_text(app).splitlines()[0]
        await pilot.press("plus", "plus")
        assert source.speed == 120.0
        await pilot.press("space")
        assert not source.paused
        async with asyncio.timeout(20):
            while not source.finished:
                await pilot.pause(0.05)
        app.refresh_panes()
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
    assert "ENDED" in header and "100%" in header and "×120" in header
    assert "feeds 1/1" not in header  # an ended replay is not a healthy feed
