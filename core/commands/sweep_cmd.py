"""`liqhunt sweep FILE --grid score_min=6,7,8 stop_pct=0.8,1.2 …`: a small grid, in- and out-of-sample.

The best cell of any grid is an optimistic estimate — it was chosen because it did well on
this data — so every cell is shown with its out-of-sample figures beside the in-sample ones,
each mean with its 95 % interval, and the out-of-sample p-values are Holm-adjusted for the
number of cells tried: with twenty cells, one "significant" cell at 5 % is what chance gives.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tomllib
from typing import Any

import orjson

from core.backtest import BacktestResult, backtest_report
from core.commands._inputs import add_input_arguments, load_inputs, print_bad_lines
from core.config import Config, ConfigError, dump_config
from core.config_load import config_from_dict
from core.playbook_names import PLAYBOOK_CHOICES
from core.progress import Progress
from core.sweep_exec import RayMissing, run_cells
from core.trade_stats import (
    CLUSTER_RULE,
    cluster_ids,
    fmt_ci,
    holm_adjust,
    mean_p_value,
)

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
    add_input_arguments(p)
    p.add_argument(
        "--grid", nargs="+", required=True, metavar="NAME=V1,V2", help="e.g. score_min=6,7,8 stop_pct=0.8,1.2"
    )
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--playbook", choices=PLAYBOOK_CHOICES)
    p.add_argument("--split", type=float, default=0.7, help="in-sample share of the time span (default 0.7)")
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="run cells on N local worker processes (same output as serial)",
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run each cell as a Ray task: on the cluster at ADDRESS, or a local one (needs liqhunt[ray])",
    )
    p.add_argument(
        "--json", action="store_true", help="print every cell's in- and out-of-sample reports as one JSON object"
    )


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
            data.setdefault(section, {})[field] = (
                int(value) if isinstance(cur, int) and not isinstance(cur, bool) and value.is_integer() else value
            )
    return config_from_dict(data)


def run(args: argparse.Namespace) -> int:
    loaded = load_inputs(NAME, args)
    if isinstance(loaded, int):
        return loaded
    base, rec = loaded
    try:
        grid = parse_grid(args.grid)
        cells = [
            dict(zip([g[0] for g in grid], combo, strict=True)) for combo in itertools.product(*[g[1] for g in grid])
        ]
        configs = [cell_config(base, c) for c in cells]
    except (ConfigError, ValueError) as exc:
        print(f"sweep: {exc}", file=sys.stderr)
        return 2
    if not 0 < args.split < 1:
        print("sweep: --split must be between 0 and 1", file=sys.stderr)
        return 2
    if not 1 <= args.jobs <= 256:
        print(f"sweep: -j must be between 1 and 256, got {args.jobs}", file=sys.stderr)
        return 2
    try:
        with Progress(NAME, total=len(configs), unit="cells") as progress:
            results = run_cells(
                rec, configs, args.split, jobs=args.jobs, ray_address=args.ray, on_done=lambda i: progress.step()
            )
    except RayMissing as exc:
        print(f"sweep: {exc}", file=sys.stderr)
        return 2
    stats = results[0][1].stats if results else None  # every cell reads the same lines
    rows = [
        (cell, backtest_report(ins_res), backtest_report(oos_res), _p_value(oos_res))
        for cell, (ins_res, oos_res) in zip(cells, results, strict=True)
    ]
    adjusted = holm_adjust([r[3] for r in rows])
    names = [g[0] for g in grid]
    if args.json:
        obj = {
            "grid": names,
            "split": args.split,
            "cells": [
                {"cell": cell, "in_sample": ins, "out_of_sample": oos, "p": p, "p_holm": p_holm}
                for (cell, ins, oos, p), p_holm in zip(rows, adjusted, strict=True)
            ],
            "bad_lines": stats.bad_count if stats else 0,
            "caveats": stats.caveats if stats else [],
        }
        sys.stdout.write(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode() + "\n")
        if stats is not None:
            print_bad_lines(NAME, stats)
        return 0
    head = "".join(f"{n:>14}" for n in names)
    print(
        f"{head}  | {'IS n':>5} {'win':>5} {'bps':>7} {'95 % CI':>17} {'P&L':>10}  "
        f"| {'OOS n':>5} {'clus':>4} {'win':>5} {'bps':>7} {'95 % CI':>17} {'P&L':>10} {'p':>6} {'p Holm':>7}"
    )
    best = None
    for (cell, ins, oos, p), p_holm in zip(rows, adjusted, strict=True):
        vals = "".join(f"{cell[n]:>14g}" for n in names)
        print(
            f"{vals}  | {ins['trades']:>5} {_win(ins):>5} {ins['mean_bps']:>+7.1f} {_ci(ins):>17} {ins['pnl']:>+10.2f}"
            f"  | {oos['trades']:>5} {oos['clusters']:>4} {_win(oos):>5} {oos['mean_bps']:>+7.1f} {_ci(oos):>17} "
            f"{oos['pnl']:>+10.2f} {_p(p):>6} {_p(p_holm):>7}"
        )
        if best is None or ins["pnl"] > best[1]["pnl"]:
            best = (cell, ins, oos)
    if best:
        cell, ins, oos = best
        print(
            f"\nbest in-sample cell: {', '.join(f'{k}={v:g}' for k, v in cell.items())} "
            f"(IS P&L {ins['pnl']:+.2f}, OOS P&L {oos['pnl']:+.2f}, OOS n = {oos['trades']})"
        )
    tested = sum(1 for p in adjusted if p is not None)
    passing = sum(1 for p in adjusted if p is not None and p < 0.05)
    print(
        f"multiple testing: {len(cells)} cells tried, {tested} with an out-of-sample p-value; {passing} "
        f"{'has' if passing == 1 else 'have'} a Holm-adjusted p < 0.05 (mean net return ≠ 0). "
        f"p is two-sided, from the cluster-robust t ({CLUSTER_RULE})."
    )
    print(
        f"warning: the best cell of a {len(cells)}-cell grid is an optimistic estimate — it was picked because it did well "
        "on this data. Judge it by its out-of-sample column, and expect less."
    )
    if stats is not None:
        for caveat in stats.caveats:
            print(f"caveat: {caveat}")
        print_bad_lines(NAME, stats)
    return 0


def _p_value(res: BacktestResult) -> float | None:
    trades = res.trades
    return mean_p_value([t["return_bps"] for t in trades], cluster_ids([t["entry_ts"] for t in trades]))


def _win(rep: dict[str, Any]) -> str:
    return f"{rep['win_rate']:.0%}" if rep["trades"] else "—"


def _ci(rep: dict[str, Any]) -> str:
    return fmt_ci(None if rep["mean_bps_ci95"] is None else tuple(rep["mean_bps_ci95"]), "+.1f", " to ")


def _p(p: float | None) -> str:
    return "—" if p is None else f"{p:.3f}"
