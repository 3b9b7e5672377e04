"""Position size from score and cascade volume: base × score/10 × min(window USD / ref, cap).

Rounded down to the market's lot; below the minimum notional (ours or the venue's) or the
venue's minimum quantity, the entry is skipped with a reason rather than sent.
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

    @property
    def ok(self) -> bool:
        return not self.skip_reason


def size_entry(score: float, window_usd: float, price: float, cfg: SizingConfig, instrument: Instrument | None = None) -> SizeDecision:
    confidence = max(0.0, min(score, 10.0)) / 10.0
    vol_factor = min(window_usd / cfg.volume_ref_usd, cfg.volume_factor_cap) if window_usd > 0 else 0.0
    usd = cfg.base_size_usd * confidence * vol_factor
    if price <= 0:
        return SizeDecision(0.0, 0.0, confidence, vol_factor, "no price")
    lot = instrument.lot_size if instrument else 0.0
    qty = round_down_to_step(usd / price, lot) if lot > 0 else usd / price
    notional = qty * price
    min_notional = max(cfg.min_notional_usd, instrument.min_notional if instrument else 0.0)
    if qty <= 0:
        return SizeDecision(0.0, 0.0, confidence, vol_factor, f"size ${usd:,.2f} rounds to zero lots")
    if instrument and instrument.min_qty and qty < instrument.min_qty:
        return SizeDecision(0.0, 0.0, confidence, vol_factor, f"qty {qty:g} below the venue minimum {instrument.min_qty:g}")
    if notional < min_notional:
        return SizeDecision(0.0, 0.0, confidence, vol_factor, f"notional ${notional:,.2f} below minimum ${min_notional:,.2f}")
    return SizeDecision(qty, notional, confidence, vol_factor)
