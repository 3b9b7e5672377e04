"""A console event source that replays pre-rendered venue frames at a fixed event rate.

It plays the part of the live feed runner inside the console's asyncio loop: each frame has a
scheduled arrival time (`start + events before it / rate`, on `time.perf_counter`); when the loop
gets to it, the frame is parsed with the real venue parser and handed to `Engine.process_many`.
A frame the loop reaches late has waited in the "socket"; that wait is part of its latency.

Two latencies are recorded, both from a scheduled arrival, so time queued behind a repaint counts:

* per message: a frame's arrival → the engine has processed all its events;
* decision: the moment an order became due → the order leaves the broker (`submit`). For an
  entry, "due" is the latest of (a) the arrival of the first frame on that market since the
  engine last checked it — the frame that could have made the entry due —, (b) the engine's
  previous check of the market (it did not decide then; the score also moves with time alone, so
  without a new frame the entry became due somewhere after that check) and (c) the end of the
  entry delay (the signal's first large liquidation + `entry_delay_min_s`, on the same clock). So
  the wait for the 0.1 s re-check or the 0.25 s sweep is counted, not hidden. For an exit: the
  arrival of the frame being handled, or, for a time-based exit decided on a tick, its due time.

`TimedEngine` (a subclass in the bench) notes each market's last check and pending frame;
`TimedPaperBroker` stamps each submit. Nothing in core is changed for the measurement.
"""

from __future__ import annotations

import asyncio
import time

from core.brokers.paper import PaperBroker
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
        # market -> arrival of the first frame on it since the engine last checked it (TimedEngine pops it)
        self.unchecked: dict[str, float] = {}
        self.started = 0.0

    async def run(self, engine) -> None:
        stream, rate = self.stream, self.rate
        raws, venues = stream.raw, stream.venue
        counts = [1 if not r.startswith('{"topic":"allLiq') else r.count('"T":') for r in raws]
        start = self.started = time.perf_counter()
        end = start + self.duration_s if self.duration_s else float("inf")
        process, parsers, now_s, perf = engine.process_many, self.parsers, self.clock.now, time.perf_counter
        lat, unchecked = self.latencies, self.unchecked
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
                for ev in events:
                    if ev.market not in unchecked:
                        unchecked[ev.market] = arrival
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
                await asyncio.sleep(wait if wait > 0 else 0)  # pacing: the next frame's arrival time
        self.finished = True
        self.done.set()


class TimedEngine(Engine):
    """The engine, noting for each market check when the market was last checked and which frame
    on it had not been looked at since."""

    def __init__(self, *args, source: PacedSource, **kw) -> None:
        super().__init__(*args, **kw)
        self.source = source
        self.last_check: dict[str, float] = {}  # market -> perf_counter at its last check
        self.checking: float | None = None  # while a market is checked: the frame's arrival, or its last check

    def _evaluate(self, market: str, now: float) -> None:
        frame = self.source.unchecked.pop(market, None)
        previous = self.last_check.get(market)
        # nothing that changed before the previous check can have made this check decide
        self.checking = max(frame, previous) if frame is not None and previous is not None else (frame or previous)
        try:
            super()._evaluate(market, now)
        finally:
            self.checking = None
            self.last_check[market] = time.perf_counter()


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
        clock = src.clock
        if order.intent == "entry":
            if eng is None:
                return src.current_arrival if src.in_frame else None
            sig = eng._entry_plans.get(order.id)  # the signal has already ended ("entered") by submit
            delay_over = clock.perf_of(sig.first_ts + eng.cfg.signal.entry_delay_min_s) if sig is not None else None
            cands = [x for x in (eng.checking, delay_over) if x is not None]
            if not cands:  # cannot happen with a signal on record; counted from the frame, never dropped
                return src.current_arrival if src.in_frame else time.perf_counter()
            return max(cands)
        if src.in_frame:
            return src.current_arrival
        pos = eng.positions.get(order.market) if eng is not None else None
        if order.reason == "max_hold" and pos is not None:
            return clock.perf_of(pos.max_hold_until)
        return None  # an exit from a key press or a flatten belongs to no frame
