"""Where a venue force-closes a position: maintenance-margin tables and liquidation prices.

A position is liquidated when its margin less the loss falls to the maintenance margin. For an
isolated linear perpetual that is, as a share of entry price,
    long  ≈ entry × (1 − 1/L + mmr)        short ≈ entry × (1 + 1/L − mmr)
(the formula the known heatmap tools and our simulator use). Inverse contracts (BitMEX XBTUSD,
Deribit BTC-PERPETUAL) hold margin in coin, so the same rule gives
    long = entry × (1 + mmr) / (1 + 1/L)   short = entry × (1 − mmr) / (1 − 1/L).

Binance tiers the maintenance-margin rate by position notional and caps leverage per tier; the
maintenance amount ("cum") makes the rate continuous across tier edges, so a position of
notional N pays N × mmr_tier − cum, i.e. an effective rate of mmr_tier − cum / N. Tables change
over time: these are the published ones we could cite, the venue's own API
(/fapi/v1/leverageBracket) is authoritative. Other venues use their entry-tier rate flat.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events import base_asset


@dataclass(frozen=True, slots=True)
class MarginTier:
    up_to_usd: float  # upper bound of position notional in this tier (inclusive)
    max_leverage: float
    mmr: float  # maintenance-margin rate, fraction of notional


@dataclass(frozen=True, slots=True)
class MarginTable:
    tiers: tuple[MarginTier, ...]  # ascending by up_to_usd
    inverse: bool = False

    def _locate(self, notional: float) -> tuple[MarginTier, float]:
        """The tier holding `notional` and its maintenance amount (cum)."""
        cum = 0.0
        prev_rate = 0.0
        floor = 0.0
        for tier in self.tiers:
            cum += floor * (tier.mmr - prev_rate)
            if notional <= tier.up_to_usd:
                return tier, cum
            floor, prev_rate = tier.up_to_usd, tier.mmr
        return self.tiers[-1], cum

    def effective_rate(self, notional: float) -> float:
        """Maintenance margin ÷ notional for one position of this size."""
        tier, cum = self._locate(notional)
        return tier.mmr - cum / notional if notional > 0 else tier.mmr

    def max_leverage(self, notional: float) -> float:
        return self._locate(notional)[0].max_leverage

    def with_inverse(self, inverse: bool) -> MarginTable:
        return self if inverse == self.inverse else MarginTable(self.tiers, inverse)


def liquidation_multiplier(leverage: float, is_long: bool, mmr: float, inverse: bool = False) -> float:
    """Liquidation price ÷ entry price; ≤ 0 (long) or ∞-like (short) never happens for L ≥ 1."""
    if inverse:
        if is_long:
            return (1.0 + mmr) / (1.0 + 1.0 / leverage)
        return (1.0 - mmr) / (1.0 - 1.0 / leverage) if leverage > 1.0 else float("inf")
    if is_long:
        return 1.0 - 1.0 / leverage + mmr
    return 1.0 + 1.0 / leverage - mmr


def liquidation_price(entry: float, leverage: float, is_long: bool, mmr: float, inverse: bool = False) -> float:
    return entry * liquidation_multiplier(leverage, is_long, mmr, inverse)


def _flat(mmr: float, max_leverage: float = 125.0) -> MarginTable:
    return MarginTable((MarginTier(float("inf"), max_leverage, mmr),))


# Binance BTCUSDT 125× brackets, from Binance's 2021-03-18 announcement "Updates to Leverage and
# Margin Tiers of Binance Futures Contracts" (used for BTC and ETH: both are 125× majors).
BINANCE_MAJOR = MarginTable(
    (
        MarginTier(50_000, 125, 0.004),
        MarginTier(250_000, 100, 0.005),
        MarginTier(1_000_000, 50, 0.01),
        MarginTier(10_000_000, 20, 0.025),
        MarginTier(20_000_000, 10, 0.05),
        MarginTier(50_000_000, 5, 0.10),
        MarginTier(100_000_000, 4, 0.125),
        MarginTier(200_000_000, 3, 0.15),
        MarginTier(300_000_000, 2, 0.25),
        MarginTier(float("inf"), 1, 0.50),
    )
)
# Binance 50× USDT-margined alt brackets from the same announcement.
BINANCE_ALT = MarginTable(
    (
        MarginTier(5_000, 50, 0.01),
        MarginTier(25_000, 20, 0.025),
        MarginTier(100_000, 10, 0.05),
        MarginTier(250_000, 5, 0.10),
        MarginTier(1_000_000, 2, 0.125),
        MarginTier(float("inf"), 1, 0.50),
    )
)
# Entry-tier rates of the other venues (their first risk-limit tier covers typical positions).
FLAT_RATES: dict[str, float] = {
    "bybit": 0.005,
    "okx": 0.004,
    "bitmex": 0.0035,
    "deribit": 0.005,
    "sim": 0.0045,  # the simulator's published maintenance margin (core/sim/scenario.py)
}
DEFAULT_RATE = 0.005


def table_for(venue: str, market: str, inverse: bool = False, max_leverage: float | None = None) -> MarginTable:
    """The maintenance-margin table a venue applies to `market`."""
    if venue == "binance":
        table = BINANCE_MAJOR if base_asset(market) in ("BTC", "ETH") else BINANCE_ALT
    elif venue == "hyperliquid":
        # Hyperliquid's maintenance margin is half the initial margin at the asset's max leverage
        lev = max_leverage or 50.0
        table = _flat(0.5 / lev, lev)
    else:
        table = _flat(FLAT_RATES.get(venue, DEFAULT_RATE), max_leverage or 125.0)
    return table.with_inverse(inverse)
