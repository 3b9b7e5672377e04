"""The estimator plugged into the engine: the score's proximity and the support filter use it."""

from __future__ import annotations

from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.events import OpenInterest, Trade
from core.heatmap import HeatmapConfig, HeatmapEstimator
from core.heatmap.ablation import heatmap_factory

T0 = 1_767_225_600.0
M = "BTC-USDT-PERP"


def test_engine_feeds_the_estimator_and_scores_proximity_from_it():
    clock = SimClock(T0)
    est = HeatmapEstimator(HeatmapConfig(leverages=[50], leverage_weights=[1.0], seed_spread_pct=0.0), clock)
    eng = Engine(Config(), clock, fuel_map=est)
    for ts, ev in (
        (T0, Trade("sim", M, "BTCUSDT", 60_000.0, 1.0, "buy", T0, T0)),
        (T0, OpenInterest("sim", M, "BTCUSDT", 60e9, T0, T0, 1e6)),
        (T0 + 8, OpenInterest("sim", M, "BTCUSDT", 60.6e9, T0 + 8, T0 + 8, 1.01e6)),  # +$600M
    ):
        clock.set(ts)
        eng.process(ev)
    prox = eng.score_for(M, "long").component("proximity")
    assert prox.known and "within 2 %" in prox.detail  # 50× longs sit 1.55 % below
    assert est.support_within(M, "long", 60_000.0, 3.0, 1e6).blocks


def test_factory_builds_an_estimator_for_the_backtest():
    est = heatmap_factory()(Config(), SimClock(T0))
    assert isinstance(est, HeatmapEstimator) and est.fuel_ahead(M, "long", 1.0, 2.0) is None
