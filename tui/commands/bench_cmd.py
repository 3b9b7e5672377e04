"""`liqhunt bench [--quick] [--json] [--only NAMES] [--markdown FILE]`: the benchmarks in tui/bench/.

Figures, not pass/fail: ingest throughput against the naive handler, decision latency with the
console running, memory, terminal bandwidth and start-up. A console-side command because its
benchmarks load the screen (core never imports tui); the package is imported lazily.
"""

from __future__ import annotations

import argparse
import importlib

NAME = "bench"
HELP = "run the benchmarks (ingest vs naive, latency, memory, terminal, start-up) and print the figures"


def add_arguments(p: argparse.ArgumentParser) -> None:
    importlib.import_module("tui.bench.suite").add_arguments(p)


def run(args: argparse.Namespace) -> int:
    return importlib.import_module("tui.bench.suite").run(args)
