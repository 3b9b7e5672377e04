"""`liqhunt sweep FILE --grid score_min=6,7,8 stop_pct=0.8,1.2 …`: a small grid, in- and out-of-sample.

The best cell of any grid is an optimistic estimate — it was chosen because it did well on
this data — so every cell is shown with its out-of-sample figures beside the in-sample ones.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import tomllib

from core.backtest import backtest_report, split_backtest
from core.commands._inputs import load_inputs
from core.config import Config, ConfigError, config_from_dict, dump_config

NAME = "sweep"
HELP = "run a small parameter grid, each cell in- and out-of-sample"

# short names for the knobs people sweep; any `section.key` works too
ALIASES: dict[str, tuple[str, ...]] = {
    "score_min": ("signal.score_min",),
    "window_min_usd": ("signal.window_min_usd",),
    "watch_min_usd": ("signal.watch_min_usd",),
    "stop_pct": ("exits.stop_min_pct", "exits.stop_max_pct"),
    "take_profit_pct": ("exits.take_profit_pct",),
    "max_hold_s": ("exits.max_hold_s",),
    "exhaustion_drop_pct": ("exits.exhaustion_drop_pct",),
    "fade_drop_pct": ("fade.exhaustion_drop_pct",),
    "fade_target_pct": ("fade.target_retrace_pct",),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file")
    p.add_argument("--grid", nargs="+", required=True, metavar="NAME=V1,V2", help="e.g. score_min=6,7,8 stop_pct=0.8,1.2")
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--playbook", choices=("ride", "fade", "both"))
    p.add_argument("--split", type=float, default=0.7, help="in-sample share of the time span (default 0.7)")


def parse_grid(items: list[str]) -> list[tuple[str, list[float]]]:
    grid = []
    for item in items:
        name, sep, values = item.partition("=")
        if not sep or not values:
            raise ValueError(f"grid item {item!r} must look like name=v1,v2")
        if name not in ALIASES and "." not in name:
            raise ValueError(f"unknown grid name {name!r}; use one of {', '.join(ALIASES)} or section.key")
        try:
            vals = [float(v) for v in values.split(",")]
        except ValueError:
            raise ValueError(f"grid item {item!r}: values must be numbers") from None
        grid.append((name, vals))
    return grid


def cell_config(base: Config, cell: dict[str, float]) -> Config:
    data = tomllib.loads(dump_config(base))
    for name, value in cell.items():
        for key in ALIASES.get(name, (name,)):
            section, _, field = key.partition(".")
            cur = data.get(section, {}).get(field)
            data.setdefault(section, {})[field] = int(value) if isinstance(cur, int) and not isinstance(cur, bool) and value.is_integer() else value
    return config_from_dict(data)


def run(args: argparse.Namespace) -> int:
    loaded = load_inputs(NAME, args.file, args.config, args.playbook)
    if isinstance(loaded, int):
        return loaded
    base, rec = loaded
    try:
        grid = parse_grid(args.grid)
        cells = [dict(zip([g[0] for g in grid], combo, strict=True)) for combo in itertools.product(*[g[1] for g in grid])]
        configs = [cell_config(base, c) for c in cells]
    except (ConfigError, ValueError) as exc:
        print(f"sweep: {exc}", file=sys.stderr)
        return 2
    if not 0 < args.split < 1:
        print("sweep: --split must be between 0 and 1", file=sys.stderr)
        return 2
    names = [g[0] for g in grid]
    head = "".join(f"{n:>14}" for n in names)
    print(f"{head}  | {'IS n':>5} {'win':>5} {'bps':>7} {'P&L':>10}  | {'OOS n':>5} {'win':>5} {'bps':>7} {'P&L':>10}")
    best = None
    for cell, cfg in zip(cells, configs, strict=True):
        ins, oos = (backtest_report(r) for r in split_backtest(rec, cfg, args.split))
        vals = "".join(f"{cell[n]:>14g}" for n in names)
        print(f"{vals}  | {ins['trades']:>5} {ins['win_rate']:>5.0%} {ins['mean_bps']:>+7.1f} {ins['pnl']:>+10.2f}"
              f"  | {oos['trades']:>5} {oos['win_rate']:>5.0%} {oos['mean_bps']:>+7.1f} {oos['pnl']:>+10.2f}")
        if best is None or ins["pnl"] > best[1]["pnl"]:
            best = (cell, ins, oos)
    if best:
        cell, ins, oos = best
        print(f"\nbest in-sample cell: {', '.join(f'{k}={v:g}' for k, v in cell.items())} "
              f"(IS P&L {ins['pnl']:+.2f}, OOS P&L {oos['pnl']:+.2f}, OOS n = {oos['trades']})")
    print(f"warning: the best cell of a {len(cells)}-cell grid is an optimistic estimate — it was picked because it did well "
          "on this data. Judge it by its out-of-sample column, and expect less.")
    return 0
