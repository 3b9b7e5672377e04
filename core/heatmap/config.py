"""The [heatmap] config section lives in core/config.py with every other section; this module
re-exports it for the heatmap package."""

from __future__ import annotations

from core.config import HeatmapConfig, check_heatmap_relations

__all__ = ["HeatmapConfig", "check_heatmap_relations"]
