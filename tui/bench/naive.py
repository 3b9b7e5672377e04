"""The naive baseline, side by side with liqhunt at fixed window occupancies.

`NaiveHandler.handle` is the widely published cascade handler from the seed article: a deque of
dicts per market, pruned on every event, then the whole window re-summed with one `sum(...)`
per event. Three changes keep the comparison about the algorithm, and all favour the baseline:
it is a plain function (the article's is `async def`, which adds a coroutine per event), it takes
the event's time instead of calling `time.time()`, and its `print` + order on a signal is a
counter increment. It is also handed already-decoded dicts, while liqhunt's figures below start
from raw venue text. The ratio is therefore a lower bound.

For occupancy N and a window of W seconds the stream is one market (Binance ``BTCUSDT``) with N
liquidations per W s (a rate of N / W events/s), sizes and sides drawn from the crash scenario, so
the window holds ~N events at steady state. The article's window is 90 s; the window length is
also varied (both sides get the same W) so that occupancy and event rate can be varied apart:
occupancy at a fixed rate, and rate at a fixed occupancy.
Both sides are filled with the same first N events (untimed); then the same following events are
timed in alternating rounds (rates per CPU-second of this process, the ratio in wall time beside it):

* naive: the handler on pre-decoded dicts;
* windows: liqhunt's per-market state alone (`apply_liquidation`: two `RollingWindow`s and two
  decayed baselines for the side);
* engine: `Engine.process` on normalised events (windows, score, signal state machine, risk);
* pipeline: raw Binance frame → parser → validation boundary → `Engine.process_many`, as a live
  venue runner hands each frame on (the headline);
* unvalidated: the same without the validation boundary, as this benchmark measured before it
  joined (kept so that both figures come from one run).

The process runs with the console's collector policy (`core/gc_policy.py`), as users run the engine.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections import deque

from core.backtest import estimated_fuel_map
from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.events import Liquidation
from core.feeds.registry import make_parser
from core.gc_policy import EventLoopCollector, freeze_after_startup
from core.market_state import apply_liquidation, new_market_state
from core.validation import EventValidator
from tui.bench.streams import binance_force_order, liquidation_sizes
from tui.bench.timing import Timed, median_cpu_rate, median_rate, timed

WINDOW_SECS = 90
CASCADE_THRESHOLD_USD = 5_000_000
SYMBOL, MARKET = "BTCUSDT", "BTC-USDT-PERP"
T0 = 1_767_225_600.0


class NaiveHandler:
    """The seed article's handler, verbatim in its logic (see the module docstring)."""

    def __init__(self, window_secs: float = WINDOW_SECS) -> None:
        self.windows: dict[str, deque] = {}
        self.signals = 0
        self.window_secs = window_secs

    def handle(self, event: dict, now: float) -> None:
        mkt = event["market"]
        if mkt not in self.windows:
            self.windows[mkt] = deque()
        w = self.windows[mkt]
        w.append({"t": now, "usd": event["size_usd"], "side": event["side"]})
        # Prune events outside window
        while w and now - w[0]["t"] > self.window_secs:
            w.popleft()
        # Sum long vs short liquidations in window
        long_liq = sum(e["usd"] for e in w if e["side"] == "long")
        if long_liq > CASCADE_THRESHOLD_USD:
            self.signals += 1  # the article prints and places a market order here


class OccupancyStream:
    """One market's liquidations with `occupancy` events per `window_s` window, in three forms."""

    def __init__(self, occupancy: int, timed_events: int, seed: int = 7, window_s: float = WINDOW_SECS) -> None:
        n = occupancy + timed_events
        dt = window_s / occupancy
        price = 60_000.0
        self.occupancy = occupancy
        self.ts = [T0 + i * dt for i in range(n)]
        sizes = liquidation_sizes(n, seed)
        self.liqs = [
            Liquidation("binance", MARKET, SYMBOL, side, price, usd / price, usd, t, t)  # type: ignore[arg-type]
            for (side, usd), t in zip(sizes, self.ts, strict=True)
        ]
        self.dicts = [{"market": MARKET, "size_usd": ev.usd, "side": ev.side} for ev in self.liqs]
        self.raw = [""] * occupancy + [
            binance_force_order(SYMBOL, ev.side, ev.price, ev.qty, ev.ts_recv) for ev in self.liqs[occupancy:]
        ]


