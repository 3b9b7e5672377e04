"""`liqhunt study FILE [--json] [--plot]`: forward returns after every detected cascade, by tier."""

from __future__ import annotations

import argparse
import sys

import orjson

from core.backtest import requested_playbooks
from core.commands._inputs import add_input_arguments, load_inputs, print_bad_lines
from core.playbook_names import ALL, PLAYBOOK_CHOICES, PLAYBOOK_NAMES
from core.progress import Progress
from core.study import HORIZONS, format_study, run_study, study_table
from core.trade_stats import CLUSTER_RULE

NAME = "study"
HELP = "event study: what price did after each cascade, per playbook and score tier"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--playbook", choices=PLAYBOOK_CHOICES, default=ALL, help="which episodes to study (default both)")
    p.add_argument("--json", action="store_true", help="one JSON object: episodes and the table")
    p.add_argument("--plot", action="store_true", help="draw mean forward return by horizon per tier in the terminal")


def run(args: argparse.Namespace) -> int:
    loaded = load_inputs(NAME, args)
    if isinstance(loaded, int):
        return loaded
    cfg, rec = loaded
    with Progress(NAME) as progress:
        rec.progress = progress
        episodes = run_study(rec, cfg)
    playbooks = requested_playbooks(cfg)
    rows = study_table(episodes, playbooks)
    print_bad_lines(NAME, rec.stats)
    if args.json:
        obj = {
            "file": rec.file,
            "bad_lines": rec.stats.bad_count,
            "horizons": [h for h, _ in HORIZONS],
            "table": rows,
            "cluster_rule": CLUSTER_RULE,
            "caveats": rec.stats.caveats,
            "episodes": [
                {
                    "playbook": e.playbook,
                    "market": e.market,
                    "ts": e.ts,
                    "tier": e.tier,
                    "score": round(e.score, 4),
                    "direction": e.direction,
                    "returns": e.returns,
                }
                for e in episodes
            ],
        }
        sys.stdout.write(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode() + "\n")
        return 0
    for caveat in rec.stats.caveats:
        print(f"caveat: {caveat}")
    print(format_study(rows, episodes, playbooks))
    if args.plot:
        _plot(rows)
    return 0


def _plot(rows: list[dict]) -> None:
    import plotext as plt

    names = [h for h, _ in HORIZONS]
    for pb in PLAYBOOK_NAMES:
        plt.clear_figure()
        plt.title(f"{pb}: mean forward return (bps, + = continued) by horizon")
        drawn = False
        for tier in ("<5", "5-7", "7-8", "8-9", "9-10"):
            pts = [
                (i, r["mean_bps"])
                for i, h in enumerate(names)
                for r in rows
                if r["playbook"] == pb and r["tier"] == tier and r["horizon"] == h and r["n"]
            ]
            if pts:
                plt.plot([p[0] for p in pts], [p[1] for p in pts], label=f"tier {tier}", marker="dot")
                drawn = True
        if not drawn:
            continue
        plt.xticks(list(range(len(names))), names)
        plt.plotsize(min(plt.terminal_width() or 80, 100), 20)
        plt.show()
