"""Where liquidations sit around the price, bucketed by distance from it, for the heat pane.

`levels(market, price)` answers with USD per price bucket below and above the price. With the
heatmap estimator (engine.fuel_map) that is the estimate with realised liquidations alongside;
without it, `RealisedLevels` answers with the liquidations that actually happened. Both bucket
through the estimator's own bins (`core.heatmap.realised.RealisedLiquidations.bins`), so the
console and the heatmap never disagree on which bucket a price falls in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from core.events import Liquidation
from core.heatmap.realised import RealisedLiquidations

REALISED_KEEP_S = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Levels:
    """`below[0]` / `above[0]` are the buckets nearest the price; each bucket spans `step_pct` %."""

    below: tuple[float, ...]
    above: tuple[float, ...]
    step_pct: float
    kind: str  # "realised" or "estimated"
    below_label: str = "longs"  # whose liquidations sit there
    above_label: str = "shorts"
    realised_below: tuple[float, ...] | None = None  # realised liquidations on the same buckets (overlay)
    realised_above: tuple[float, ...] | None = None


class LevelsProvider(Protocol):
    def levels(self, market: str, price: float, buckets: int = 30, span_pct: float = 3.0) -> Levels: ...


def split_bins(values: list[float], buckets: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """2×`buckets` bins from far below to far above the price -> (below nearest-first, above nearest-first)."""
    return tuple(reversed(values[:buckets])), tuple(values[buckets:])


class RealisedLevels:
    """Realised liquidations by price; `observe` gets each new tape row (display data, bounded per market)."""

    def __init__(self, keep_s: float = REALISED_KEEP_S) -> None:
        self.keep_s = keep_s
        self._seen: dict[str, RealisedLiquidations] = {}
        self._now = 0.0

    def observe(self, events: Iterable[Liquidation]) -> None:
        for ev in events:
            rows = self._seen.get(ev.market)
            if rows is None:
                rows = self._seen[ev.market] = RealisedLiquidations(self.keep_s)
            rows.add(ev.ts_recv, ev.price, ev.usd, ev.side == "long")
            self._now = max(self._now, ev.ts_recv)

    def levels(self, market: str, price: float, buckets: int = 30, span_pct: float = 3.0) -> Levels:
        rows = self._seen.get(market)
        if rows is None or price <= 0:
            zero = (0.0,) * buckets
            return Levels(zero, zero, span_pct / buckets, "realised", below_label="liq'd", above_label="liq'd")
        _, longs, shorts = rows.bins(price, span_pct, 2 * buckets, self._now)
        below, above = split_bins([a + b for a, b in zip(longs, shorts, strict=True)], buckets)
        return Levels(below, above, span_pct / buckets, "realised", below_label="liq'd", above_label="liq'd")

    def markets(self) -> list[str]:
        return list(self._seen)


class EstimatedLevels:
    """The heatmap estimate (the engine's fuel map): long liquidation levels below the price,
    short levels above it, with realised liquidations kept alongside for the overlay."""

    def __init__(self, estimator) -> None:
        self.est = estimator

    def levels(self, market: str, price: float, buckets: int = 30, span_pct: float = 3.0) -> Levels:
        _, longs, shorts = self.est.levels(market, price, span_pct, 2 * buckets)
        _, rl, rs = self.est.realised_levels(market, price, span_pct, 2 * buckets)
        below, _ = split_bins(list(longs), buckets)
        _, above = split_bins(list(shorts), buckets)
        realised_below, realised_above = split_bins([a + b for a, b in zip(rl, rs, strict=True)], buckets)
        return Levels(
            below,
            above,
            span_pct / buckets,
            "estimated",
            below_label="longs",
            above_label="shorts",
            realised_below=realised_below,
            realised_above=realised_above,
        )