def _naive_runner(h: NaiveHandler, s: OccupancyStream, start: int, budget_s: float, limit: int):
    """Handle events from `start` until the budget or `limit` events; returns (fn, position ref)."""
    pos = [start]

    def go() -> int:
        handle, dicts, ts = h.handle, s.dicts, s.ts
        i, end = pos[0], min(len(ts), pos[0] + limit)
        deadline = time.perf_counter() + budget_s
        while i < end:
            stop = min(end, i + 16)
            while i < stop:
                handle(dicts[i], ts[i])
                i += 1
            if time.perf_counter() > deadline:
                break
        done = i - pos[0]
        pos[0] = i
        return done

    return go


def compare(
    occupancy: int, timed_events: int, rounds: int = 3, naive_budget_s: float = 1.0, window_s: float = WINDOW_SECS
) -> dict:
    """Rates for naive, windows, engine and pipeline at one occupancy and window; medians over `rounds`."""
    s = OccupancyStream(occupancy, timed_events * rounds, window_s=window_s)
    cfg = Config()
    cfg.window = dataclasses.replace(cfg.window, window_s=window_s)
    naive = NaiveHandler(window_s)
    # fill the window directly with what `handle` would have kept (filling through `handle`
    # itself costs O(N²): 5·10⁹ dict reads at N = 100k)
    naive.windows[MARKET] = deque(
        {"t": s.ts[i], "usd": d["size_usd"], "side": d["side"]} for i, d in enumerate(s.dicts[:occupancy])
    )
    naive_go = _naive_runner(naive, s, occupancy, naive_budget_s, timed_events)

    st = new_market_state(MARKET, cfg)
    clock_e, clock_p = SimClock(T0), SimClock(T0)
    # the heatmap on, as `run`, `demo` and `backtest` use the engine
    eng = Engine(cfg, clock_e, fuel_map=estimated_fuel_map(cfg, clock_e, ()), mode="auto")
    pipe = Engine(cfg, clock_p, fuel_map=estimated_fuel_map(cfg, clock_p, ()), mode="auto")
    clock_b = SimClock(T0)  # the pipeline without the validator, as this benchmark measured it before
    bare = Engine(cfg, clock_b, fuel_map=estimated_fuel_map(cfg, clock_b, ()), mode="auto")
    parser, parser_b = make_parser("binance"), make_parser("binance")
    accept = EventValidator().accept  # the live runner's boundary, one per venue
    for ev in s.liqs[:occupancy]:
        apply_liquidation(st, ev)
        clock_e.set(ev.ts_recv)
        eng.process(ev)
        clock_p.set(ev.ts_recv)
        pipe.process_many(accept([ev]))
        clock_b.set(ev.ts_recv)
        bare.process(ev)

    runs: dict[str, list[Timed]] = {"naive": [], "windows": [], "engine": [], "pipeline": [], "unvalidated": []}
    for r in range(rounds):
        lo, hi = occupancy + r * timed_events, occupancy + (r + 1) * timed_events
        liqs, ts, raw = s.liqs[lo:hi], s.ts[lo:hi], s.raw[lo:hi]

        # each round times its own slice: bound as defaults so no closure reads a later round's
        def windows(liqs: list = liqs) -> int:
            for ev in liqs:
                apply_liquidation(st, ev)
            return len(liqs)

        def engine(liqs: list = liqs) -> int:
            process, set_time = eng.process, clock_e.set
            for ev in liqs:
                set_time(ev.ts_recv)
                process(ev)
            return len(liqs)

        def pipeline(ts: list = ts, raw: list = raw) -> int:
            process, set_time, parse = pipe.process_many, clock_p.set, parser.parse
            for t, text in zip(ts, raw, strict=True):
                set_time(t)
                process(accept(parse(text, t)))
            return len(raw)

        def unvalidated(ts: list = ts, raw: list = raw) -> int:
            process, set_time, parse = bare.process_many, clock_b.set, parser_b.parse
            for t, text in zip(ts, raw, strict=True):
                set_time(t)
                process(parse(text, t))
            return len(raw)

        runs["naive"].append(timed(naive_go))
        runs["windows"].append(timed(windows))
        runs["engine"].append(timed(engine))
        runs["pipeline"].append(timed(pipeline))
        runs["unvalidated"].append(timed(unvalidated))

    # per CPU-second: on a shared machine another process's burst lands on one side of the ratio
    # and not the other in wall time; the process's own CPU time is what each handler costs
    rates = {k: median_cpu_rate(v) for k, v in runs.items()}
    wall = {k: median_rate(v) for k, v in runs.items()}
    occ = st.long.window.count + st.short.window.count
    return {
        "occupancy": occupancy,
        "window_s": window_s,
        "stream_events_per_s": round(occupancy / window_s, 1),
        "window_events_liqhunt": occ,
        "window_events_naive": len(naive.windows[MARKET]),
        "naive_events_timed": sum(r.n for r in runs["naive"]),
        "liqhunt_events_timed": sum(r.n for r in runs["pipeline"]),
        "naive_events_per_s": round(rates["naive"]),
        "windows_events_per_s": round(rates["windows"]),
        "engine_events_per_s": round(rates["engine"]),
        "pipeline_events_per_s": round(rates["pipeline"]),
        "naive_us_per_event": round(1e6 / rates["naive"], 3),
        "windows_us_per_event": round(1e6 / rates["windows"], 3),
        "engine_us_per_event": round(1e6 / rates["engine"], 3),
        "pipeline_us_per_event": round(1e6 / rates["pipeline"], 3),
        "ratio_pipeline_vs_naive": round(rates["pipeline"] / rates["naive"], 1),
        "unvalidated_us_per_event": round(1e6 / rates["unvalidated"], 3),
        "ratio_unvalidated_vs_naive": round(rates["unvalidated"] / rates["naive"], 1),
        "ratio_engine_vs_naive": round(rates["engine"] / rates["naive"], 1),
        "ratio_windows_vs_naive": round(rates["windows"] / rates["naive"], 1),
        "rates_are": "per CPU-second",
        "wall_ratio_pipeline_vs_naive": round(wall["pipeline"] / wall["naive"], 1),
    }


