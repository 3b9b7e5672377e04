"""The simulated perpetual markets: starting prices, BTC beta, volatility, size and venue steps.

`scale` is a market's size relative to BTC: its book depth, leveraged population and
typical order sizes are BTC's multiplied by it, so an alt cascade comes out proportionally
smaller. Prices, ticks and lots are close to the large venues' USDT perpetuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.events import market_name
from core.instruments import Instrument


@dataclass(frozen=True, slots=True)
class MarketSpec:
    base: str
    price: float  # starting price, USD
    beta: float  # sensitivity of the market's returns to BTC's
    idio_vol: float  # annualised volatility of the market's own (non-BTC) returns
    scale: float  # size relative to BTC (depth, population, order sizes)
    tick: float
    lot: float
    max_leverage: float = 50.0

    @property
    def market(self) -> str:
        return market_name(self.base)

    @property
    def symbol(self) -> str:
        return f"{self.base}USDT"


# BTC first: it is the shared factor every other market follows with its beta.
MARKET_SPECS: tuple[MarketSpec, ...] = (
    MarketSpec("BTC", 60_000.0, 1.00, 0.50, 1.000, 0.1, 0.001, 125),
    MarketSpec("ETH", 3_000.0, 1.15, 0.35, 0.550, 0.01, 0.001, 100),
    MarketSpec("SOL", 140.0, 1.35, 0.55, 0.180, 0.01, 1.0, 100),
    MarketSpec("XRP", 0.55, 1.20, 0.55, 0.100, 0.0001, 0.1, 75),
    MarketSpec("DOGE", 0.15, 1.50, 0.70, 0.080, 0.00001, 1.0, 75),
    MarketSpec("BNB", 600.0, 0.85, 0.35, 0.070, 0.01, 0.01, 75),
    MarketSpec("ADA", 0.45, 1.30, 0.60, 0.045, 0.0001, 1.0, 75),
    MarketSpec("AVAX", 30.0, 1.45, 0.65, 0.040, 0.001, 1.0, 75),
    MarketSpec("LINK", 15.0, 1.35, 0.60, 0.040, 0.001, 0.01, 75),
    MarketSpec("SUI", 1.5, 1.60, 0.80, 0.045, 0.0001, 0.1, 50),
    MarketSpec("1000PEPE", 0.012, 1.70, 0.95, 0.040, 0.0000001, 1.0, 50),
    MarketSpec("LTC", 80.0, 1.10, 0.50, 0.030, 0.01, 0.001, 75),
    MarketSpec("DOT", 6.0, 1.30, 0.60, 0.025, 0.001, 0.1, 75),
    MarketSpec("BCH", 400.0, 1.15, 0.55, 0.025, 0.01, 0.001, 75),
    MarketSpec("NEAR", 5.0, 1.45, 0.70, 0.022, 0.001, 1.0, 50),
    MarketSpec("APT", 9.0, 1.45, 0.70, 0.020, 0.001, 0.1, 50),
    MarketSpec("ARB", 0.8, 1.50, 0.70, 0.020, 0.0001, 0.1, 50),
    MarketSpec("OP", 1.8, 1.50, 0.70, 0.018, 0.0001, 0.1, 50),
    MarketSpec("WIF", 2.0, 1.80, 1.00, 0.025, 0.0001, 0.1, 50),
    MarketSpec("TON", 5.0, 0.90, 0.60, 0.018, 0.0001, 0.1, 50),
    MarketSpec("INJ", 25.0, 1.55, 0.75, 0.015, 0.001, 0.1, 50),
    MarketSpec("FIL", 5.0, 1.35, 0.65, 0.015, 0.001, 0.1, 50),
    MarketSpec("ATOM", 7.0, 1.25, 0.60, 0.015, 0.001, 0.01, 50),
    MarketSpec("UNI", 8.0, 1.30, 0.65, 0.015, 0.001, 1.0, 50),
    MarketSpec("AAVE", 150.0, 1.30, 0.65, 0.015, 0.01, 0.1, 50),
    MarketSpec("ETC", 22.0, 1.20, 0.60, 0.012, 0.001, 0.01, 50),
    MarketSpec("TRX", 0.12, 0.60, 0.40, 0.015, 0.00001, 1.0, 50),
    MarketSpec("HBAR", 0.10, 1.40, 0.75, 0.010, 0.00001, 1.0, 50),
    MarketSpec("ICP", 9.0, 1.40, 0.75, 0.010, 0.001, 1.0, 50),
    MarketSpec("XLM", 0.11, 1.15, 0.60, 0.010, 0.00001, 1.0, 50),
    MarketSpec("RENDER", 7.0, 1.60, 0.85, 0.012, 0.001, 0.1, 50),
    MarketSpec("TIA", 6.0, 1.65, 0.90, 0.012, 0.001, 1.0, 50),
    MarketSpec("SEI", 0.4, 1.65, 0.90, 0.010, 0.0001, 1.0, 50),
    MarketSpec("FET", 1.4, 1.65, 0.90, 0.012, 0.0001, 1.0, 50),
    MarketSpec("MKR", 2_000.0, 1.10, 0.60, 0.008, 0.1, 0.001, 50),
    MarketSpec("ENA", 0.6, 1.70, 0.95, 0.012, 0.0001, 1.0, 50),
    MarketSpec("ORDI", 35.0, 1.70, 1.00, 0.010, 0.001, 0.1, 50),
    MarketSpec("STX", 1.8, 1.50, 0.80, 0.008, 0.0001, 1.0, 50),
    MarketSpec("IMX", 1.6, 1.50, 0.80, 0.008, 0.0001, 1.0, 50),
    MarketSpec("JUP", 0.9, 1.60, 0.90, 0.008, 0.0001, 1.0, 50),
    MarketSpec("ALGO", 0.18, 1.30, 0.70, 0.006, 0.0001, 0.1, 50),
    MarketSpec("GALA", 0.03, 1.55, 0.85, 0.006, 0.00001, 1.0, 50),
    MarketSpec("SAND", 0.45, 1.45, 0.80, 0.006, 0.0001, 1.0, 50),
    MarketSpec("CRV", 0.5, 1.50, 0.85, 0.006, 0.0001, 0.1, 50),
    MarketSpec("LDO", 1.9, 1.45, 0.80, 0.007, 0.0001, 1.0, 50),
    MarketSpec("RUNE", 4.5, 1.50, 0.85, 0.007, 0.001, 1.0, 50),
    MarketSpec("KAS", 0.15, 1.30, 0.80, 0.006, 0.00001, 1.0, 50),
    MarketSpec("PENDLE", 4.0, 1.60, 0.90, 0.006, 0.001, 1.0, 50),
    MarketSpec("ONDO", 1.1, 1.50, 0.85, 0.007, 0.0001, 0.1, 50),
    MarketSpec("WLD", 2.2, 1.65, 0.95, 0.008, 0.0001, 1.0, 50),
)

MIN_MARKETS = 1
MAX_MARKETS = len(MARKET_SPECS)


def market_specs(count: int) -> tuple[MarketSpec, ...]:
    if not MIN_MARKETS <= count <= MAX_MARKETS:
        raise ValueError(f"markets must be between {MIN_MARKETS} and {MAX_MARKETS}, got {count}")
    return MARKET_SPECS[:count]


def round_number_step(price: float) -> float:
    """The spacing of the 'round' prices traders anchor on: 1, 2 or 5 × 10^k near 0.5–1 % of price."""
    target = price * 0.007
    exp = math.floor(math.log10(target))
    unit = 10.0**exp
    for mult in (1.0, 2.0, 5.0, 10.0):
        if unit * mult >= target:
            return unit * mult
    return unit * 10.0


def instrument_for(spec: MarketSpec) -> Instrument:
    return Instrument(
        venue="sim",
        symbol=spec.symbol,
        market=spec.market,
        tick_size=spec.tick,
        lot_size=spec.lot,
        min_qty=spec.lot,
        min_notional=5.0,
        max_leverage=spec.max_leverage,
    )
