"""`liqhunt journal`: trades, win rate, average R and P&L, per score tier and per exit reason,
from a live, demo or backtest journal; `--csv FILE` exports the trades."""

from __future__ import annotations

import argparse
import calendar
import csv
import json
import sqlite3
import sys
import time
from pathlib import Path

from core.clock import WallClock
from core.journal.faults import describe, fix_for
from core.journal.journal import Journal
from core.journal.paths import default_journal_path
from core.journal.reports import format_report, report
from core.journal.schema import JournalError

NAME = "journal"
HELP = "report trades from the journal: per score tier and exit reason (--json, --csv)"


def _date(s: str) -> float:
    try:
        return float(calendar.timegm(time.strptime(s, "%Y-%m-%d")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {s!r}") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--journal", metavar="PATH", help=f"journal file (default {default_journal_path()})")
    p.add_argument("--since", metavar="YYYY-MM-DD", type=_date, help="only trades closed on or after this UTC day")
    p.add_argument("--source", metavar="LABEL", help="only sessions with this source label (e.g. live, sim, backtest)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--csv", metavar="FILE", help="export the trades to FILE as CSV")


def write_csv(trades: list[dict], path: str) -> None:
    cols = list(trades[0]) if trades else ["position_id", "market", "side", "entry_ts", "exit_ts", "reason", "pnl"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(trades)


def run(args: argparse.Namespace) -> int:
    path = args.journal or str(default_journal_path())
    if not Path(path).exists():
        print(f"no journal at {path}", file=sys.stderr)
        return 1
    if not Path(path).is_file():
        print(
            f"liqhunt journal: error: {path} is not a regular file — pass --journal with the journal file",
            file=sys.stderr,
        )
        return 1
    try:
        journal = Journal(path, WallClock())
    except (JournalError, OSError) as exc:
        print(f"liqhunt journal: error: {exc}", file=sys.stderr)
        return 1
    damaged = journal.check()
    try:
        trades = journal.trades(since_ts=args.since, source=args.source)
    except (JournalError, sqlite3.Error) as exc:
        print(f"liqhunt journal: error: {describe('read', path, exc)}", file=sys.stderr)
        return 1
    finally:
        journal.close("read")
    if damaged:
        # the report below is what could still be read; say so before anyone trusts it
        print(
            f"liqhunt journal: error: {path} is damaged ({'; '.join(damaged)[:200]}) — "
            f"{fix_for('malformed')}; the report shows only what could be read",
            file=sys.stderr,
        )
    if args.csv:
        try:
            write_csv(trades, args.csv)
        except OSError as exc:  # a directory, an unwritable place, a full disk: one line, not a traceback
            print(
                f"liqhunt journal: error: cannot write {args.csv}: {exc.strerror or exc} — pass --csv with a writable file path",
                file=sys.stderr,
            )
            return 1
        print(f"wrote {len(trades)} trades to {args.csv}", file=sys.stderr)
    if args.json:
        out = {"journal": path, "since": args.since, "source": args.source, **report(trades)}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        sys.stdout.write(format_report(trades) + "\n")
    return 1 if damaged else 0
