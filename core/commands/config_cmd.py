"""`liqhunt config --defaults` prints every tunable with its default; `--check FILE` validates a file;
`--reference` prints docs/configuration.md."""

from __future__ import annotations

import argparse
import sys

from core.config import ConfigError, dump_config
from core.config_doc import configuration_markdown
from core.config_guard import check_theme
from core.config_load import load_config

NAME = "config"
HELP = "print the default config or check a config file"


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--defaults", action="store_true", help="print the default config as TOML, with a comment per key")
    g.add_argument("--reference", action="store_true", help="print the Markdown reference (docs/configuration.md)")
    g.add_argument("--check", metavar="FILE", help="validate FILE; exit 1 naming the bad key and why")


def run(args: argparse.Namespace) -> int:
    if args.defaults:
        sys.stdout.write("# liqhunt config: every key with its default. Copy, edit, pass with --config FILE.\n\n")
        sys.stdout.write(dump_config(load_config(None), with_docs=True))
        return 0
    if args.reference:
        sys.stdout.write(configuration_markdown())
        return 0
    try:
        cfg = load_config(args.check)
        check_theme(cfg)  # the console would refuse an unknown theme at start; say so now
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.check}: ok (config hash {cfg.digest()})")
    return 0
