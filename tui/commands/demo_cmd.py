"""`liqhunt demo`: the console on the built-in simulator with the paper broker."""

from __future__ import annotations

import argparse

from core.commands.numbers import SPEED, WARMUP
from tui.commands._console import add_console_arguments, build_session, fail, load, open_console

NAME = "demo"
HELP = "open the console on the market simulator (paper trading)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", default="volatile", help="simulator scenario: calm, normal, volatile (default), crash")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--markets", type=int, default=20, help="number of simulated markets (default 20)")
    p.add_argument("--speed", type=SPEED, default=1.0, help="simulated seconds per real second, 0.01–1000 (default 1)")
    p.add_argument(
        "--warmup",
        type=WARMUP,
        default=20.0,
        help="simulated seconds run before the screen opens, 0–21600 (default 20)",
    )
    add_console_arguments(p)
    # the demo shows both playbooks by default so a first look sees the machinery; run/backtest follow the config
    p.set_defaults(playbook="both")


def run(args: argparse.Namespace) -> int:
    from core.clock import SimClock
    from core.sim.market_sim import Simulator
    from core.sim.scenario import SCENARIOS
    from core.sources import SimSource
    from core.validation import EventValidator, limits_from_config

    cfg = load(NAME, args)
    if isinstance(cfg, int):
        return cfg
    if args.scenario not in SCENARIOS:
        return fail(NAME, f"--scenario: unknown scenario {args.scenario!r}; valid: {', '.join(SCENARIOS)}")
    if not args.speed > 0:
        return fail(NAME, f"--speed: must be positive, got {args.speed}")
    try:
        sim = Simulator(args.scenario, seed=args.seed, markets=args.markets)
    except ValueError as exc:
        return fail(NAME, str(exc))
    clock = SimClock(sim.start_ts)
    source = SimSource(sim, clock, speed=args.speed, warmup_s=max(0.0, args.warmup))
    source.validator = EventValidator(limits_from_config(cfg))
    from core.journal.recovery import sim_source_id

    session = build_session(
        cfg,
        clock,
        sim.instruments(),
        args.mode,
        args,
        source_label="sim",
        venues=["sim"],
        source_id=sim_source_id(args.scenario, args.seed, args.markets, sim.start_ts),
    )
    if isinstance(session, int):
        return session
    source.warm_up(session.engine)
    return open_console(NAME, args, session.engine, source, clock, cfg, session)
