"""A console event source that replays pre-rendered venue frames at a fixed event rate.

It plays the part of the live feed runner inside the console's asyncio loop: each frame has a
scheduled arrival time (`start + events before it / rate`, on `time.perf_counter`); when the loop
gets to it, the frame is parsed with the real venue parser and handed to `Engine.process`.
A frame the loop reaches late has waited in the "socket"; that wait is part of its latency.

For every frame it records arrival → processed (the per-message latency). `current_arrival` is
the arrival time of the frame being processed, which a timing broker reads when an order is
submitted (the decision latency).
"""
from __future__ import annotations

import asyncio
import time

from tui.bench.streams import VENUE_NAMES, Stream
from core.brokers.paper import PaperBroker
from core.feeds.registry import make_parser

BATCH_YIELD = 200  # frames handled before giving the screen a turn, when behind


class PerfClock:
    """Engine time that runs with `perf_counter`, starting at `start` (unix seconds)."""

    def __init__(self, start: float) -> None:
        self._offset = start - time.perf_counter()

    def now(self) -> float:
        return self._offset + time.perf_counter()


class PacedSource:
    label = "BENCH paced"

    def __init__(self, stream: Stream, rate: float, clock: PerfClock, duration_s: float | None = None,
                 record: bool = True, loop_stream: bool = True) -> None:
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

    async def run(self, engine) -> None:
        stream, rate = self.stream, self.rate
        raws, venues = stream.raw, stream.venue
        counts = [1 if not r.startswith('{"topic":"allLiq') else r.count('"T":') for r in raws]
        start = self.started = time.perf_counter()
        end = start + self.duration_s if self.duration_s else float("inf")
        process, parsers, now_s, perf = engine.process, self.parsers, self.clock.now, time.perf_counter
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
                for ev in parsers[venues[k]].parse(raws[k], now_s()):
                    process(ev)
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
                await asyncio.sleep(wait if wait > 0 else 0)  # pacing: the next frame's arrival time
        self.finished = True
        self.done.set()


class TimedPaperBroker(PaperBroker):
    """The paper broker, noting when each order reaches it relative to the frame being handled."""

    def __init__(self, cfg, price_of, pressure_of, source: PacedSource) -> None:
        super().__init__(cfg, price_of, pressure_of)
        self.source = source
        self.decisions: list[tuple[str, float, float]] = []  # (intent, from arrival, from pick-up)

    def submit(self, order) -> None:
        t = time.perf_counter()
        src = self.source
        if src.in_frame:  # orders from a clock tick or a key press belong to no frame
            self.decisions.append((order.intent, t - src.current_arrival, t - src.current_pick))
        super().submit(order)
