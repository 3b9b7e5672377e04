"""The heat pane's level providers now live in core (core.heat_levels); kept as names here for callers."""

from core.heat_levels import EstimatedLevels, Levels, LevelsProvider, RealisedLevels

__all__ = ["EstimatedLevels", "Levels", "LevelsProvider", "RealisedLevels"]
