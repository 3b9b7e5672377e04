"""The writer keeps SQLite off the event loop and loses at most ~0.1 s on a hard kill;
`backtest --journal` writes the same journal a live session does."""

from __future__ import annotations

import sqlite3
import time

from core.backtest import Recording, run_backtest
from core.clock import SimClock
from core.config import Config
from core.engine_events import FeedStateChanged
from core.journal import Journal, open_for_backtest, report
from core.replay import DecodeStats
from tests.builders import BTC_INSTRUMENT, T0, scripted_cascade


def _journal(path, **kw) -> Journal:
    j = Journal(path, SimClock(T0), **kw)
    j.open_session("auto", ["sim"], Config(), "sim")
    return j


def test_rows_are_committed_within_the_commit_interval_without_a_flush(tmp_path):
    path = tmp_path / "j.sqlite"
    j = _journal(path, commit_interval_s=0.1)
    for i in range(100):
        j.record(FeedStateChanged(T0 + i, "sim", "live", str(i)))
    other = sqlite3.connect(path)  # what a process that outlives a SIGKILL would find
    deadline = time.monotonic() + 2.0
    while other.execute("SELECT COUNT(*) FROM feed_states").fetchone()[0] < 100 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert other.execute("SELECT COUNT(*) FROM feed_states").fetchone()[0] == 100
    j.close()


def test_a_burst_of_events_is_batched_into_few_commits_and_close_loses_nothing(tmp_path):
    path = tmp_path / "j.sqlite"
    j = _journal(path)
    n = 20_000
    for i in range(n):
        j.record(FeedStateChanged(T0 + i, "sim", "live", str(i)))
    j.close()
    assert j.stats.rows == n + 1 and j.stats.commits < n / 100 and j.stats.dropped == 0  # +1: the session end
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM feed_states").fetchone()[0] == n


def test_a_bad_row_is_dropped_alone_and_counted(tmp_path):
    j = _journal(tmp_path / "j.sqlite")
    j._writer.submit(
        [
            ("INSERT INTO mode_changes (session_id, old) VALUES (?, ?)", (1, "a")),
            ("INSERT INTO no_such_table VALUES (?)", (1,)),
            ("INSERT INTO mode_changes (session_id, old) VALUES (?, ?)", (1, "b")),
        ]
    )
    assert [r["old"] for r in j.query("SELECT old FROM mode_changes")] == ["a", "b"]
    assert j.stats.errors == 1
    j.close()


def test_close_is_idempotent_and_later_events_are_ignored(tmp_path):
    j = _journal(tmp_path / "j.sqlite")
    j.close()
    j.close()
    j.record(FeedStateChanged(T0, "sim", "live", ""))
    assert j.closed


def test_backtest_journal_holds_the_backtests_trades_under_a_backtest_session(tmp_path):
    evs, _, _ = scripted_cascade(T0, seconds=40, drop_per_s=0.0015)
    evs.sort(key=lambda e: e.ts_recv)
    rec = Recording("scripted", [(e.ts_recv, [e]) for e in evs], [BTC_INSTRUMENT], DecodeStats())
    path = tmp_path / "bt.sqlite"
    on_engine, close = open_for_backtest(str(path))
    res = run_backtest(rec, Config(), on_engine=on_engine)
    close()
    assert res.trades
    j = Journal(path, SimClock(T0))
    rows = j.trades(source="backtest")
    assert [(r["position_id"], r["pnl"], r["reason"]) for r in rows] == [
        (t["position_id"], t["pnl"], t["reason"]) for t in res.trades
    ]
    assert report(rows)["by_tier"] == report(res.trades)["by_tier"]
    (s,) = j.query("SELECT source, end_reason FROM sessions")
    assert s == {"source": "backtest", "end_reason": "backtest end"}
    j.close()
