"""The questions the score and the signal filters ask of a liquidation heatmap.

The heatmap estimator answers them; until one is attached, `NoFuelMap` answers "unknown",
which makes the proximity component neutral and lets the support filter pass — honestly
marked as unknown, never invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.events import Side


@dataclass(frozen=True, slots=True)
class SupportCheck:
    known: bool
    price: float | None = None  # nearest large opposing cluster, if any
    distance_pct: float | None = None
    usd: float | None = None

    @property
    def blocks(self) -> bool:
        return self.known and self.price is not None


class FuelMap(Protocol):
    # Optional: `observe(ev: Event) -> None` — the engine calls it with every market event it
    # accepts (before its own processing), so an estimator learns from the same stream.

    def fuel_ahead(self, market: str, liquidated: Side, price: float, pct: float) -> float | None:
        """Estimated USD of `liquidated`-side positions that would be force-closed within `pct` %
        of `price` in the cascade's direction (below for longs, above for shorts); None = unknown."""
        ...

    def support_within(self, market: str, liquidated: Side, price: float, pct: float, min_usd: float) -> SupportCheck:
        """Is a cluster of at least `min_usd` that would absorb the cascade within `pct` %?"""
        ...


class NoFuelMap:
    def fuel_ahead(self, market: str, liquidated: Side, price: float, pct: float) -> float | None:
        return None

    def support_within(self, market: str, liquidated: Side, price: float, pct: float, min_usd: float) -> SupportCheck:
        return SupportCheck(known=False)
