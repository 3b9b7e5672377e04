"""Replay seek: forward through the engine (never skipping an event), to the next cascade, no seek back,
and what a seek does to semi-auto (no confirms or alerts for what happened on the way)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from core.cli import main as core_main
from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.engine_events import SignalEnded
from core.recording_set import RecordingSet
from core.sources import CASCADE_MIN_AHEAD_S, CASCADE_QUIET_S, ReplaySource
from tests.tui_helpers import screen_text
from tui.app import make_app
from tui.widgets.signal_panel import SignalPanel
from tui.widgets.status_line import StatusLine


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    """12 minutes of the crash scenario on two markets: a sell programme at 2 min, cascades, signals, quiet."""
    path = tmp_path_factory.mktemp("seek") / "rec.jsonl"
    assert (
        core_main(
            ["sim", "--scenario", "crash", "--markets", "2", "--minutes", "12", "--warmup-minutes", "0"]
            + ["--out", str(path)]
        )
        == 0
    )
    return path


def _lines(path: Path) -> list[tuple[float, dict]]:
    return [(d["ts"], d["msg"]) for d in map(json.loads, path.read_text().splitlines())]


def _reference(path: Path, until: float, mode: str) -> tuple[Engine, list]:
    """The engine as a backtest would leave it: every event up to `until`, time in 1 s ticks
    (read with the recording reader, not with the source under test)."""
    lines = RecordingSet.open(str(path)).iter_lines()
    first = next(lines)
    clock = SimClock(first[0])
    engine = Engine(Config(), clock, mode=mode)
    ended = _ended_signals(engine)
    pending: tuple | None = first
    t = first[0]
    while t < until:
        t = min(until, t + 1.0)
        while pending is not None and pending[0] <= t:
            clock.set(pending[0])
            for ev in pending[1]:
                engine.process(ev)
            pending = next(lines, None)
        clock.set(t)
        engine.tick()
    return engine, ended


def _ended_signals(engine: Engine) -> list:
    """Every signal as it ends (entered, expired, ...), in order."""
    out: list = []
    engine.subscribe(lambda ev: out.append(ev.signal) if isinstance(ev, SignalEnded) else None)
    return out


def _rows(signals: list) -> list[tuple]:
    return [(s.market, s.playbook, round(s.raised_ts, 3), s.status, s.reason) for s in signals]


async def _seek(app, pilot, source: ReplaySource, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        async with asyncio.timeout(20):
            while source._seek_request is not None or source.seeking:
                await pilot.pause(0.02)
    await pilot.pause()


async def test_seek_forward_runs_every_event_through_the_engine(recording):
    source = ReplaySource(recording, speed=1.0, step_s=0.02)
    start = source.clock.now()
    engine = Engine(Config(), source.clock, mode="semi")
    ended = _ended_signals(engine)
    app = make_app(engine, source, source.clock, engine.cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")  # paused: only the seek moves time
        await _seek(app, pilot, source, "right_curly_bracket", "greater_than_sign")
        header = screen_text(app).splitlines()[0]
        history = [m.text for m in app.query_one(StatusLine).history]
    target = start + 660.0
    assert source.clock.now() == pytest.approx(target)
    assert "00:11:00" in header and "PAUSED" in header
    assert any(t.startswith("jumped +11:00") or t.startswith("jumped +1:00") for t in history)
    expected = sum(1 for ts, _ in _lines(recording) if ts <= target)
    assert source.events == expected  # not an event skipped, none handed over past the target
    assert source.stats.lines == expected + 1  # the next line is read ahead, held back
    ref, ref_ended = _reference(recording, target, "semi")
    assert dict(engine.counts) == dict(ref.counts)
    assert ended and _rows(ended) == _rows(ref_ended)  # signals came and went as in play
    assert sorted(engine.signals) == sorted(ref.signals)


async def test_seek_to_next_cascade_stops_just_before_it(recording):
    lines = _lines(recording)
    source = ReplaySource(recording, speed=1.0, step_s=0.02)
    start = source.clock.now()
    engine = Engine(Config(), source.clock)
    app = make_app(engine, source, source.clock, engine.cfg)
    threshold = engine.cfg.signal.watch_min_usd
    # the first large liquidation on a market quiet for CASCADE_QUIET_S, read from the file itself
    last: dict[str, float] = {}
    expected = index = None
    for i, (ts, msg) in enumerate(lines):
        if msg["kind"] == "liquidation" and msg["usd"] >= threshold:
            quiet = ts - last.get(msg["market"], float("-inf")) >= CASCADE_QUIET_S
            if quiet and ts >= start + CASCADE_MIN_AHEAD_S and expected is None:
                expected, index = ts, i
            last[msg["market"]] = ts
    assert expected is not None and index is not None
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space")
        await _seek(app, pilot, source, "c")
        history = [m.text for m in app.query_one(StatusLine).history]
        assert source._next is not None and source._next[0] == expected  # the cascade's line is next
        assert source.clock.now() <= expected  # lines of the same instant before it may have run
        assert source.events == index  # every line before it went through the engine, it did not
        assert source.stats.lines == index + 1  # read ahead, held back
        assert any(t.startswith("next cascade: stopped just before it") for t in history)
        # `c` again moves on to a later cascade, never the same one
        await _seek(app, pilot, source, "c")
        assert source._next is None or source._next[0] > expected


async def test_seek_back_is_refused_with_the_reason(recording):
    source = ReplaySource(recording, speed=1.0, step_s=0.02)
    engine = Engine(Config(), source.clock)
    app = make_app(engine, source, source.clock, engine.cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "less_than_sign")
        await pilot.pause()
        text = screen_text(app)
    assert "no seek back" in text.splitlines()[-1]
    assert source._seek_request is None


async def test_seek_in_semi_auto_raises_no_confirm_for_signals_long_expired(recording):
    source = ReplaySource(recording, speed=1.0, step_s=0.02)
    engine = Engine(Config(), source.clock, mode="semi")
    ended = _ended_signals(engine)
    app = make_app(engine, source, source.clock, engine.cfg)
    rung: list[int] = []
    app.bell = lambda: rung.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space")
        await _seek(app, pilot, source, "right_curly_bracket")
        app.refresh_panes()
        await pilot.pause()
        history = [m.text for m in app.query_one(StatusLine).history]
        panel = app.query_one(SignalPanel)
        waiting = [s for s in engine.signals.values() if s.expires_ts > source.clock.now()]
        assert ended and all(s.status == "expired" and "not confirmed" in s.reason for s in ended)  # by engine time
        assert not rung and not any(t.startswith("confirm ") for t in history)  # no bell, no "confirm BTC"
        # what happened on the way is in the history (m), and the seek's outcome is the last line
        assert any("signal expired: not confirmed in time" in t for t in history)
        assert history[-1].startswith("jumped +10:00")
        assert panel.display == bool(waiting)  # only a signal still live at the new time is offered


class _Recorder:
    """An engine stand-in that keeps what it was handed and when (the clock at each event)."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.seen: list[tuple[float, str, str]] = []
        self.late: list[tuple[float, float]] = []

    def process(self, ev) -> None:
        if ev.ts_recv < self.clock.now():
            self.late.append((ev.ts_recv, self.clock.now()))
        self.seen.append((ev.ts_recv, ev.kind, ev.market))

    def tick(self) -> None:
        pass


