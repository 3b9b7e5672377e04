"""Ingest throughput: raw venue frames → parse → normalise → windows → score → signals → orders.

The stream is the crash scenario rendered as Binance and Bybit frames over 400 markets
(`tui.bench.streams`), generated before any clock starts. Three stages are timed on one core,
each on a fresh engine in full-auto mode (so signals go on to risk checks and paper orders) with the
liquidation heatmap on, built as `run`, `demo` and `backtest` build it (`estimated_fuel_map`);
events reach the engine a frame at a time (`Engine.process_many`), as the live runner hands them:

* parse: frames → normalised events (decode once, typed fields, side semantics);
* validate: the parsed events of each frame → the validation boundary (`EventValidator.accept`,
  one validator per venue, as each live venue runner keeps one);
* engine: the same, already parsed events → `Engine.process`;
* pipeline: frames → parse → validate → `Engine.process_many`, the headline figure: what a live
  venue runner does with each frame (core/feeds/runner.py), less the websocket itself;
* pipeline without the validator: as the benchmark measured before issue 21's validation
  boundary took part in it (kept so the two figures can be compared in one run).

The process runs with the console's collector policy (`core/gc_policy.py`: young collections every
2,000 allocations, full ones only when scheduled, everything alive at start-up frozen), as `run`,
`demo` and `replay` install it; `EventLoopCollector.maybe_collect` is not called (no timed region is
near its 60 s schedule).
"""

from __future__ import annotations

import collections
import gc
from collections.abc import Callable

from core.backtest import estimated_fuel_map
from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.engine_events import OrderSubmitted, SignalRaised
from core.feeds.registry import make_parser
from core.gc_policy import EventLoopCollector, freeze_after_startup
from core.validation import EventValidator
from tui.bench.streams import VENUE_NAMES, Stream, crash_stream
from tui.bench.timing import Timed, median_cpu_rate, median_rate, timed


def new_engine(start: float, cfg: Config | None = None) -> tuple[Engine, SimClock, collections.Counter]:
    cfg = cfg or Config()
    clock = SimClock(start)
    engine = Engine(cfg, clock, fuel_map=estimated_fuel_map(cfg, clock, ()), mode="auto")
    seen: collections.Counter = collections.Counter()
    engine.subscribe(
        lambda ev: seen.update((type(ev).__name__,)) if isinstance(ev, (SignalRaised, OrderSubmitted)) else None
    )
    return engine, clock, seen


def parsers() -> list:
    return [make_parser(v) for v in VENUE_NAMES]


def parse_all(stream: Stream) -> list[tuple[float, list]]:
    ps = parsers()
    return [(ts, ps[v].parse(raw, ts)) for ts, v, raw in zip(stream.ts, stream.venue, stream.raw, strict=True)]


def run_parse(stream: Stream) -> Callable[[], int]:
    ps = parsers()

    def go() -> int:
        n = 0
        for ts, v, raw in zip(stream.ts, stream.venue, stream.raw, strict=True):
            n += len(ps[v].parse(raw, ts))
        return n

    return go


def run_validate(parsed: list[tuple[float, list]], venues: list[int]) -> Callable[[], int]:
    validators = [EventValidator() for _ in VENUE_NAMES]

    def go() -> int:
        n = 0
        for (_, events), v in zip(parsed, venues, strict=True):
            n += len(validators[v].accept(events))
        return n

    return go


def run_engine(parsed: list[tuple[float, list]], engine: Engine, clock: SimClock) -> Callable[[], int]:
    def go() -> int:
        n = 0
        process, set_time = engine.process_many, clock.set
        for ts, events in parsed:
            set_time(ts)
            process(events)
            n += len(events)
        return n

    return go


def run_pipeline(stream: Stream, engine: Engine, clock: SimClock, validate: bool = True) -> Callable[[], int]:
    ps = parsers()
    accepts = [EventValidator().accept for _ in VENUE_NAMES]

    def go() -> int:
        n = 0
        process, set_time = engine.process_many, clock.set
        for ts, v, raw in zip(stream.ts, stream.venue, stream.raw, strict=True):
            set_time(ts)
            events = ps[v].parse(raw, ts)
            if validate:
                events = accepts[v](events)
            process(events)
            n += len(events)
        return n

    return go


def peak_rate(stream: Stream) -> int:
    """Largest number of events carried by the messages of any one second."""
    per_s: collections.Counter = collections.Counter()
    for ts, raw in zip(stream.ts, stream.raw, strict=True):
        per_s[int(ts)] += max(1, raw.count('"T":') if raw.startswith('{"topic":"allLiq') else 1)
    return max(per_s.values()) if per_s else 0


def run(seconds: float = 240.0, shards: int = 8, rounds: int = 3, stream: Stream | None = None) -> dict:
    stream = stream or crash_stream(seconds, shards=shards)
    parsed = parse_all(stream)
    start = stream.ts[0]
    parse_runs: list[Timed] = []
    validate_runs: list[Timed] = []
    engine_runs: list[Timed] = []
    pipe_runs: list[Timed] = []
    bare_runs: list[Timed] = []
    seen: collections.Counter = collections.Counter()
    collector = EventLoopCollector().install()  # the console's policy, as users run the engine
    try:
        freeze_after_startup()
        for _ in range(rounds):
            parse_runs.append(timed(run_parse(stream)))
            validate_runs.append(timed(run_validate(parsed, stream.venue)))
            engine, clock, _ = new_engine(start)
            engine_runs.append(timed(run_engine(parsed, engine, clock)))
            engine, clock, seen = new_engine(start)
            pipe_runs.append(timed(run_pipeline(stream, engine, clock)))
            engine, clock, _ = new_engine(start)
            bare_runs.append(timed(run_pipeline(stream, engine, clock, validate=False)))
    finally:
        collector.uninstall()
        gc.unfreeze()
    events = pipe_runs[0].n
    return {
        "messages": len(stream),
        "events": events,
        "liquidations": stream.liquidations,
        "open_interest": stream.open_interest,
        "markets": stream.markets,
        "stream_seconds": round(stream.ts[-1] - stream.ts[0], 1),
        "peak_events_in_1s": peak_rate(stream),
        "rounds": rounds,
        "parse_events_per_s": round(median_rate(parse_runs)),
        "validate_events_per_s": round(median_rate(validate_runs)),
        "engine_events_per_s": round(median_rate(engine_runs)),
        "ingest_events_per_s": round(median_rate(pipe_runs)),
        "ingest_events_per_cpu_s": round(median_cpu_rate(pipe_runs)),
        "ingest_us_per_event": round(1e6 / median_rate(pipe_runs), 3),
        "unvalidated_events_per_s": round(median_rate(bare_runs)),
        "unvalidated_events_per_cpu_s": round(median_cpu_rate(bare_runs)),
        "signals_raised": seen["SignalRaised"],
        "orders_submitted": seen["OrderSubmitted"],
    }
