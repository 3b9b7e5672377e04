"""`liqhunt normalize FILE`: a recording's events as JSON Lines, one per event."""
from __future__ import annotations

import argparse
import sys

import orjson

from core.events import event_to_dict
from core.replay import DecodeStats, iter_recording

NAME = "normalize"
HELP = "print a recording's normalised events as JSON Lines"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="recording (.jsonl or .jsonl.gz)")
    p.add_argument("--strict", action="store_true", help="exit 1 if any line could not be parsed")


def run(args: argparse.Namespace) -> int:
    stats = DecodeStats()
    out = sys.stdout.buffer
    try:
        for _, events in iter_recording(args.file, stats):
            for ev in events:
                out.write(orjson.dumps(event_to_dict(ev)))
                out.write(b"\n")
    except BrokenPipeError:  # the reader (e.g. `head`) has gone: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"normalize: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    out.flush()
    for lineno, reason in stats.bad[:50]:
        print(f"line {lineno}: {reason}", file=sys.stderr)
    if len(stats.bad) > 50:
        print(f"... and {len(stats.bad) - 50} more bad lines", file=sys.stderr)
    print(f"normalize: {stats.lines} lines, {stats.events} events, {len(stats.bad)} unparseable", file=sys.stderr)
    return 1 if (args.strict and stats.bad) else 0
