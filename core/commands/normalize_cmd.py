"""`liqhunt normalize INPUT...`: recordings' events as JSON Lines, one per event, in receive-time order."""

from __future__ import annotations

import argparse
import sys

import orjson

from core.commands._inputs import add_input_arguments, open_inputs, print_bad_lines
from core.events import event_to_dict

NAME = "normalize"
HELP = "print recordings' normalised events as JSON Lines"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument("--strict", action="store_true", help="exit 1 if any line could not be parsed")


def run(args: argparse.Namespace) -> int:
    rec = open_inputs(NAME, args)
    if isinstance(rec, int):
        return rec
    out = sys.stdout.buffer
    lines = rec.iter_lines()
    try:
        for _, events in lines:
            for ev in events:
                out.write(orjson.dumps(event_to_dict(ev)))
                out.write(b"\n")
        out.flush()
    except BrokenPipeError:  # the reader (e.g. `head`) has gone: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        lines.close()
    stats = rec.stats
    print_bad_lines(NAME, stats, first=50)
    print(f"normalize: {stats.lines} lines, {stats.events} events, {stats.bad_count} unparseable", file=sys.stderr)
    return 1 if (args.strict and stats.bad_count) else 0
