"""Position size from the dollar risk: (risk budget × score/10 × volume factor) ÷ stop distance.

The risk budget is what one trade may lose if its stop is hit, scaled by the setup's
confidence (score / 10) and its volume factor (window USD / ref, capped) as the article
scales size. Dividing by the stop distance makes a wide stop a small position and a tight
stop a large one, so every trade risks about the same dollars. The notional is capped at
`base_size_usd` and rounded down to the market's lot (the risk section's caps are hard
refusals on top, so a fat-fingered budget is refused, not quietly traded at the cap);
below the venue's minimum quantity or notional (or ours, if set) the entry is skipped with a
reason rather than sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import SizingConfig
from core.instruments import Instrument, round_down_to_step


@dataclass(frozen=True, slots=True)
class SizeDecision:
    qty: float  # base units, lot-rounded; 0 when skipped
    notional: float
    confidence: float  # score / 10
    volume_factor: float
    skip_reason: str = ""  # empty when the size is usable
    risk_usd: float = 0.0  # loss if the stop is hit (before fees and slippage), at the lot-rounded size
    budget_usd: float = 0.0  # the risk budget asked for: risk_per_trade_usd × confidence × volume factor
    capped: str = ""  # which notional cap bound the size, if one did

    @property
    def ok(self) -> bool:
        return not self.skip_reason


def size_entry(
    score: float,
    window_usd: float,
    price: float,
    stop_pct: float,
    cfg: SizingConfig,
    instrument: Instrument | None = None,
) -> SizeDecision:
    """`stop_pct`: distance from entry to stop, % of price."""
    confidence = max(0.0, min(score, 10.0)) / 10.0
    vol_factor = min(window_usd / cfg.volume_ref_usd, cfg.volume_factor_cap) if window_usd > 0 else 0.0
    budget = cfg.risk_per_trade_usd * confidence * vol_factor

    def skip(reason: str) -> SizeDecision:
        return SizeDecision(0.0, 0.0, confidence, vol_factor, reason, 0.0, budget)

    if price <= 0:
        return skip("no price")
    if not stop_pct > 0:
        return skip("no stop distance to size against")
    usd = budget / (stop_pct / 100.0)
    capped = ""
    if usd > cfg.base_size_usd:
        usd, capped = cfg.base_size_usd, "sizing.base_size_usd"
    lot = instrument.lot_size if instrument else 0.0
    qty = round_down_to_step(usd / price, lot) if lot > 0 else usd / price
    notional = qty * price
    min_notional = max(cfg.min_notional_usd, instrument.min_notional if instrument else 0.0)
    if qty <= 0:
        return skip(f"size ${usd:,.2f} rounds to zero lots")
    if instrument and instrument.min_qty and qty < instrument.min_qty:
        return skip(f"qty {qty:g} below the venue minimum {instrument.min_qty:g}")
    if notional < min_notional:
        return skip(f"notional ${notional:,.2f} below minimum ${min_notional:,.2f}")
    return SizeDecision(qty, notional, confidence, vol_factor, "", notional * stop_pct / 100.0, budget, capped)