def run(
    occupancies: tuple[int, ...] = (1_000, 10_000, 100_000),
    timed_events: int = 50_000,
    rounds: int = 3,
    naive_budget_s: float = 1.0,
    fixed_rate: float | None = None,
    rate_windows: tuple[float, ...] = (),
) -> list[dict]:
    """The article's 90 s window at each occupancy (rate and occupancy move together); with
    `fixed_rate`, each occupancy again at that rate (the window stretched to fit); with
    `rate_windows`, 10k occupancy at those window lengths (the rate changes, occupancy does not)."""
    collector = EventLoopCollector().install()  # the console's policy, as users run the engine
    try:
        freeze_after_startup()
        out = [{**compare(n, timed_events, rounds, naive_budget_s), "series": "90 s window"} for n in occupancies]
        if fixed_rate:
            out += [
                {**compare(n, timed_events, rounds, naive_budget_s, window_s=n / fixed_rate), "series": "fixed rate"}
                for n in occupancies
                if abs(n / fixed_rate - WINDOW_SECS) > 1e-6
            ]
        out += [
            {**compare(10_000, timed_events, rounds, naive_budget_s, window_s=w), "series": "fixed occupancy"}
            for w in rate_windows
            if w != WINDOW_SECS
        ]
    finally:
        collector.uninstall()
        gc.unfreeze()
    return out
