"""The `liqhunt` console script, the composition root of the command line: core's screenless
commands (core/commands/, also runnable alone as `python -m core.cli`, which never loads the
screen) plus the commands that open or run the console (tui/commands/). Every command module
exposes `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`."""

from __future__ import annotations

import argparse
import sys

from core.cli import build_parser as core_parser
from core.cli import main as core_main

# each opens (bench: runs) the Textual console; imported only when the command line is built,
# and each module imports textual lazily inside run() so `liqhunt sim` never loads it
CONSOLE_COMMANDS: list[str] = [
    "tui.commands.demo_cmd",
    "tui.commands.replay_cmd",
    "tui.commands.run_cmd",
    "tui.commands.bench_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    return core_parser(CONSOLE_COMMANDS)


def main(argv: list[str] | None = None) -> int:
    return core_main(argv, extra=CONSOLE_COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
