"""`liqhunt backtest FILE [--config FILE] [--json] [--playbook P] [--split 0.7] [--journal PATH]`."""
from __future__ import annotations

import argparse
import sys

import orjson

from core.backtest import backtest_report, format_report, run_backtest, split_backtest
from core.commands._inputs import load_inputs

NAME = "backtest"
HELP = "replay a recording through the engine and paper broker in full-auto; report per playbook and score tier"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="recording (.jsonl or .jsonl.gz)")
    p.add_argument("--config", metavar="FILE", help="config TOML (defaults otherwise)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--playbook", choices=("ride", "fade", "both"), help="override the config's playbook for every market")
    p.add_argument("--split", type=float, metavar="F", help="report the first F of the time span (in-sample) and the rest separately")
    p.add_argument("--journal", metavar="PATH", help="also write every signal, order and trade to this journal")
    p.add_argument("--proximity-ablation", action="store_true",
                   help="run twice, with the heatmap's proximity component on and off, and show both tier tables")


def _attach_journal(path: str | None):
    if not path:
        return None, None
    from core.journal import open_for_backtest  # the journal package

    return open_for_backtest(path)


def run(args: argparse.Namespace) -> int:
    loaded = load_inputs(NAME, args.file, args.config, args.playbook)
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
        if args.split is not None:
            reports = [backtest_report(r) for r in split_backtest(rec, cfg, args.split)]
        else:
            reports = [backtest_report(run_backtest(rec, cfg, on_engine=on_engine))]
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
    for lineno, reason in rec.stats.bad[:20]:
        print(f"line {lineno}: {reason}", file=sys.stderr)
    for line in lost:  # the report stands, but the journal is missing rows: never exit 0 on that
        print(f"liqhunt backtest: error: {line}", file=sys.stderr)
    return 1 if lost else 0
