"""Where leveraged positions come from: who opens, on which side, how big, at what level.

New positions arrive at random. The side leans with the scenario's crowding, towards the last
half hour's direction (momentum chasers) and away from the side paying funding. Sizes are
Pareto-tailed. About half enter at market; the rest rest orders at the levels traders watch —
round numbers, the recent high and low, just past them for breakouts — so entries and hence
liquidation prices bunch.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from itertools import accumulate

from core.sim.positions import PositionBook, liquidation_price
from core.sim.resting_orders import RestingEntry
from core.sim.scenario import Scenario
from core.sim.universe import MarketSpec, round_number_step

SIZE_ALPHA = 1.2  # Pareto tail of bundle sizes: a few whales hold much of the notional
SIZE_CAP = 2000.0  # largest bundle, as a multiple of the smallest
ACCOUNT_FLOOR_BTC = 4_000.0  # smallest typical single account liquidation on BTC (smaller markets: × scale^0.5)
ACCOUNT_ALPHA = 1.5  # Pareto tail of single accounts' forced orders (mean = 3 × floor)
ACCOUNT_MEAN_MULT = ACCOUNT_ALPHA / (ACCOUNT_ALPHA - 1.0)
MAX_ACCOUNTS_PER_BUNDLE = 4000


def _capped_pareto_mean(alpha: float, cap: float) -> float:
    """Mean of min(X, cap) for X ~ Pareto(alpha) with minimum 1."""
    return alpha / (alpha - 1.0) - cap ** (1.0 - alpha) / (alpha - 1.0)


class TraderFlow:
    __slots__ = (
        "rng",
        "scenario",
        "lev_values",
        "lev_cum",
        "target_bundles",
        "size_min",
        "arrival_rate",
        "account_floor",
        "_p_long_base",
        "size_max",
    )

    def __init__(
        self, spec: MarketSpec, scenario: Scenario, rng: random.Random, max_usd: float, vol_ratio: float
    ) -> None:
        self.rng = rng
        self.scenario = scenario
        # traders size leverage to volatility: the tiers are BTC's, scaled by BTC vol / this market's vol
        self.lev_values = [
            max(2.0, min(spec.max_leverage, round(lev * vol_ratio))) for lev, _ in scenario.leverage_tiers
        ]
        self.lev_cum = list(accumulate(w for _, w in scenario.leverage_tiers))
        # smaller markets hold fewer bundles, and smaller ones, so alt cascades are smaller too
        self.target_bundles = max(150, int(scenario.bundles_btc * spec.scale**0.35))
        mean_usd = scenario.population_usd_btc * spec.scale / self.target_bundles
        self.size_min = mean_usd / _capped_pareto_mean(SIZE_ALPHA, SIZE_CAP)
        self.size_max = min(self.size_min * SIZE_CAP, max_usd)
        self.arrival_rate = self.target_bundles / scenario.mean_hold_s
        self.account_floor = ACCOUNT_FLOOR_BTC * spec.scale**0.5
        self._p_long_base = 0.5 + scenario.long_bias

    def draw_leverage(self) -> float:
        u = self.rng.random() * self.lev_cum[-1]
        return self.lev_values[min(bisect_right(self.lev_cum, u), len(self.lev_values) - 1)]

    def draw_usd(self) -> float:
        return min(self.size_min * self.rng.paretovariate(SIZE_ALPHA), self.size_max)

    def long_probability(self, funding: float, trend: float) -> float:
        """`trend` is the last 30 min's return in units of its typical size (clipped to ±1)."""
        s = self.scenario
        p = self._p_long_base + s.momentum_chasing * trend - s.funding_sensitivity * (funding - 0.0001) / 0.001
        return min(0.9, max(0.1, p))

    def new_entry(
        self, price: float, now: float, funding: float, trend: float, recent_low: float, recent_high: float
    ) -> RestingEntry:
        """A new position's order: level == price means it fills at market now."""
        rng = self.rng
        is_long = rng.random() < self.long_probability(funding, trend)
        lev = self.draw_leverage()
        usd = self.draw_usd()
        expires = now + self.scenario.resting_ttl_s * (0.5 + rng.random())
        if rng.random() >= self.scenario.resting_share:
            return RestingEntry(price, is_long, lev, usd, expires)
        u = rng.random()
        if u < 0.45:  # round numbers: longs bid the ones below, shorts offer the ones above
            step = round_number_step(price)
            k = 1 if rng.random() < 0.65 else 2
            level = (
                (math.floor(price / step) - (k - 1)) * step if is_long else (math.ceil(price / step) + (k - 1)) * step
            )
        elif u < 0.8:  # fade the range: buy the recent low, sell the recent high
            level = recent_low if is_long else recent_high
        else:  # breakouts: buy above the recent high, sell below the recent low
            level = recent_high * 1.001 if is_long else recent_low * 0.999
        if level <= 0:
            level = price
        return RestingEntry(level, is_long, lev, usd, expires)

    def split_into_accounts(self, usd: float) -> list[float]:
        """One bundle's liquidation as the individual accounts' forced orders.

        A bundle is many traders who entered near one price; each account's forced order is
        drawn from a Pareto tail with index ACCOUNT_ALPHA above the market's floor until the
        bundle is used up. With α = 1.5 and a $1.5k floor on BTC the mean order is ~$4.5k and the
        largest of ~10⁵ a day ~$3M: what CoinGlass reports for ordinary days (about 85k
        liquidated traders, $383M, largest single order $2.72M; see docs/simulator-calibration.md).
        """
        rng = self.rng
        floor = self.account_floor
        out: list[float] = []
        left = usd
        while left > 0.0:
            if len(out) >= MAX_ACCOUNTS_PER_BUNDLE - 1:
                # a runaway bundle: share what is left evenly rather than emit thousands of orders
                k = max(1, math.ceil(left / (floor * ACCOUNT_MEAN_MULT)))
                out.extend([left / k] * k)
                break
            x = floor * rng.paretovariate(ACCOUNT_ALPHA)
            if x >= left or left - x < floor:  # no account below the floor: the remainder joins this one
                out.append(left)
                break
            out.append(x)
            left -= x
        return out

    def seed_population(self, book: PositionBook, price: float, sigma_per_s: float) -> None:
        """Positions opened before the start: older ones entered further from today's price.
        Ones that would already have been liquidated are not seeded."""
        rng = self.rng
        s = self.scenario
        step = round_number_step(price)
        for _ in range(self.target_bundles):
            age = rng.expovariate(1.0 / s.mean_hold_s)
            entry = price * math.exp(rng.gauss(0.0, sigma_per_s * math.sqrt(age + 60.0)))
            if rng.random() < s.resting_share * 0.6:
                entry = max(step, round(entry / step) * step)
            is_long = rng.random() < self._p_long_base
            lev = self.draw_leverage()
            liq = liquidation_price(entry, lev, is_long, book.mmr)
            if (is_long and liq >= price * 0.998) or (not is_long and liq <= price * 1.002):
                continue
            book.open(is_long, entry, lev, self.draw_usd())
