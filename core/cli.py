"""The `liqhunt` command's core subcommands. Each lives in its own module under core/commands/,
exposing `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`.

The console script is `tui.cli:main`, the composition root: it adds the commands that open
the console (demo, replay, run) without core ever importing the screen."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from core import __version__

# module names under core.commands; each adds one subcommand
COMMANDS = [
    "config_cmd",
    "journal_cmd",
    "normalize_cmd",
    "export_cmd",
    "backtest_cmd",
    "study_cmd",
    "sweep_cmd",
    "record_cmd",
    "sim_cmd",
    "doctor_cmd",
]


def build_parser(extra: Sequence[str] = ()) -> argparse.ArgumentParser:
    """`extra`: fully qualified module names of further subcommands (the console's)."""
    parser = argparse.ArgumentParser(
        prog="liqhunt", description="Hunt liquidation cascades on crypto perpetual futures."
    )
    parser.add_argument("--version", action="version", version=f"liqhunt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for modname in [*extra, *(f"core.commands.{m}" for m in COMMANDS)]:
        mod = importlib.import_module(modname)
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None, extra: Sequence[str] = ()) -> int:
    parser = build_parser(extra)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a bad option (one line from argparse) or --help: a return code, as every error
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
