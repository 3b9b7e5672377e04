"""`liqhunt backtest FILE [--config FILE] [--json]`: replay through the engine in full-auto."""
from __future__ import annotations

import argparse
import sys

import orjson

from core.backtest import backtest_report, format_report, run_backtest
from core.config import ConfigError, load_config

NAME = "backtest"
HELP = "replay a recording through the engine and paper broker; report per score tier"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="recording (.jsonl or .jsonl.gz)")
    p.add_argument("--config", metavar="FILE", help="config TOML (defaults otherwise)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    try:
        res = run_backtest(args.file, cfg)
    except OSError as exc:
        print(f"backtest: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    rep = backtest_report(res)
    if args.json:
        sys.stdout.write(orjson.dumps(rep, option=orjson.OPT_SORT_KEYS).decode() + "\n")
    else:
        print(format_report(rep))
    for lineno, reason in res.stats.bad[:20]:
        print(f"line {lineno}: {reason}", file=sys.stderr)
    return 0
