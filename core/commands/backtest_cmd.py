"""`liqhunt backtest FILE [--config FILE] [--json] [--playbook P] [--split 0.7] [--journal PATH]`."""

from __future__ import annotations

import argparse
import sys

import orjson

from core.backtest import backtest_report, format_report, run_backtest, split_backtest
from core.commands._inputs import add_input_arguments, load_inputs, print_bad_lines
from core.playbook_names import PLAYBOOK_CHOICES
from core.progress import Progress

NAME = "backtest"
HELP = "replay a recording through the engine and paper broker in full-auto; report per playbook and score tier"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument("--config", metavar="FILE", help="config TOML (defaults otherwise)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--playbook", choices=PLAYBOOK_CHOICES, help="override the config's playbook for every market")
    p.add_argument(
        "--split",
        type=float,
        metavar="F",
        help="report the first F of the time span (in-sample) and the rest separately",
    )
    p.add_argument("--journal", metavar="PATH", help="also write every signal, order and trade to this journal")
    p.add_argument(
        "--proximity-ablation",
        action="store_true",
        help="run twice, with the heatmap's proximity component on and off, and show both tier tables",
    )


def _attach_journal(path: str | None):
    if not path:
        return None, None
    from core.journal import open_for_backtest  # the journal package

    return open_for_backtest(path)


def run(args: argparse.Namespace) -> int:
    loaded = load_inputs(NAME, args)
    if isinstance(loaded, int):
        return loaded
    cfg, rec = loaded
    if args.split is not None and not 0 < args.split < 1:
        print("backtest: --split must be between 0 and 1, e.g. 0.7", file=sys.stderr)
        return 2
    if args.proximity_ablation:
        from core.heatmap.ablation import format_ablation, proximity_ablation

        on, off = proximity_ablation(rec, cfg, cfg.heatmap)
        if args.json:
            obj = {"proximity_on": backtest_report(on), "proximity_off": backtest_report(off)}
            sys.stdout.write(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode() + "\n")
        else:
            print(format_ablation(on, off))
        return 0
    from core.journal.schema import JournalError

    on_engine, close = _attach_journal(args.journal)
    lost: list[str] = []
    try:
        with Progress(NAME) as progress:
            rec.progress = progress
            results = _run(rec, cfg, args.split, on_engine)
        reports = [backtest_report(r) for r in results]
    except JournalError as exc:
        print(f"liqhunt backtest: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if close:
            lost = close()
    if args.json:
        obj = reports[0] if len(reports) == 1 else {"in_sample": reports[0], "out_of_sample": reports[1]}
        sys.stdout.write(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode() + "\n")
    else:
        print("\n\n".join(format_report(r) for r in reports))
    print_bad_lines(NAME, max((r.stats for r in results), key=lambda st: st.lines))  # the pass that read the most
    for line in lost:  # the report stands, but the journal is missing rows: never exit 0 on that
        print(f"liqhunt backtest: error: {line}", file=sys.stderr)
    return 1 if lost else 0


def _run(rec, cfg, split, on_engine):
    if split is not None:
        return list(split_backtest(rec, cfg, split))
    return [run_backtest(rec, cfg, on_engine=on_engine)]
