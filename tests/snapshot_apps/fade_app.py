"""A console with a real fade signal waiting in SEMI-AUTO: the crash day's sell programme run
through the engine (both playbooks, default thresholds) until the first fade signal is raised."""

from __future__ import annotations

from core.clock import SimClock
from core.config import Config, with_playbook
from core.engine import Engine
from core.engine_events import SignalRaised
from core.heatmap.model import estimated_fuel_map
from core.sim.market_sim import Simulator

SEED = 7


def fade_engine() -> tuple[Engine, SimClock]:
    sim = Simulator("crash", seed=SEED, markets=6)
    clock = SimClock(sim.start_ts)
    cfg = with_playbook(Config(), "both")
    engine = Engine(
        cfg,
        clock,
        fuel_map=estimated_fuel_map(cfg, clock, sim.instruments()),
        instruments=sim.instruments(),
        mode="semi",
    )
    raised: list = []
    engine.subscribe(
        lambda ev: raised.append(ev) if isinstance(ev, SignalRaised) and ev.signal.playbook == "fade" else None
    )
    t = sim.start_ts
    while not raised:
        t += 0.25
        if t > sim.start_ts + 900:
            raise RuntimeError("no fade signal in the crash day's first 15 minutes")
        for ev in sim.advance_to(t):
            clock.set(ev.ts_recv)
            engine.process(ev)
            if raised:
                break
        else:
            clock.set(t)
            engine.tick()
    for sig in list(engine.signals.values()):  # only the fade signal waits: the panel shows it as 1/1
        if sig.playbook != "fade":
            engine.signals.pop(sig.id)
    return engine, clock


def build_fade_app(theme: str = "liq-dark"):
    from tests.snapshot_apps.console_app import FrozenSimSource
    from tui.app import make_app

    engine, clock = fade_engine()
    app = make_app(engine, FrozenSimSource(f"SIM crash·seed {SEED}"), clock, engine.cfg, theme=theme)
    app.animation_level = "none"
    return app
