"""`liqhunt replay FILE`: the console on a recording, paced at --speed × real time."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.commands._console import add_console_arguments, build_session, fail, load, open_console

NAME = "replay"
HELP = "open the console on a recording (sim or live capture)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="recording (.jsonl or .jsonl.gz)")
    p.add_argument("--speed", type=float, default=1.0, help="recorded seconds per real second (default 1)")
    add_console_arguments(p)


def run(args: argparse.Namespace) -> int:
    from core.sources import ReplaySource

    cfg = load(NAME, args)
    if isinstance(cfg, int):
        return cfg
    if not args.file.is_file():
        return fail(NAME, f"no such file: {args.file}")
    if not args.speed > 0:
        return fail(NAME, f"--speed: must be positive, got {args.speed}")
    try:
        source = ReplaySource(args.file, speed=args.speed)
    except (OSError, ValueError) as exc:
        return fail(NAME, f"{args.file}: {exc}")
    from core.journal.identity import replay_identity
    from core.journal.schema import JournalError

    try:
        session = build_session(cfg, source.clock, source.instruments, args.mode, args, source_label="replay", venues=["replay"],
                                source_id=replay_identity(source.recording.paths))
    except (JournalError, OSError) as exc:
        return fail(NAME, str(exc))
    code = open_console(NAME, args, session.engine, source, source.clock, cfg, session)
    for line in source.bad_lines_report():
        print(line, file=sys.stderr)
    return code
