"""The demo shows a signal within a minute of opening, by scheduling when the cascade comes (the crash
day's sell programme), never by changing the market or the engine's thresholds."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from core.clock import SimClock
from core.config import Config, with_playbook
from core.engine_events import SignalRaised
from core.sim.market_sim import Simulator
from core.sim.scenario import SCENARIOS
from core.sources import SimSource
from tui.commands._console import build_session
from tui.commands.demo_cmd import add_arguments, demo_scenario


def _demo_args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_arguments(p)
    return p.parse_args(list(argv))


def test_only_the_programme_start_moves():
    args = _demo_args()
    assert args.scenario == "crash" and args.programme_in == 25.0
    calibrated = SCENARIOS["crash"]
    demo = demo_scenario("crash", args.warmup, args.programme_in)
    assert demo.shock_start_s == args.warmup + 25.0
    assert dataclasses.replace(demo, shock_start_s=calibrated.shock_start_s) == calibrated
    for name in ("calm", "normal", "volatile"):  # no programme: the calibrated market as it is
        assert demo_scenario(name, 20.0, 25.0) is SCENARIOS[name]


@pytest.mark.parametrize("seed", [7, 3])
async def test_demo_signals_within_a_minute_with_the_default_thresholds(seed):
    args = _demo_args("--seed", str(seed), "--mode", "semi")
    cfg = with_playbook(Config(), args.playbook)  # the defaults, as `liqhunt demo` loads them
    sim = Simulator(demo_scenario(args.scenario, args.warmup, args.programme_in), seed=seed, markets=args.markets)
    clock = SimClock(sim.start_ts)
    source = SimSource(sim, clock, warmup_s=args.warmup)
    session = build_session(
        cfg, clock, sim.instruments(), args.mode, argparse.Namespace(journal=None), "sim", ["sim"], source_id="t"
    )
    assert not isinstance(session, int)
    raised: list[float] = []
    session.engine.subscribe(lambda ev: raised.append(ev.ts) if isinstance(ev, SignalRaised) else None)
    source.warm_up(session.engine)
    opened = clock.now()
    while clock.now() < opened + 60.0 and not raised:
        target = clock.now() + 0.1
        await source._feed_until(session.engine, target)
        clock.set(target)
        session.engine.tick()
    session.journal.close("test")
    assert raised and raised[0] - opened <= 60.0
