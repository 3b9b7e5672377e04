"""Event sources that feed the engine on a paced simulated clock: the simulator and replay.

Both drive a `SimClock` from the event loop's monotonic time × speed, so the engine sees the
same code path as a backtest (time jumps to each event's receive time, never ahead of it)
while a person watches in real time. Live feeds use the wall clock instead (core.feeds.live).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator
from pathlib import Path

from core.clock import SimClock
from core.engine import Engine
from core.events import Event, Liquidation
from core.recording_set import RecordingSet
from core.replay import DecodeStats
from core.validation import EventValidator

YIELD_EVERY = 2000  # events processed before giving the screen a turn
MAX_SPEED = 1000.0  # the console's speed keys stop here (the CLI's --speed range too)
MAX_CATCH_UP_STEPS = 5  # a step that ran late is made up for at most this many steps' worth
SEEK_TICK_S = 1.0  # a seek moves engine time in steps no coarser than this, so timers fire as in play
SEEK_CASCADE_MAX_S = 3600.0  # a search for the next cascade gives up after this much event time
CASCADE_QUIET_S = 60.0  # a large liquidation starts a new burst when its market had none this long
CASCADE_MIN_AHEAD_S = 1.0  # the next cascade is at least this far ahead (so `c` twice moves on)


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
        # seeking: forward only, always through the engine (see request_seek)
        self.burst_usd = 100_000.0  # a liquidation this large can start a cascade (the app sets signal.watch_min_usd)
        self.seeking = False
        self.on_seek: Callable[[bool, str], None] | None = None  # (seeking?, what the seek did) for the console
        self._seek_request: float | None = None  # seconds ahead; math.inf = to the next cascade
        self._seek_from = 0.0
        self._large_ts: dict[str, float] = {}  # market -> receive time of its last liquidation >= burst_usd

    def request_seek(self, seconds: float | None) -> str:
        """Jump `seconds` of event time ahead, or (None) to just before the next cascade: the start of a
        burst of liquidations >= burst_usd on a market that had none for CASCADE_QUIET_S. Every event on
        the way goes through the engine at full speed (no pacing), with engine time moving in
        SEEK_TICK_S steps, so windows, signals and positions are what they would have been in play.
        Backwards is not offered: the engine's state is a function of every event so far. Returns a
        line for the status line; the outcome comes through `on_seek` once the seek is done."""
        if seconds is not None and seconds <= 0:
            raise ValueError("a seek goes forward only")
        if self.finished:
            return "nothing left to seek: the source has ENDED"
        if self.seeking or self._seek_request is not None:
            return "already seeking; wait for it to finish"
        self._seek_request = math.inf if seconds is None else float(seconds)
        return "seeking to the next cascade…" if seconds is None else f"seeking +{_span(seconds)}…"

    async def _seek(self, engine: Engine, seconds: float) -> None:
        start = t = self.clock.now()
        cascade = math.isinf(seconds)
        end = start + (SEEK_CASCADE_MAX_S if cascade else seconds)
        self._seek_from, events_before, found = start, self.events, None
        self.seeking = True
        if self.on_seek is not None:
            self.on_seek(True, "")
        try:
            while not self.finished and t < end:
                step = min(end, t + SEEK_TICK_S)
                found = await self._feed_until(engine, step, stop_at_burst=cascade)
                if found is not None:
                    break
                self.clock.set(step)
                engine.tick()
                t = step
                await asyncio.sleep(0)  # the screen repaints (progress %) while seeking
        finally:
            self.seeking = False
        n = self.events - events_before
        moved = f"+{_span(self.clock.now() - start)} ({n:,} events through the engine)"
        if found is not None:
            note = f"next cascade: stopped just before it, {moved}"
        elif self.finished:
            note = f"seek reached the end: {moved}"
        elif cascade:
            note = f"no cascade within {_span(SEEK_CASCADE_MAX_S)}: {moved}"
        else:
            note = f"jumped {moved}"
        if self.on_seek is not None:
            self.on_seek(False, note)

    def _remember_bursts(self, events: list[Event]) -> None:
        """Note each market's last large liquidation among events handed to the engine (for _starts_burst)."""
        burst = self.burst_usd
        for ev in events:
            if isinstance(ev, Liquidation) and ev.usd >= burst:
                self._large_ts[ev.market] = ev.ts_recv

    def _starts_burst(self, ev: Event) -> bool:
        """A large liquidation on a market that was quiet, far enough ahead of where the seek began."""
        return (
            isinstance(ev, Liquidation)
            and ev.usd >= self.burst_usd
            and ev.ts_recv >= self._seek_from + CASCADE_MIN_AHEAD_S
            and ev.ts_recv - self._large_ts.get(ev.market, -math.inf) >= CASCADE_QUIET_S
        )

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
            if self._seek_request is not None:
                seconds, self._seek_request = self._seek_request, None
                await self._seek(engine, seconds)
                wall = loop.time()  # the seek's wall time is not play time
                continue
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

    async def _feed_until(self, engine: Engine, target: float, stop_at_burst: bool = False) -> float | None:
        """Hand over every event received up to `target`. With `stop_at_burst`, stop just before the
        first that starts a cascade (see _starts_burst) and return its receive time."""
        raise NotImplementedError


def _span(seconds: float) -> str:
    """12:34 or 1:02:03 of event time."""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class SimSource(_Paced):
    """The built-in simulator, live. `warmup_s` of history is run through first, at full speed,
    so the console opens on a market with baselines and a populated tape."""

    def __init__(self, sim, clock: SimClock, speed: float = 1.0, warmup_s: float = 0.0, step_s: float = 0.1) -> None:
        super().__init__(clock, speed, step_s)
        self.sim = sim
        self.warmup_s = warmup_s
        self._held: list[Event] = []  # generated but not yet handed over (a seek stopped before them)
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
        taken = []
        for ev in events:
            if check(ev) is not None:
                continue
            self.clock.set(ev.ts_recv)
            engine.process(ev)
            taken.append(ev)
        self._remember_bursts(taken)
        self.events += len(events)

    async def _feed_until(self, engine: Engine, target: float, stop_at_burst: bool = False) -> float | None:
        events = self.sim.advance_to(target)
        if self._held:  # generated before a seek stopped: handed over only once the target reaches them
            due = sum(1 for ev in self._held if ev.ts_recv <= target)
            events, self._held = self._held[:due] + events, self._held[due:]
        found = None
        if stop_at_burst:
            i = next((i for i, ev in enumerate(events) if self._starts_burst(ev)), None)
            if i is not None:
                events, self._held, found = events[:i], events[i:], events[i].ts_recv
        for i in range(0, len(events), YIELD_EVERY):
            self._process(engine, events[i : i + YIELD_EVERY])
            if i + YIELD_EVERY < len(events):
                await asyncio.sleep(0)
        return found


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

    async def _feed_until(self, engine: Engine, target: float, stop_at_burst: bool = False) -> float | None:
        n = 0
        while self._next is not None and self._next[0] <= target:
            ts, events = self._next
            if stop_at_burst and any(self._starts_burst(ev) for ev in events):
                return ts
            self.clock.set(ts)
            if len(self.instruments) != self._instruments_given:
                self._instruments_given = len(self.instruments)
                engine.add_instruments(self.instruments)
            engine.process_many(events)  # a recorded line is one frame, decided as the live feed does
            self._remember_bursts(events)
            n += len(events)
            self.events += len(events)
            self._next = next(self._it, None)
            if n >= YIELD_EVERY:
                n = 0
                await asyncio.sleep(0)
        if self._next is None:
            self.finished = True
        return None
