"""What every playbook reads from one market: its cascade score, and the volatility horizon.

Pure functions of a market's state, the config and the liquidation-map estimate; each playbook
gathers the rest of its own setup in its module (`ride_setup` in core/signals.py, `fade_setup`
in core/fade.py), so the engine only decides *when* to look.
"""

from __future__ import annotations

from core.cascade_score import CascadeScore, ScoreInputs, cascade_score
from core.config import Config
from core.events import Side
from core.fuel_map import FuelMap
from core.market_state import MarketState

VOL_HORIZON_S = 600.0  # stops are sized against volatility over the max hold (10 minutes)


def market_score(st: MarketState, side: Side, now: float, cfg: Config, fuel_map: FuelMap) -> CascadeScore:
    s = st.side(side)
    s.window.expire(now)
    w = cfg.window
    price = st.price or st.mark
    fuel = fuel_map.fuel_ahead(st.market, side, price, cfg.score.proximity_range_pct) if price else None
    return cascade_score(
        ScoreInputs(
            events_per_s=s.window.events_per_s(now),
            usd_per_s=s.window.usd_per_s(now),
            baseline_events_per_s=max(s.baseline_events.rate(now), w.baseline_floor_events_per_s),
            baseline_usd_per_s=max(s.baseline_usd.rate(now), w.baseline_floor_usd_per_s),
            window_usd=s.window.total,
            fuel_ahead_usd=fuel,
            funding_signed=st.funding_for(side),
            oi_change_pct=st.oi_change_pct(s.window.burst_start or now, cfg.score.oi_lookback_s),
        ),
        cfg.score,
    )
