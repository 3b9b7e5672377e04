"""Agent-based market simulator: leveraged traders, finite books and a liquidation engine,
from which liquidation cascades emerge. See `market_sim.Simulator` for the entry point."""

from core.sim.market_sim import Simulator
from core.sim.scenario import SCENARIOS, Scenario, get_scenario
from core.sim.truth import CascadeEpisode

__all__ = ["Simulator", "Scenario", "SCENARIOS", "get_scenario", "CascadeEpisode"]
