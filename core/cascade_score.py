"""CascadeScore: a 0–10 score that is a pure function of named, visible components.

Each component is 0–1. A component whose input is unknown (no heatmap yet, no funding
from the venue) is neutral (0.5) and marked `known=False` — never faked as good or bad.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from core.config import ScoreConfig

NEUTRAL = 0.5


@dataclass(frozen=True, slots=True)
class ScoreComponent:
    name: str  # speed | size | proximity | funding | oi
    value: float  # 0..1
    weight: float
    known: bool
    detail: str  # the input behind the value, for the UI and journal


class LazyComponent(ScoreComponent):
    """A component whose detail text is formatted when read, not when scored: the engine scores a
    watching market after every frame, and the text is only read when shown or journaled.
    Pickled and deep-copied as the plain `ScoreComponent` it reads as."""

    __slots__ = ("_fmt", "_args")
    _fmt: Callable[..., str]
    _args: tuple

    def __init__(self, name: str, value: float, weight: float, known: bool, fmt: Callable[..., str], *args) -> None:
        put = object.__setattr__  # frozen: set once, here
        put(self, "name", name)
        put(self, "value", value)
        put(self, "weight", weight)
        put(self, "known", known)
        put(self, "_fmt", fmt)
        put(self, "_args", args)

    @property
    def detail(self) -> str:
        return self._fmt(*self._args)

    def __eq__(self, other: object) -> bool:  # equal to the plain one it reads as
        if not isinstance(other, ScoreComponent):
            return NotImplemented
        return (self.name, self.value, self.weight, self.known, self.detail) == (
            (other.name, other.value, other.weight, other.known, other.detail)
        )

    __hash__ = ScoreComponent.__hash__

    def __reduce__(self):
        return (ScoreComponent, (self.name, self.value, self.weight, self.known, self.detail))


def _speed_text(ev_s: float, ev_ratio: float, usd_s: float, usd_ratio: float) -> str:
    return f"{ev_s:.2f} ev/s ({ev_ratio:.0f}× base), ${usd_s:,.0f}/s ({usd_ratio:.0f}× base)"


def _size_text(usd: float) -> str:
    return f"${usd:,.0f} in window"


def _proximity_text(usd: float, range_pct: float) -> str:
    return f"${usd:,.0f} within {range_pct:g} %"


def _funding_text(rate: float) -> str:
    return f"{rate * 100:+.4f} %/8h for the liquidated side"


def _oi_text(pct: float) -> str:
    return f"OI {pct:+.2f} %"


@dataclass(frozen=True, slots=True)
class CascadeScore:
    total: float  # 0..10
    components: tuple[ScoreComponent, ...]

    def component(self, name: str) -> ScoreComponent:
        for c in self.components:
            if c.name == name:
                return c
        raise KeyError(name)

    def as_dict(self) -> dict:
        return {"total": round(self.total, 3), **{c.name: round(c.value, 4) for c in self.components}}


@dataclass(frozen=True, slots=True)
class ScoreInputs:
    events_per_s: float
    usd_per_s: float
    baseline_events_per_s: float
    baseline_usd_per_s: float
    window_usd: float
    fuel_ahead_usd: float | None  # estimated liquidations ahead in the cascade direction
    funding_signed: float | None  # funding per 8 h, positive when the liquidated side was crowded
    oi_change_pct: float | None  # OI change over the lookback before/through the cascade


def _clamp(x: float) -> float:
    if x != x:  # NaN
        return 0.0
    return 0.0 if x < 0 else 1.0 if x > 1 else x


def _ratio_score(ratio: float, full: float) -> float:
    """0 at or below the baseline, 1 at `full` × baseline, log-scaled in between."""
    if ratio <= 1.0:
        return 0.0
    return _clamp(math.log(ratio) / math.log(full))


def cascade_score(inp: ScoreInputs, cfg: ScoreConfig) -> CascadeScore:
    ev_ratio = inp.events_per_s / max(inp.baseline_events_per_s, 1e-12)
    usd_ratio = inp.usd_per_s / max(inp.baseline_usd_per_s, 1e-12)
    speed = 0.5 * _ratio_score(ev_ratio, cfg.speed_full_ratio) + 0.5 * _ratio_score(usd_ratio, cfg.speed_full_ratio)
    speed_c = LazyComponent(
        "speed", speed, cfg.w_speed, True, _speed_text, inp.events_per_s, ev_ratio, inp.usd_per_s, usd_ratio
    )

    if inp.window_usd <= cfg.size_floor_usd:
        size = 0.0
    else:
        size = _clamp(math.log(inp.window_usd / cfg.size_floor_usd) / math.log(cfg.size_full_usd / cfg.size_floor_usd))
    size_c = LazyComponent("size", size, cfg.w_size, True, _size_text, inp.window_usd)

    if inp.fuel_ahead_usd is None:
        prox_c = ScoreComponent("proximity", NEUTRAL, cfg.w_proximity, False, "no heatmap estimate")
    else:
        prox = _clamp(math.log1p(inp.fuel_ahead_usd) / math.log1p(cfg.proximity_full_usd))
        prox_c = LazyComponent(
            "proximity", prox, cfg.w_proximity, True, _proximity_text, inp.fuel_ahead_usd, cfg.proximity_range_pct
        )

    if inp.funding_signed is None:
        fund_c = ScoreComponent("funding", NEUTRAL, cfg.w_funding, False, "funding unknown")
    else:
        # 0.5 at zero funding, 1 when the liquidated side paid `funding_full_rate`, 0 when it was paid that much
        fund = _clamp(0.5 + 0.5 * inp.funding_signed / cfg.funding_full_rate)
        fund_c = LazyComponent("funding", fund, cfg.w_funding, True, _funding_text, inp.funding_signed)

    if inp.oi_change_pct is None:
        oi_c = ScoreComponent("oi", NEUTRAL, cfg.w_oi, False, "open-interest history too short")
    else:
        # OI built up before the cascade = fuel; OI already flushed = less left to burn
        oi = _clamp(0.5 + 0.5 * inp.oi_change_pct / cfg.oi_full_pct)
        oi_c = LazyComponent("oi", oi, cfg.w_oi, True, _oi_text, inp.oi_change_pct)

    comps = (speed_c, size_c, prox_c, fund_c, oi_c)
    wsum = sum(c.weight for c in comps)
    total = 10.0 * sum(c.value * c.weight for c in comps) / wsum if wsum > 0 else 0.0
    return CascadeScore(total=round(total, 6), components=comps)
