"""The [heatmap] config section: every tunable of the liquidation-level estimate.

Same field style as core/config.py, so the lead can add `heatmap: HeatmapConfig` to `Config`
and `check_heatmap_relations(cfg.heatmap)` to `_check_relations` without touching a field.
The defaults are generic assumptions about leveraged traders, not fitted to the simulator.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.config import ConfigError, _rng


@dataclass
class HeatmapConfig:
    bucket_pct: float = field(default=0.1, metadata=_rng(0.01, 5, doc="relative width of one price bucket, %"))
    range_pct: float = field(default=30.0, metadata=_rng(1, 90, doc="keep estimated levels this far from price (bounds memory)"))
    leverages: list[int] = field(
        default_factory=lambda: [5, 10, 20, 25, 50, 75, 100],
        metadata=_rng(doc="leverage tiers new positions are spread over"),
    )
    leverage_weights: list[float] = field(
        default_factory=lambda: [0.15, 0.25, 0.15, 0.15, 0.15, 0.08, 0.07],
        metadata=_rng(doc="share of new open interest per leverage tier (normalised)"),
    )
    leveraged_share: float = field(default=1.0, metadata=_rng(0, 1, doc="share of an open-interest rise assumed leveraged"))
    long_share: float = field(default=0.5, metadata=_rng(0, 1, doc="share of new open interest that is long, before the funding tilt"))
    funding_tilt: float = field(
        default=0.0,
        metadata=_rng(0, 10, doc="long share added per 0.1 %/8h of funding above funding_neutral_rate (0 = no tilt)"),
    )
    funding_neutral_rate: float = field(default=0.0001, metadata=_rng(-1, 1, doc="funding per 8 h that means balanced sides"))
    position_usd: float = field(
        default=50_000.0,
        metadata=_rng(1, None, doc="typical single position, to pick the venue's maintenance-margin tier"),
    )
    half_life_s: float = field(default=6 * 3600.0, metadata=_rng(60, 30 * 86400, doc="estimated mass halves after this long"))
    oi_decrease_weight: float = field(
        default=1.0,
        metadata=_rng(0, 1, doc="share of an open-interest fall (net of liquidations) removed from every level"),
    )
    liquidation_consume_pct: float = field(
        default=0.3, metadata=_rng(0, 10, doc="a realised liquidation removes estimated mass this close to its price")
    )
    seed_spread_pct: float = field(
        default=1.5,
        metadata=_rng(0, 20, doc="first open interest seen: spread its unknown entries ± this around price (0 = ignore it)"),
    )
    warmup_s: float = field(default=0.0, metadata=_rng(0, 86400, doc="answer 'unknown' until OI has been tracked this long"))
    cluster_width_pct: float = field(default=0.5, metadata=_rng(0.01, 10, doc="a cluster is the mass within this price span"))
    realised_keep_s: float = field(default=3600.0, metadata=_rng(1, 86400, doc="realised liquidations kept for the overlay"))
    depth_stale_s: float = field(default=10.0, metadata=_rng(0.1, 3600, doc="order-book depth older than this is ignored"))


def check_heatmap_relations(h: HeatmapConfig) -> None:
    """Cross-field rules the per-field ranges cannot express; raises ConfigError naming the key."""
    if not h.leverages:
        raise ConfigError("heatmap.leverages", "needs at least one leverage tier")
    if len(h.leverages) != len(h.leverage_weights):
        raise ConfigError("heatmap.leverage_weights", f"needs one weight per leverage tier ({len(h.leverages)})")
    if any(lev < 1 or lev > 500 for lev in h.leverages):
        raise ConfigError("heatmap.leverages", "each tier must be between 1 and 500")
    if any(w < 0 for w in h.leverage_weights) or sum(h.leverage_weights) <= 0:
        raise ConfigError("heatmap.leverage_weights", "weights must be ≥ 0 with a positive sum")
    if h.cluster_width_pct < h.bucket_pct:
        raise ConfigError("heatmap.cluster_width_pct", "must be at least heatmap.bucket_pct")
