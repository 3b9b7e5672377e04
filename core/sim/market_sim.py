"""The simulator the console, the recorder and the backtests drive.

Time moves on a fixed grid of one-second steps from `start_ts`, whatever pieces `advance_to`
is called with: a step is computed as soon as its start is reached and its events are handed
out as their timestamps come due. So advancing in 0.2 s or 60 s pieces gives the same
stream, and a seed gives the same market every time. All randomness comes from
`random.Random` instances derived from the seed.

`warmup_s` runs the market that long before `start_ts` and throws away what it emitted: the
seeded population starts out unnaturally tidy (no resting orders, no recent range, volatility at
its long-run level), so the first simulated hour is not like any other. The sell programme of
`crash` is timed from `start_ts`, not from the warm-up.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator
from operator import attrgetter

from core.events import Event
from core.instruments import Instrument
from core.sim.btc_factor import BtcFactor
from core.sim.market_model import MarketModel
from core.sim.scenario import Scenario, get_scenario
from core.sim.truth import CascadeEpisode
from core.sim.universe import instrument_for, market_specs

STEP_S = 1.0
_by_ts = attrgetter("ts_recv")


class Simulator:
    def __init__(
        self,
        scenario: str | Scenario = "normal",
        seed: int = 7,
        markets: int = 20,
        start_ts: float = 1_767_225_600.0,
        warmup_s: float = 0.0,
    ) -> None:
        if warmup_s < 0:
            raise ValueError("warmup_s must not be negative")
        self.scenario = get_scenario(scenario)
        self.seed = seed
        self.start_ts = float(start_ts)
        self.warmup_s = float(warmup_s)
        self._t0 = self.start_ts - self.warmup_s  # where the step grid begins
        self.now = self._t0
        self.episodes: list[CascadeEpisode] = []
        specs = market_specs(markets)
        master = random.Random(seed)
        btc_vol = specs[0].idio_vol
        self._factor = BtcFactor(btc_vol, self.scenario, random.Random(master.getrandbits(64)), self.start_ts)
        self._models = [
            MarketModel(
                spec,
                self.scenario,
                random.Random(master.getrandbits(64)),
                self._t0,
                i,
                self.episodes,
                own_vol=0.0 if i == 0 else spec.idio_vol,  # BTC's own moves are the factor
                factor_vol=btc_vol,
            )
            for i, spec in enumerate(specs)
        ]
        self._by_market = {m.market: m for m in self._models}
        self.markets: list[str] = [m.market for m in self._models]
        self._steps_done = 0
        self._pending: deque[Event] = deque()  # computed events not yet due
        if self.warmup_s > 0:
            self.advance_to(self.start_ts)  # discarded: the recording starts after the warm-up
            self.episodes.clear()
            self._pending = deque(ev for ev in self._pending if ev.ts_recv > self.start_ts)

    # -- driving ---------------------------------------------------------------------------
    def advance_to(self, t: float) -> list[Event]:
        """Run the model up to time `t`; return the events with timestamps up to `t`, in time order."""
        if t <= self.now:
            return []
        out: list[Event] = []
        pending = self._pending
        while pending and pending[0].ts_recv <= t:
            out.append(pending.popleft())
        while self._t0 + self._steps_done * STEP_S <= t:
            step_start = self._t0 + self._steps_done * STEP_S
            events = self._step(step_start, self._steps_done)
            self._steps_done += 1
            if step_start + STEP_S <= t:
                out.extend(events)
            else:
                for ev in events:
                    if ev.ts_recv <= t:
                        out.append(ev)
                    else:
                        pending.append(ev)
        self.now = t
        return out

    def run(self, seconds: float, chunk: float = 1.0) -> Iterator[Event]:
        """Yield every event of the next `seconds`, advancing `chunk` seconds at a time."""
        if chunk <= 0:
            raise ValueError("chunk must be positive")
        end = self.now + seconds
        while self.now < end:
            yield from self.advance_to(min(self.now + chunk, end))

    def _step(self, t: float, n: int) -> list[Event]:
        factor_ret = self._factor.draw(t)
        events: list[Event] = []
        for model in self._models:
            model.step(t, n, factor_ret, events)
        events.sort(key=_by_ts)
        return events

    # -- looking in ------------------------------------------------------------------------
    def _model(self, market: str) -> MarketModel:
        try:
            return self._by_market[market]
        except KeyError:
            raise ValueError(f"unknown market {market!r}; simulated: {', '.join(self.markets)}") from None

    def price(self, market: str) -> float:
        """The market's price at the end of the latest computed step (at most one step ahead of `now`)."""
        return self._model(market).price

    def true_liquidation_levels(self, market: str) -> list[tuple[float, float, str]]:
        """The live population's (liquidation price, USD force-traded there, side), ascending by price."""
        return self._model(market).positions.levels()

    def instruments(self) -> list[Instrument]:
        return [instrument_for(m.spec) for m in self._models]
