"""Journals written by older liqhunt versions open, migrate forward and keep their rows."""

from __future__ import annotations

import sqlite3

import pytest

from core.clock import SimClock
from core.config import Config
from core.journal import SCHEMA_VERSION, Journal, JournalError, report, schema_version
from tests.builders import T0

# the v1 layout exactly as the first liqhunt wrote it, frozen here on purpose
V1_LAYOUT = """
CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_ts REAL NOT NULL, mode TEXT, config_hash TEXT, version TEXT);
CREATE TABLE signals (session_id INTEGER NOT NULL, id TEXT NOT NULL, market TEXT, order_side TEXT, raised_ts REAL,
    price REAL, score REAL, status TEXT, reason TEXT, PRIMARY KEY (session_id, id));
CREATE TABLE orders (session_id INTEGER NOT NULL, id TEXT NOT NULL, ts REAL, market TEXT, side TEXT, qty REAL, intent TEXT,
    ref_price REAL, reason TEXT, signal_id TEXT, status TEXT, PRIMARY KEY (session_id, id));
CREATE TABLE fills (session_id INTEGER NOT NULL, order_id TEXT, ts REAL, market TEXT, side TEXT, qty REAL, price REAL,
    fee REAL, slippage_bps REAL, latency_s REAL, broker TEXT);
CREATE TABLE trades (session_id INTEGER NOT NULL, position_id TEXT, market TEXT, side TEXT, qty REAL, entry_price REAL,
    exit_price REAL, entry_ts REAL, exit_ts REAL, reason TEXT, gross_pnl REAL, fees REAL, pnl REAL,
    r_multiple REAL, score REAL, signal_id TEXT);
CREATE TABLE mode_changes (session_id INTEGER NOT NULL, ts REAL, old TEXT, new TEXT, reason TEXT);
CREATE TABLE commands (session_id INTEGER NOT NULL, ts REAL, kind TEXT, args TEXT, result TEXT);
INSERT INTO sessions VALUES (1, 1767225600.0, 'auto', 'abc123', '0.0.9');
INSERT INTO signals VALUES (1, 'BTC#1', 'BTC-USDT-PERP', 'sell', 1767225605.0, 60000.0, 8.4, 'entered', '');
INSERT INTO trades VALUES (1, 'p2', 'BTC-USDT-PERP', 'short', 0.1, 60000.0, 59000.0, 1767225605.0, 1767225665.0,
    'take_profit', 100.0, 6.0, 94.0, 1.57, 8.4, 'BTC#1');
INSERT INTO trades VALUES (1, 'p4', 'ETH-USDT-PERP', 'long', 1.0, 3000.0, 2970.0, 1767226000.0, 1767226030.0,
    'stop', -30.0, 3.0, -33.0, -1.1, 6.2, 'ETH#1');
INSERT INTO mode_changes VALUES (1, 1767225600.0, 'watch', 'auto', 'user');
PRAGMA user_version = 1;
"""


def _v1_journal(path) -> None:
    db = sqlite3.connect(path)
    db.executescript(V1_LAYOUT)
    db.close()


def test_v1_journal_is_migrated_to_the_current_schema_with_rows_kept(tmp_path):
    path = tmp_path / "old.sqlite"
    _v1_journal(path)
    j = Journal(path, SimClock(T0))
    assert (j.migrated_from, j.schema_version) == (1, SCHEMA_VERSION)
    (s,) = j.query("SELECT * FROM sessions")
    assert (s["mode"], s["config_hash"], s["version"], s["venues"], s["source"]) == (
        "auto",
        "abc123",
        "0.0.9",
        "[]",
        "",
    )
    (sig,) = j.query("SELECT id, score, status, c_speed FROM signals")
    assert sig == {"id": "BTC#1", "score": 8.4, "status": "entered", "c_speed": None}
    trades = j.trades()
    assert [(t["position_id"], t["pnl"], t["tier"], t["hold_s"]) for t in trades] == [
        ("p2", 94.0, "8-9", 60.0),
        ("p4", -33.0, "5-7", 30.0),
    ]
    assert trades[0]["return_bps"] == pytest.approx(94.0 / 6000.0 * 1e4)
    # v3: trades from before funding was charged read as funding 0 (their pnl never included any)
    assert [t["funding"] for t in trades] == [0.0, 0.0]
    assert j.query("SELECT risk_usd, reward_risk FROM signals") == [{"risk_usd": None, "reward_risk": None}]
    assert j.query("SELECT * FROM funding") == []
    assert j.query("SELECT * FROM mode_changes")[0]["new"] == "auto"
    assert j.query("SELECT * FROM positions_open") == []
    # and the migrated journal is a working one: a new session, reports over old trades
    assert j.open_session("auto", ["binance"], Config(), "live") == 2
    assert report(trades)["totals"]["trades"] == 2
    j.close()
    assert schema_version(sqlite3.connect(path)) == SCHEMA_VERSION


def test_fresh_journal_is_created_at_the_current_version_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "new.sqlite"
    j = Journal(path, SimClock(T0))
    assert (j.migrated_from, j.schema_version) == (0, SCHEMA_VERSION)
    j.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert schema_version(db) == SCHEMA_VERSION


def test_reopening_a_current_journal_runs_no_migration(tmp_path):
    path = tmp_path / "j.sqlite"
    Journal(path, SimClock(T0)).close()
    j = Journal(path, SimClock(T0))
    assert j.migrated_from == SCHEMA_VERSION
    j.close()


def test_a_journal_from_a_newer_liqhunt_is_refused_untouched(tmp_path):
    path = tmp_path / "future.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(JournalError, match="newer"):
        Journal(path, SimClock(T0))
    assert schema_version(sqlite3.connect(path)) == SCHEMA_VERSION + 1
