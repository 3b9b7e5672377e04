"""A console event source that replays pre-rendered venue frames at a fixed event rate.

It plays the part of the live feed runner inside the console's asyncio loop: each frame has a
scheduled arrival time (`start + events before it / rate`, on `time.perf_counter`); when the loop
gets to it, the frame is parsed with the real venue parser and handed to `Engine.process_many`.
A frame the loop reaches late has waited in the "socket"; that wait is part of its latency.

Two latencies are recorded, both from a scheduled arrival, so time queued behind a repaint counts:

* per message: a frame's arrival → the engine has processed all its events;
* decision: the moment an order became due → the order leaves the broker (`submit`). The
  engine evaluates a watching market after every frame that changed it and handles every
  time-based decision at its exact deadline (core/engine.py), so "due" is either the scheduled
  arrival of the frame after which the entry or exit conditions held (the frame being processed
  when the engine decided), or, for a decision made at a deadline (the end of the entry delay, a
  quiet period, max hold, a window draining), the deadline's own time on the same clock. A
  deadline handled late — because the loop was busy, or only when the next frame moved engine
  time past it — counts its lateness.

The source arms a loop timer at the engine's next deadline (`core.deadlines.DeadlineWaker`), as
the live source does, so a time-based decision does not wait for the next frame.
`TimedEngine` (a subclass in the bench) notes which deadline it is handling; `TimedPaperBroker`
stamps each submit. Nothing in core is changed for the measurement.
"""

from __future__ import annotations

import asyncio
import time

from core.brokers.paper import PaperBroker
from core.deadlines import DeadlineWaker
from core.engine import Engine
from core.feeds.registry import make_parser
from tui.bench.streams import VENUE_NAMES, Stream

BATCH_YIELD = 200  # frames handled before giving the screen a turn, when behind


class PerfClock:
    """Engine time that runs with `perf_counter`, starting at `start` (unix seconds)."""

    def __init__(self, start: float) -> None:
        self._offset = start - time.perf_counter()

    def now(self) -> float:
        return self._offset + time.perf_counter()

    def perf_of(self, ts: float) -> float:
        """The `perf_counter` reading at which engine time is `ts`."""
        return ts - self._offset


class PacedSource:
    label = "BENCH paced"

    def __init__(
        self,
        stream: Stream,
        rate: float,
        clock: PerfClock,
        duration_s: float | None = None,
        record: bool = True,
        loop_stream: bool = True,
    ) -> None:
        self.stream = stream
        self.rate = float(rate)
        self.clock = clock
        self.duration_s = duration_s
        self.record = record
        self.loop_stream = loop_stream and duration_s is not None
        self.parsers = [make_parser(v) for v in VENUE_NAMES]
        self.finished = False
        self.done = asyncio.Event()  # set with `finished`, for whoever awaits the end of the stream
        self.paused = False
        self.events = 0
        self.messages = 0
        self.current_arrival = 0.0
        self.current_pick = 0.0
        self.in_frame = False
        self.latencies: list[float] = []  # arrival → engine done, seconds, one per frame
        self.started = 0.0
        self.waker: DeadlineWaker | None = None

    async def run(self, engine) -> None:
        # a loop timer at the engine's next deadline, as the live source arms one
        self.waker = waker = DeadlineWaker(engine, self.clock.now)
        waker.start()
        try:
            await self._play(engine)
        finally:
            waker.stop()
        self.finished = True
        self.done.set()

    async def _play(self, engine) -> None:
        stream, rate = self.stream, self.rate
        raws, venues = stream.raw, stream.venue
        counts = [1 if not r.startswith('{"topic":"allLiq') else r.count('"T":') for r in raws]
        start = self.started = time.perf_counter()
        end = start + self.duration_s if self.duration_s else float("inf")
        process, parsers, now_s, perf = engine.process_many, self.parsers, self.clock.now, time.perf_counter
        lat = self.latencies
        i, n, cum = 0, len(raws), 0
        laps = self.loop_stream
        while i < n or laps:
            t = perf()
            if t >= end:
                break
            handled = 0
            while i < n or laps:
                arrival = start + cum / rate
                if arrival > t:
                    break
                k = i % n  # a stream shorter than the run is played again (receive times come from the clock)
                self.current_arrival, self.current_pick = arrival, perf()
                self.in_frame = True
                events = parsers[venues[k]].parse(raws[k], now_s())
                process(events)
                self.in_frame = False
                if self.record:
                    lat.append(perf() - arrival)
                cum += counts[k]
                i += 1
                handled += 1
                if handled >= BATCH_YIELD:
                    break
            self.events = cum
            self.messages = i
            if i < n or laps:
                wait = start + cum / rate - perf()
                # pacing: sleep to the next frame's arrival (the waker's timer fires in between)
                await asyncio.sleep(wait if wait > 0 else 0)


class TimedEngine(Engine):
    """The engine, noting the deadline it is handling (engine time), if any."""

    def __init__(self, *args, source: PacedSource, **kw) -> None:
        super().__init__(*args, **kw)
        self.source = source
        self.deadline_at: float | None = None

    def _on_deadline(self, t: float, kind: str, key: str) -> None:
        self.deadline_at = t
        try:
            super()._on_deadline(t, kind, key)
        finally:
            self.deadline_at = None


class TimedPaperBroker(PaperBroker):
    """The paper broker, noting when each order reaches it relative to the moment it became due."""

    def __init__(self, cfg, price_of, pressure_of, source: PacedSource, engine: TimedEngine | None = None) -> None:
        super().__init__(cfg, price_of, pressure_of)
        self.source = source
        self.engine = engine
        # (intent, due → submit, frame pick-up → submit or None); seconds
        self.decisions: list[tuple[str, float, float | None]] = []

    def submit(self, order) -> None:
        t = time.perf_counter()
        due = self._due(order)
        if due is not None:
            src = self.source
            self.decisions.append((order.intent, t - due, t - src.current_pick if src.in_frame else None))
        super().submit(order)

    def _due(self, order) -> float | None:
        src, eng = self.source, self.engine
        if eng is not None and eng.deadline_at is not None:
            return src.clock.perf_of(eng.deadline_at)  # decided at a deadline: due at its time
        if src.in_frame:
            return src.current_arrival  # decided after the frame being processed: due at its arrival
        return None  # a key press, a confirm or a flatten belongs to no frame and no deadline
