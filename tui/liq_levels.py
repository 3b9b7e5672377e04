"""Where liquidations sit around the price, for the heat pane, behind one small provider call.

`levels(market, price)` answers with USD per price bucket below and above the price. Until the
heatmap estimator lands (engine.fuel_map), `RealisedLevels` answers with the liquidations that
actually happened, kept by the console from the tape: display data only, bounded per market.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable, Protocol

from core.events import Liquidation


@dataclass(frozen=True, slots=True)
class Levels:
    """`below[0]` / `above[0]` are the buckets nearest the price; each bucket spans `step_pct` %."""

    below: list[float]
    above: list[float]
    step_pct: float
    kind: str  # "realised" or "estimated"
    below_label: str = "longs"  # whose liquidations sit there
    above_label: str = "shorts"
    realised_below: list[float] | None = None  # realised liquidations on the same buckets (overlay)
    realised_above: list[float] | None = None


class LevelsProvider(Protocol):
    def levels(self, market: str, price: float, buckets: int = 30, span_pct: float = 3.0) -> Levels: ...


class RealisedLevels:
    """Realised liquidations by price from the tape; `observe` gets each new tape row."""

    def __init__(self, per_market: int = 5000) -> None:
        self.per_market = per_market
        self._seen: dict[str, deque[tuple[float, float]]] = {}

    def observe(self, events: Iterable[Liquidation]) -> None:
        for ev in events:
            q = self._seen.get(ev.market)
            if q is None:
                q = self._seen[ev.market] = deque(maxlen=self.per_market)
            q.append((ev.price, ev.usd))

    def levels(self, market: str, price: float, buckets: int = 30, span_pct: float = 3.0) -> Levels:
        below = [0.0] * buckets
        above = [0.0] * buckets
        step = span_pct / buckets
        if price > 0:
            for px, usd in self._seen.get(market, ()):
                d = (px - price) / price * 100
                i = int(abs(d) / step)
                if i < buckets:
                    (above if d >= 0 else below)[i] += usd
        return Levels(below, above, step, "realised", below_label="liq'd", above_label="liq'd")

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
        below = list(reversed(longs[:buckets]))  # nearest the price first
        above = list(shorts[buckets:])
        realised_below = list(reversed([a + b for a, b in zip(rl[:buckets], rs[:buckets], strict=True)]))
        realised_above = [a + b for a, b in zip(rl[buckets:], rs[buckets:], strict=True)]
        return Levels(below, above, span_pct / buckets, "estimated", below_label="longs", above_label="shorts",
                      realised_below=realised_below, realised_above=realised_above)
