"""The shared BTC factor: one log return per second that every market follows with its beta.

Volatility clusters through GARCH(1,1) on the per-second variance (a big second makes the
next ones bigger, decaying over ~20 minutes). A scenario's sell programme (`crash`) adds a
steady negative drift to BTC's fair value for its duration; alts inherit it through beta, and
the leveraged population does the rest.
"""

from __future__ import annotations

import math
import random

from core.sim.scenario import Scenario

SECONDS_PER_YEAR = 365.0 * 86400.0


class BtcFactor:
    __slots__ = (
        "rng",
        "var",
        "omega",
        "alpha",
        "beta",
        "start_ts",
        "shock_drift",
        "shock_start",
        "shock_duration",
        "shock_every",
    )

    def __init__(self, annual_vol: float, scenario: Scenario, rng: random.Random, start_ts: float) -> None:
        self.rng = rng
        long_run = (annual_vol * scenario.vol_mult) ** 2 / SECONDS_PER_YEAR
        self.var = long_run
        self.alpha = scenario.garch_alpha
        self.beta = scenario.garch_persistence - scenario.garch_alpha
        self.omega = long_run * (1.0 - scenario.garch_persistence)
        self.start_ts = start_ts
        d = scenario.shock_duration_s
        self.shock_drift = math.log(1.0 - scenario.shock_drop) / d if scenario.shock_drop > 0 and d > 0 else 0.0
        self.shock_start = scenario.shock_start_s
        self.shock_duration = d
        self.shock_every = scenario.shock_every_s

    def in_shock(self, t: float) -> bool:
        if not self.shock_drift:
            return False
        since = t - self.start_ts - self.shock_start
        if since < 0:
            return False
        if self.shock_every > 0:
            since %= self.shock_every
        return since < self.shock_duration

    def draw(self, t: float) -> float:
        """BTC's fair-value log return over [t, t + 1)."""
        shock = math.sqrt(self.var) * self.rng.gauss(0.0, 1.0)
        self.var = self.omega + self.alpha * min(shock * shock, 25.0 * self.var) + self.beta * self.var
        return shock + (self.shock_drift if self.in_shock(t) else 0.0)
