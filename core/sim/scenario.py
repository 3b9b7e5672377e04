"""Scenario presets: the market's ingredients, never its outcomes.

A scenario sets how volatile prices are, how much leverage traders use and how crowded one
side is, how deep the books are and how fast they refill, how often large takers arrive, and
(for `crash`) a persistent sell programme on BTC. Whether a given liquidation fizzles, runs on
into the next cluster or snaps back is left to the mechanics in `market_model`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    # price process
    vol_mult: float = 1.0  # scales every market's annualised volatility
    garch_alpha: float = 0.03  # weight of the latest squared return in next second's variance
    garch_persistence: float = 0.9995  # alpha + beta; 0.9995 per second ~ 20 min half-life
    # leveraged population
    leverage_tiers: tuple[tuple[float, float], ...] = ((5, 0.25), (10, 0.33), (25, 0.2), (50, 0.13), (100, 0.09))
    maintenance_margin: float = 0.0045
    long_bias: float = 0.0  # added to the 50 % chance that a new position is long
    momentum_chasing: float = 0.15  # tilt of new positions towards the last 30 min's direction
    funding_sensitivity: float = 0.08  # tilt away from the side paying funding, per 0.1 % funding
    population_usd_btc: float = 500e6  # leveraged notional on BTC; other markets × their scale
    bundles_btc: int = 5000  # position bundles on BTC; smaller markets hold fewer, smaller bundles
    mean_hold_s: float = 8 * 3600.0  # voluntary closes: mean holding time
    resting_share: float = 0.55  # share of entries placed as resting orders at round numbers / highs / lows
    resting_ttl_s: float = 3 * 3600.0
    # order book and flow
    depth_btc_usd_per_pct: float = 25e6  # unabsorbed taker USD that moves BTC 1 % (square-root beyond)
    # the book absorbs taker backlog (refill, dip buyers) with this time constant; 10 s puts the mean
    # move after a cascade near zero at 1 and 5 min, as measured on 15,992 real cascades
    # (docs/simulator-calibration.md [1]); at 30 s cascades reverted by 60–110 bps within a minute
    refill_tau_s: float = 10.0
    # share of a taker's impact that moves fair value for good; with 0.15 the mean move after a cascade
    # sat at −5 to −10 bps at 5 min, with 0.3 at +7 to +13: 0.2 puts it near the measured −0.56 ([1])
    permanent_impact: float = 0.2
    engine_tau_s: float = 3.0  # the liquidation engine works off its queue with this time constant
    engine_max_depth_per_s: float = 0.5  # ...but sends at most this multiple of the 1 % depth per second
    whale_rate_per_hour: float = 12.0  # large taker orders per market per hour
    whale_size_depth: float = 0.08  # typical whale order as a fraction of 1 % depth (Pareto tail above)
    trade_rate: float = 0.6  # background trade ticks per market per second
    # a sell programme on BTC's fair value (alts follow through beta); 0 = none
    shock_drop: float = 0.0  # fraction of BTC fair value sold off per shock
    shock_start_s: float = 0.0
    shock_duration_s: float = 300.0
    shock_every_s: float = 0.0  # 0 = only once


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="calm",
            description="quiet tape, low leverage, deep books: liquidations trickle, cascades are rare",
            vol_mult=0.6,
            leverage_tiers=((3, 0.25), (5, 0.3), (10, 0.27), (25, 0.12), (50, 0.06)),
            population_usd_btc=350e6,
            momentum_chasing=0.05,
            depth_btc_usd_per_pct=40e6,
            whale_rate_per_hour=3.0,
            whale_size_depth=0.05,
            trade_rate=0.4,
        ),
        Scenario(
            name="normal",
            description="an ordinary day: steady small liquidations and a few cascades an hour across the board",
            # mostly modest leverage: ~$100M liquidated a day on one venue, as on ordinary days ([3])
            leverage_tiers=((3, 0.2), (5, 0.28), (10, 0.3), (25, 0.14), (50, 0.06), (100, 0.02)),
        ),
        Scenario(
            name="volatile",
            description="high volatility, high leverage, thin books: frequent and larger cascades",
            vol_mult=1.7,
            # leverage and crowd sized for $100–600M liquidated a day on one venue ([3])
            leverage_tiers=((3, 0.12), (5, 0.22), (10, 0.3), (25, 0.2), (50, 0.11), (100, 0.05)),
            population_usd_btc=600e6,
            momentum_chasing=0.25,
            depth_btc_usd_per_pct=16e6,
            whale_rate_per_hour=20.0,
            whale_size_depth=0.12,
            trade_rate=0.9,
        ),
        Scenario(
            name="crash",
            description="a big liquidation day: crowded longs, then BTC sells off several % and alts follow",
            vol_mult=1.3,
            leverage_tiers=((5, 0.15), (10, 0.27), (25, 0.24), (50, 0.19), (100, 0.15)),
            long_bias=0.17,
            funding_sensitivity=0.03,
            population_usd_btc=900e6,
            depth_btc_usd_per_pct=18e6,
            whale_rate_per_hour=6.0,
            trade_rate=0.9,
            # a sell programme of 2 % in a minute every 4 h: ~12 % down on the day, as on real crash days
            shock_drop=0.02,
            shock_start_s=120.0,
            shock_duration_s=60.0,
            shock_every_s=4 * 3600.0,
        ),
    )
}


def get_scenario(name: str | Scenario) -> Scenario:
    if isinstance(name, Scenario):
        return name
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; valid: {', '.join(SCENARIOS)}") from None


def with_programme_at(scenario: Scenario, start_s: float) -> Scenario:
    """The same market with its sell programme's first run moved to `start_s` after the start: only
    when cascades happen changes (the programme's size, length and repeat stay as calibrated). A
    scenario without a programme is returned as it is."""
    if scenario.shock_drop <= 0:
        return scenario
    return replace(scenario, shock_start_s=max(0.0, start_s))
