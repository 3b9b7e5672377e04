"""The estimated liquidation heatmap: where leveraged positions would be force-closed.

`HeatmapEstimator` (model.py) is the engine's FuelMap; `HeatmapConfig` (config.py) its
[heatmap] section. margin.py holds the venues' liquidation rules, buckets.py the per-market
store, fuel.py the queries, slices.py the leverage-tier split, realised.py the overlay.
"""

from core.heatmap.config import HeatmapConfig, check_heatmap_relations
from core.heatmap.fuel import Cluster
from core.heatmap.model import HeatmapEstimator

__all__ = ["Cluster", "HeatmapConfig", "HeatmapEstimator", "check_heatmap_relations"]
