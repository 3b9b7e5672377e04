"""Event sources that feed the engine on a paced simulated clock: the simulator and replay.

Both drive a `SimClock` from the event loop's monotonic time × speed, so the engine sees the
same code path as a backtest (time jumps to each event's receive time, never ahead of it)
while a person watches in real time. Live feeds use the wall clock instead (core.feeds.live).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

from core.clock import SimClock
from core.engine import Engine
from core.events import Event
from core.recording_set import RecordingSet
from core.replay import DecodeStats
from core.validation import EventValidator

YIELD_EVERY = 2000  # events processed before giving the screen a turn
MAX_SPEED = 1000.0  # the console's speed keys stop here (the CLI's --speed range too)
MAX_CATCH_UP_STEPS = 5  # a step that ran late is made up for at most this many steps' worth


class _Paced:
    label = ""

    def __init__(self, clock: SimClock, speed: float = 1.0, step_s: float = 0.1) -> None:
        if not 0 < speed <= MAX_SPEED:
            raise ValueError(f"speed must be above 0 and at most {MAX_SPEED:g}")
        self.clock = clock
        self.speed = speed
        self.step_s = step_s
        self.paused = False
        self.finished = False
        self.events = 0
        self.validator = EventValidator()  # what was refused at the boundary, for the console

    async def run(self, engine: Engine) -> None:
        loop = asyncio.get_running_loop()
        wall = loop.time()
        while not self.finished:
            # a step ends early at the engine's next deadline, so a time-based decision (entry delay
            # over, max hold) is made when due on screen too, not up to a step late
            step = self.step_s
            due = engine.next_deadline()
            if due is not None and not self.paused:
                step = min(step, max(0.0, (due - self.clock.now()) / self.speed))
            await asyncio.sleep(step)
            now_wall = loop.time()
            # a machine that cannot keep up runs the market slower instead of snowballing: without
            # the cap each late step asks for more work than the last and `q` is never read
            elapsed, wall = min(now_wall - wall, self.step_s * MAX_CATCH_UP_STEPS), now_wall
            if self.paused:
                continue
            target = self.clock.now() + elapsed * self.speed
            await self._feed_until(engine, target)
            self.clock.set(target)
            engine.tick()

    async def _feed_until(self, engine: Engine, target: float) -> None:
        raise NotImplementedError


class SimSource(_Paced):
    """The built-in simulator, live. `warmup_s` of history is run through first, at full speed,
    so the console opens on a market with baselines and a populated tape."""

    def __init__(self, sim, clock: SimClock, speed: float = 1.0, warmup_s: float = 0.0, step_s: float = 0.1) -> None:
        super().__init__(clock, speed, step_s)
        self.sim = sim
        self.warmup_s = warmup_s
        scen = getattr(sim, "scenario", None)
        self.label = f"SIM {getattr(scen, 'name', scen) or ''}·seed {getattr(sim, 'seed', '?')}"

    def warm_up(self, engine: Engine) -> None:
        if self.warmup_s > 0:
            target = self.clock.now() + self.warmup_s
            self._process(engine, self.sim.advance_to(target))
            self.clock.set(target)
            engine.tick()

    def _process(self, engine: Engine, events: list[Event]) -> None:
        check = self.validator.check
        for ev in events:
            if check(ev) is not None:
                continue
            self.clock.set(ev.ts_recv)
            engine.process(ev)
        self.events += len(events)

    async def _feed_until(self, engine: Engine, target: float) -> None:
        events = self.sim.advance_to(target)
        for i in range(0, len(events), YIELD_EVERY):
            self._process(engine, events[i : i + YIELD_EVERY])
            if i + YIELD_EVERY < len(events):
                await asyncio.sleep(0)


class ReplaySource(_Paced):
    """Recordings (a file, a folder, a glob or a `RecordingSet`), paced at `speed` × real time.
    Lines are read lazily and an event is handed over only once the clock has reached its
    receive time. Bad lines are counted, and the count is part of the header label."""

    def __init__(
        self, source: str | Path | RecordingSet, clock: SimClock | None = None, speed: float = 1.0, step_s: float = 0.1
    ) -> None:
        self.recording = source if isinstance(source, RecordingSet) else RecordingSet.open(str(source))
        self.path = self.recording.paths[0] if len(self.recording.paths) == 1 else Path(self.recording.file)
        self._instruments_given = 0
        self._it: Iterator[tuple[float, list[Event]]] = self.recording.iter_lines()
        self._next = next(self._it, None)
        self.stats: DecodeStats = self.recording.stats
        start = self._next[0] if self._next else 0.0
        super().__init__(clock or SimClock(start), speed, step_s)
        self.clock.set(start)

    @property
    def label(self) -> str:  # type: ignore[override]
        name = self.path.name if len(self.recording.paths) == 1 else f"{len(self.recording.paths)} files"
        bad = self.stats.bad_count
        return f"REPLAY {name} ×{self.speed:g}" + (f" · {bad:,} bad line{'' if bad == 1 else 's'}" if bad else "")

    @property
    def instruments(self):
        """Instruments recorded at the start of a live capture (lot sizes, contract values)."""
        return self.recording.instruments

    def bad_lines_report(self, first: int = 20) -> list[str]:
        """The bad-line count and the first reasons, for the terminal once the console closes."""
        if not self.stats.bad_count:
            return []
        n = self.stats.bad_count
        return [
            f"replay: {n:,} bad line{'' if n == 1 else 's'} skipped in {self.recording.file}; the first:",
            *(f"  {t}" for t in self.stats.bad_summary(first)),
        ]

    async def _feed_until(self, engine: Engine, target: float) -> None:
        n = 0
        while self._next is not None and self._next[0] <= target:
            ts, events = self._next
            self.clock.set(ts)
            if len(self.instruments) != self._instruments_given:
                self._instruments_given = len(self.instruments)
                engine.add_instruments(self.instruments)
            engine.process_many(events)  # a recorded line is one frame, decided as the live feed does
            n += len(events)
            self.events += len(events)
            self._next = next(self._it, None)
            if n >= YIELD_EVERY:
                n = 0
                await asyncio.sleep(0)
        if self._next is None:
            self.finished = True
