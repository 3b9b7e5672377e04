"""What backtest, study, sweep and normalize all start with: the config (with a playbook
override) and the inputs — files, folders or globs, cut to --from/--to — each failing with a
clear message and exit code instead of a traceback. Nothing is read here: the returned
`RecordingSet` streams on each pass."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from core.config import Config, ConfigError, with_playbook
from core.config_load import load_config
from core.recording_set import InputError, RecordingSet
from core.replay import DecodeStats

INPUTS_HELP = (
    "recordings: .jsonl / .jsonl.gz files, tardis.dev CSV (.csv.gz), a Parquet dataset written by "
    "`liqhunt export`, folders of them or globs (quote them); merged in receive-time order"
)


def parse_time(text: str) -> float:
    """Unix seconds, or an ISO date/time (UTC unless it carries an offset): 2026-11-30, 2026-11-30T14:05."""
    try:
        value = float(text)
    except ValueError:
        try:
            dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is neither unix seconds nor an ISO time like 2026-11-30T14:05"
            ) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.timestamp()
    if not 0 <= value < 4_102_444_800:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time between 1970 and 2100")
    return value


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="+", metavar="INPUT", help=INPUTS_HELP)
    p.add_argument(
        "--from",
        dest="start",
        type=parse_time,
        metavar="TIME",
        help="skip lines received before this (unix seconds or ISO time, UTC)",
    )
    p.add_argument("--to", dest="end", type=parse_time, metavar="TIME", help="stop at lines received at or after this")


def open_inputs(command: str, args: argparse.Namespace) -> RecordingSet | int:
    try:
        return RecordingSet.open(args.inputs, getattr(args, "start", None), getattr(args, "end", None))
    except InputError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 1 if "no such" in str(exc) or "no recordings" in str(exc) else 2


def load_inputs(command: str, args: argparse.Namespace) -> tuple[Config, RecordingSet] | int:
    try:
        cfg = with_playbook(load_config(args.config), args.playbook)
    except ConfigError as exc:
        print(f"{command}: config error: {exc}", file=sys.stderr)
        return 2
    rec = open_inputs(command, args)
    if isinstance(rec, int):
        return rec
    return cfg, rec


def print_bad_lines(command: str, stats: DecodeStats, first: int = 20) -> None:
    """The bad-line count and the first reasons, on stderr (stdout stays the report)."""
    if not stats.bad_count:
        return
    print(
        f"{command}: {stats.bad_count:,} bad line{'' if stats.bad_count == 1 else 's'} skipped "
        f"({stats.lines:,} lines read, {stats.events:,} events used); the first:",
        file=sys.stderr,
    )
    for text in stats.bad_summary(first):
        print(f"  {text}", file=sys.stderr)