async def test_simulator_seek_to_a_cascade_then_play_hands_over_every_event_once_in_order():
    from core.sim.market_sim import Simulator
    from core.sources import SimSource

    def source() -> SimSource:
        sim = Simulator("crash", seed=7, markets=3)
        return SimSource(sim, SimClock(sim.start_ts))

    src = source()
    start = src.clock.now()
    rec = _Recorder(src.clock)
    await src._seek(rec, float("inf"))  # type: ignore[arg-type]
    assert src._held, "the seek stopped inside a generated step"
    found = src._held[0].ts_recv
    assert src.clock.now() <= found
    t = src.clock.now()
    while t < found + 5.0:  # paced play after the seek, in small steps
        t += 0.1
        await src._feed_until(rec, t)  # type: ignore[arg-type]
        assert src.clock.now() <= t  # nothing handed over ahead of the clock's target
        src.clock.set(t)
    straight = source().sim.advance_to(t)
    assert rec.seen == [(ev.ts_recv, ev.kind, ev.market) for ev in straight]  # all of them, once, in order
    assert not rec.late and found > start


async def test_live_feeds_do_not_seek():
    class Live:
        label = "LIVE binance"
        finished = False

        async def run(self, engine) -> None:
            return None

    engine = Engine(Config(), SimClock(1_767_225_600.0))
    app = make_app(engine, Live(), engine.clock, engine.cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("right_curly_bracket")
        await pilot.pause()
        assert "seek applies to replay and the simulator only" in screen_text(app).splitlines()[-1]


async def test_header_says_seek_with_the_progress_while_seeking(recording):
    from tui.widgets.header import ModeHeader

    source = ReplaySource(recording, speed=1.0, step_s=0.02)
    source.total_lines = len(_lines(recording))  # as the replay command's background count sets it
    engine = Engine(Config(), source.clock)
    app = make_app(engine, source, source.clock, engine.cfg)
    seen: list[str] = []
    feed = source._feed_until

    async def feed_and_look(engine, target, stop_at_burst=False):
        if source.seeking and source.clock.now() - source._seek_from > 300 and not seen:
            app.refresh_panes()  # the screen's own repaint, mid-seek
            seen.append(app.query_one(ModeHeader).source_text())
        return await feed(engine, target, stop_at_burst)

    source._feed_until = feed_and_look  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space")
        await _seek(app, pilot, source, "right_curly_bracket")
        after = app.query_one(ModeHeader).source_text()
    assert seen and "⏩ SEEK" in seen[0] and "PAUSED" not in seen[0]
    pct = int(seen[0].rsplit(" ", 1)[1].rstrip("%"))
    assert 0 < pct < 100  # lines read of the file's lines (most of this one are the 2-minute crash)
    assert "⏩ SEEK" not in after and "PAUSED" in after
