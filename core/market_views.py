"""The console's window meters, read from the engine: one row per active market."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.cascade_score import CascadeScore
from core.events import Side
from core.signals import IDLE, SIGNAL, TRACKING, WATCHING

if TYPE_CHECKING:
    from core.engine import Engine


@dataclass(frozen=True, slots=True)
class MarketView:
    """One row of the console's window meters."""

    market: str
    long_usd: float
    short_usd: float
    long_events: int
    short_events: int
    events_per_s: float
    score: CascadeScore
    dominant: Side
    state: str  # idle | watching | SIGNAL | in position
    seconds_left: float | None
    price: float | None
    funding: float | None
    playbook: str = ""  # which playbook is watching / signalling


def market_views(engine: "Engine", limit: int | None = None) -> list[MarketView]:
    """Active markets, signals and positions first, then by liquidated USD in the window."""
    now = engine.now
    rows = []
    for market, st in engine.markets.items():
        st.expire(now)
        lw, sw = st.long.window, st.short.window
        dets = engine.detectors[market]
        if lw.count == 0 and sw.count == 0 and market not in engine.positions and all(d.state == IDLE for d in dets):
            continue
        dominant: Side = "long" if lw.total >= sw.total else "short"
        det = next((d for d in dets if d.state == SIGNAL), None) or next((d for d in dets if d.state != IDLE), dets[0])
        left = None
        if market in engine.positions or market in engine.pending_entries:
            state = "in position"
        elif det.state == SIGNAL and det.signal is not None:
            state, left = "SIGNAL", det.signal.seconds_left(now)
        else:
            state = "watching" if det.state in (WATCHING, TRACKING) else det.state
        if det.state in (WATCHING, TRACKING, SIGNAL) and det.side:
            dominant = det.side
        rows.append(MarketView(
            market, lw.total, sw.total, lw.count, sw.count,
            lw.events_per_s(now) + sw.events_per_s(now), engine.score_for(market, dominant, now), dominant,
            state, left, st.price, st.funding_rate, det.playbook if det.state != IDLE else "",
        ))
    rows.sort(key=lambda r: (r.state not in ("SIGNAL", "in position"), -(r.long_usd + r.short_usd)))
    return rows[:limit] if limit else rows
