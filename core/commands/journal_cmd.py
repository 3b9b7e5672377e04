"""`liqhunt journal`: trades, win rate, average R and P&L, per score tier and per exit reason,
from a live, demo or backtest journal; `--csv FILE` exports the trades."""
from __future__ import annotations

import argparse
import calendar
import csv
import json
import sys
import time
from pathlib import Path

from core.clock import WallClock
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
    import sqlite3

    from core.journal.faults import fault_message

    path = args.journal or str(default_journal_path())
    if not Path(path).exists():
        print(f"no journal at {path}", file=sys.stderr)
        return 1
    if not Path(path).is_file():
        print(f"journal {path}: not a regular file; pass the SQLite journal file with --journal PATH", file=sys.stderr)
        return 2
    try:
        journal = Journal(path, WallClock(), busy_timeout_s=2.0)
    except (JournalError, OSError) as exc:
        print(str(exc) if isinstance(exc, JournalError) else fault_message(path, exc), file=sys.stderr)
        return 2
    try:
        damage = journal.quick_check()
        trades = [] if damage else journal.trades(since_ts=args.since, source=args.source)
    except sqlite3.Error as exc:
        damage = [str(exc)]
    finally:
        journal.close("read")
    if damage:  # never a report read from a damaged file as if it were whole
        print(fault_message(path, "damaged (PRAGMA quick_check: " + "; ".join(" ".join(d.split())[:120] for d in damage[:3])
                                    + (f"; {len(damage) - 3} more" if len(damage) > 3 else "") + ")", "is damaged"), file=sys.stderr)
        return 1
    if args.csv:
        try:
            write_csv(trades, args.csv)
        except OSError as exc:
            print(f"journal: cannot write {args.csv}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"wrote {len(trades)} trades to {args.csv}", file=sys.stderr)
    if args.json:
        out = {"journal": path, "since": args.since, "source": args.source, **report(trades)}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        sys.stdout.write(format_report(trades) + "\n")
    return 0
