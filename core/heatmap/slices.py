"""How one dollar of new open interest is spread over leverage tiers and sides.

For a given venue and market the spread does not depend on the entry price: each tier's
liquidation price is entry × a constant. So the constants are worked out once per
(venue, market) and every open-interest rise costs one multiply-add per tier and side.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.heatmap.config import HeatmapConfig
from core.heatmap.margin import MarginTable, liquidation_multiplier


@dataclass(frozen=True, slots=True)
class TierSlice:
    leverage: float  # after the venue's and the instrument's caps
    weight: float  # share of the new leveraged notional, the tiers sum to 1
    long_mult: float  # long liquidation price ÷ entry
    short_mult: float  # short liquidation price ÷ entry


def tier_slices(cfg: HeatmapConfig, table: MarginTable, max_leverage: float | None = None) -> tuple[TierSlice, ...]:
    """One slice per configured tier, capped at what the venue allows a `cfg.position_usd` position.
    Tiers that end up at the same leverage are merged; a tier that would be liquidated at entry
    (1/L ≤ mmr) carries no levels and is dropped."""
    mmr = table.effective_rate(cfg.position_usd)
    cap = table.max_leverage(cfg.position_usd)
    if max_leverage is not None:
        cap = min(cap, max_leverage)
    total = sum(cfg.leverage_weights)
    merged: dict[float, float] = {}
    for tier_lev, w in zip(cfg.leverages, cfg.leverage_weights, strict=True):  # equal: load_config checks
        lev_c = float(min(tier_lev, cap))
        merged[lev_c] = merged.get(lev_c, 0.0) + w / total
    out = []
    for lev, w in sorted(merged.items()):
        if w <= 0.0 or 1.0 / lev <= mmr:
            continue
        out.append(
            TierSlice(
                lev,
                w,
                liquidation_multiplier(lev, True, mmr, table.inverse),
                liquidation_multiplier(lev, False, mmr, table.inverse),
            )
        )
    return tuple(out)
