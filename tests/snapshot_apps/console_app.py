"""A deterministic console for snapshots and pilot tests.

A seeded simulator runs 20 markets for a few simulated minutes; BTC and ETH are scripted
instead (a calm baseline, then a cascade of long liquidations) so that the panes always show a
position (BTC, entered in full-auto) and a watch or a pending signal (ETH, in semi-auto).
No source runs afterwards: the SimClock stands still, so every frame is the same.
"""

from __future__ import annotations

import heapq

from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.engine_commands import Arm
from core.events import Liquidation, MarkPrice, OpenInterest
from core.heatmap.model import HeatmapEstimator
from core.sim.market_sim import Simulator

SEED = 7
BTC, ETH = "BTC-USDT-PERP", "ETH-USDT-PERP"
SCRIPTED = {BTC: 61_234.0, ETH: 3_012.4}
BTC_CASCADE_AT = 150.0  # seconds after the simulator's start
ETH_CASCADE_AT = 228.0
STAGES = {"watching": 231.0, "signal": 235.5, "expired": 265.0}  # where the fixture stops


def _liq(market: str, ts: float, usd: float, side: str, price: float, venue: str = "binance") -> Liquidation:
    return Liquidation(venue, market, market.split("-")[0] + "USDT", side, price, usd / price, usd, ts, ts + 0.12)  # type: ignore[arg-type]


def _mark(market: str, ts: float, price: float, funding: float = 0.0006) -> MarkPrice:
    return MarkPrice("binance", market, market.split("-")[0] + "USDT", price, funding, ts + 3600, ts, ts + 0.05)


def _oi(market: str, ts: float, usd: float) -> OpenInterest:
    return OpenInterest("binance", market, market.split("-")[0] + "USDT", usd, ts, ts + 0.05)


OI_START = {BTC: 2_000_000_000.0, ETH: 900_000_000.0}


def scripted(market: str, start: float, end: float, cascade_at: float) -> list:
    """Calm baseline (marks, a trickle of small liquidations), then ~20 s of long liquidations, price falling."""
    p0 = SCRIPTED[market]
    evs = []
    t = start
    while t < min(end, cascade_at):
        evs.append(_mark(market, t, p0))
        if int(t - start) % 10 == 0:  # open interest building up before the cascade: the heatmap's input
            evs.append(_oi(market, t + 0.2, OI_START[market] * (1 + 0.0004 * (t - start) / 10)))
        if int(t - start) % 24 == 0:
            evs.append(_liq(market, t + 0.3, 4_000.0, "short" if int(t) % 48 else "long", p0, "bybit"))
        t += 2.0
    k = 0
    venues = ("binance", "bybit", "okx", "binance", "bitmex")
    while cascade_at + k * 0.5 < min(end, cascade_at + 20):
        ts = cascade_at + k * 0.5
        px = p0 * (1 - 0.0004 * k * 0.5)
        usd = 900_000.0 if k == 0 else 250_000.0 + (k % 5) * 180_000.0
        evs.append(_liq(market, ts, usd, "long", px, venues[k % len(venues)]))
        evs.append(_mark(market, ts + 0.01, px))
        k += 1
    t = cascade_at + 20
    px = p0 * (1 - 0.0004 * 20)
    while t < end:
        evs.append(_mark(market, t, px))
        t += 2.0
    return evs


def prepared_engine(stage: str = "watching", config: Config | None = None) -> tuple[Engine, SimClock]:
    sim = Simulator("normal", seed=SEED, markets=20)
    start = sim.start_ts
    end = start + STAGES[stage]
    clock = SimClock(start)
    cfg = config or Config()
    fuel = HeatmapEstimator(cfg.heatmap, clock, sim.instruments())
    engine = Engine(cfg, clock, fuel_map=fuel, instruments=sim.instruments(), mode="auto")
    sim_events = [e for e in sim.advance_to(end) if e.market not in SCRIPTED]
    streams = [
        sim_events,
        scripted(BTC, start, end, start + BTC_CASCADE_AT),
        scripted(ETH, start, end, start + ETH_CASCADE_AT),
    ]
    armed_semi = False
    for ev in heapq.merge(*(sorted(s, key=lambda e: e.ts_recv) for s in streams), key=lambda e: e.ts_recv):
        if not armed_semi and ev.ts_recv >= start + 200:
            clock.set(start + 200)
            engine.submit(Arm("semi"))  # BTC was entered in full-auto; ETH will ask
            armed_semi = True
        clock.set(ev.ts_recv)
        engine.process(ev)
    clock.set(end)
    engine.tick()
    return engine, clock


class FrozenSimSource:
    """Stands in for SimSource after the fixture ran: same label, feeds nothing, time stands still."""

    finished = False
    paused = False
    speed = 1.0

    def __init__(self, label: str = f"SIM normal·seed {SEED}") -> None:
        self.label = label

    async def run(self, engine) -> None:
        return None


def build_app(stage: str = "watching", theme: str = "liq-dark"):
    from core.heat_levels import EstimatedLevels
    from tui.app import make_app

    engine, clock = prepared_engine(stage)
    app = make_app(engine, FrozenSimSource(), clock, engine.cfg, theme=theme, levels=EstimatedLevels(engine.fuel_map))
    app.animation_level = "none"
    return app


if __name__ == "__main__":
    from core.snapshot import SnapshotBuilder

    eng, clk = prepared_engine("signal")
    print(eng.mode, list(eng.positions), list(eng.signals), eng.liquidations_seen, eng.trades)
    for v in SnapshotBuilder(eng).build(rows=(0, 6)).markets[:6]:
        print(v.market, v.state, v.score and round(v.score.total, 2), v.seconds_left, v.blocker)
