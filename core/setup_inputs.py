"""What the cascade score and each playbook's filters read from one market, gathered in one place.

Pure functions of a market's state, the config and the liquidation-map estimate, so the engine
only decides *when* to look and the inputs stay testable on their own.
"""
from __future__ import annotations

from core.cascade_score import CascadeScore, ScoreInputs, cascade_score
from core.config import Config
from core.events import Side
from core.fade import FadeView
from core.fuel_map import FuelMap, SupportCheck
from core.market_state import MarketState
from core.signals import SetupView

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


def ride_setup(st: MarketState, side: Side, now: float, cfg: Config, fuel_map: FuelMap) -> SetupView:
    s = st.side(side)
    score = market_score(st, side, now, cfg, fuel_map)
    price = st.price or st.mark
    sc = cfg.signal
    # "large" is relative to the cascade: a cluster the size of what already burned won't stop it
    min_support = max(sc.support_min_usd, sc.support_window_mult * s.window.total)
    support = fuel_map.support_within(st.market, side, price, sc.support_max_pct, min_support) if price else SupportCheck(False)
    return SetupView(s.window.total, s.window.count, score, st.funding_for(side), support, price)


def fade_setup(st: MarketState, side: Side, now: float, cfg: Config, fuel_map: FuelMap) -> FadeView:
    s = st.side(side)
    s.short.expire(now)
    return FadeView(s.short.total, s.window.total, s.window.count, st.price or st.mark,
                    market_score(st, side, now, cfg, fuel_map))
