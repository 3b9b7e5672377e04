"""The journal's tables, versioned with `PRAGMA user_version` and migrated forward in order.

A fresh journal runs every migration from 0, so the upgrade path old journals take is the
same code new journals are built with. Each migration runs in one transaction: a journal
is either at the old version or the new one, never half way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


class JournalError(RuntimeError):
    pass


# v1: the first layout — sessions, signals (total score only), orders, fills, trades
# (no tier / excursions), mode changes and commands.
V1 = """
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY, started_ts REAL NOT NULL, mode TEXT, config_hash TEXT, version TEXT);
CREATE TABLE signals (
    session_id INTEGER NOT NULL, id TEXT NOT NULL, market TEXT, order_side TEXT, raised_ts REAL,
    price REAL, score REAL, status TEXT, reason TEXT, PRIMARY KEY (session_id, id));
CREATE TABLE orders (
    session_id INTEGER NOT NULL, id TEXT NOT NULL, ts REAL, market TEXT, side TEXT, qty REAL, intent TEXT,
    ref_price REAL, reason TEXT, signal_id TEXT, status TEXT, PRIMARY KEY (session_id, id));
CREATE TABLE fills (
    session_id INTEGER NOT NULL, order_id TEXT, ts REAL, market TEXT, side TEXT, qty REAL, price REAL,
    fee REAL, slippage_bps REAL, latency_s REAL, broker TEXT);
CREATE TABLE trades (
    session_id INTEGER NOT NULL, position_id TEXT, market TEXT, side TEXT, qty REAL, entry_price REAL,
    exit_price REAL, entry_ts REAL, exit_ts REAL, reason TEXT, gross_pnl REAL, fees REAL, pnl REAL,
    r_multiple REAL, score REAL, signal_id TEXT);
CREATE TABLE mode_changes (session_id INTEGER NOT NULL, ts REAL, old TEXT, new TEXT, reason TEXT);
CREATE TABLE commands (session_id INTEGER NOT NULL, ts REAL, kind TEXT, args TEXT, result TEXT);
"""

# v2: everything a trader asks days later (score components, filters, window figures, tiers,
# excursions), the open-position table crash recovery reads, and the remaining event kinds.
V2 = """
ALTER TABLE sessions ADD COLUMN venues TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN broker TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ended_ts REAL;
ALTER TABLE sessions ADD COLUMN end_reason TEXT;

ALTER TABLE signals ADD COLUMN liquidated TEXT;
ALTER TABLE signals ADD COLUMN first_ts REAL;
ALTER TABLE signals ADD COLUMN first_usd REAL;
ALTER TABLE signals ADD COLUMN expires_ts REAL;
ALTER TABLE signals ADD COLUMN ended_ts REAL;
ALTER TABLE signals ADD COLUMN window_usd REAL;
ALTER TABLE signals ADD COLUMN window_events INTEGER;
ALTER TABLE signals ADD COLUMN c_speed REAL;
ALTER TABLE signals ADD COLUMN c_size REAL;
ALTER TABLE signals ADD COLUMN c_proximity REAL;
ALTER TABLE signals ADD COLUMN c_funding REAL;
ALTER TABLE signals ADD COLUMN c_oi REAL;
ALTER TABLE signals ADD COLUMN components TEXT;
ALTER TABLE signals ADD COLUMN filters TEXT;
ALTER TABLE signals ADD COLUMN filters_failed TEXT;
ALTER TABLE signals ADD COLUMN playbook TEXT;
ALTER TABLE signals ADD COLUMN qty REAL;
ALTER TABLE signals ADD COLUMN notional REAL;
ALTER TABLE signals ADD COLUMN stop_pct REAL;
ALTER TABLE signals ADD COLUMN take_profit_pct REAL;

ALTER TABLE orders ADD COLUMN position_id TEXT;
ALTER TABLE orders ADD COLUMN reduce_only INTEGER;
ALTER TABLE orders ADD COLUMN reject_reason TEXT;
ALTER TABLE orders ADD COLUMN done_ts REAL;

ALTER TABLE fills ADD COLUMN intent TEXT;
ALTER TABLE fills ADD COLUMN signal_id TEXT;
ALTER TABLE fills ADD COLUMN position_id TEXT;
ALTER TABLE fills ADD COLUMN ref_price REAL;
ALTER TABLE fills ADD COLUMN extras TEXT;

ALTER TABLE trades ADD COLUMN position_key TEXT;
ALTER TABLE trades ADD COLUMN tier TEXT;
ALTER TABLE trades ADD COLUMN playbook TEXT;
ALTER TABLE trades ADD COLUMN mae_pct REAL;
ALTER TABLE trades ADD COLUMN mfe_pct REAL;
ALTER TABLE trades ADD COLUMN stop_pct REAL;
ALTER TABLE trades ADD COLUMN signal_price REAL;
ALTER TABLE trades ADD COLUMN hold_s REAL;
ALTER TABLE trades ADD COLUMN return_bps REAL;
-- v1 trades had a score but no tier: derive it with the same boundaries as core.positions.score_tier
UPDATE trades SET hold_s = exit_ts - entry_ts,
    tier = CASE WHEN score < 5 THEN '<5' WHEN score < 7 THEN '5-7' WHEN score < 8 THEN '7-8'
                WHEN score < 9 THEN '8-9' ELSE '9-10' END,
    return_bps = CASE WHEN qty * entry_price > 0 THEN pnl / (qty * entry_price) * 1e4 ELSE 0 END;
CREATE INDEX trades_exit_ts ON trades (exit_ts);

CREATE TABLE positions_open (
    key TEXT PRIMARY KEY, session_id INTEGER NOT NULL, id TEXT NOT NULL, market TEXT NOT NULL, side TEXT NOT NULL,
    qty REAL NOT NULL, entry_price REAL NOT NULL, entry_ts REAL NOT NULL, stop_price REAL NOT NULL,
    take_profit_price REAL NOT NULL, stop_pct REAL NOT NULL, signal_id TEXT, score REAL, rides TEXT NOT NULL,
    entry_fee REAL, playbook TEXT, max_hold_until REAL NOT NULL, signal_price REAL, mfe_pct REAL, mae_pct REAL,
    updated_ts REAL);
CREATE TABLE watches (
    session_id INTEGER NOT NULL, market TEXT, started_ts REAL, liquidated TEXT, usd REAL, ended_ts REAL, outcome TEXT);
CREATE TABLE risk_blocks (
    session_id INTEGER NOT NULL, ts REAL, market TEXT, rule TEXT, message TEXT, signal_id TEXT);
CREATE TABLE exits_triggered (
    session_id INTEGER NOT NULL, ts REAL, position_key TEXT, position_id TEXT, market TEXT, reason TEXT, mark REAL);
CREATE TABLE restores (
    session_id INTEGER NOT NULL, ts REAL, position_key TEXT, position_id TEXT, market TEXT, side TEXT, qty REAL,
    stop_price REAL, take_profit_price REAL, max_hold_until REAL);
CREATE TABLE feed_states (session_id INTEGER NOT NULL, ts REAL, venue TEXT, state TEXT, reason TEXT);
CREATE TABLE reconcile_diffs (
    session_id INTEGER NOT NULL, ts REAL, market TEXT, kind TEXT, ours_qty REAL, exchange_qty REAL,
    action TEXT, detail TEXT);
"""

# v3: money the engine now counts: perpetual funding per trade (inside pnl, shown apart) and each
# funding charge as it happens; the dollar risk and reward/risk of each planned entry; an open
# position's funding so far, so a restart keeps it.
V3 = """
ALTER TABLE trades ADD COLUMN funding REAL NOT NULL DEFAULT 0;
ALTER TABLE signals ADD COLUMN risk_usd REAL;
ALTER TABLE signals ADD COLUMN reward_risk REAL;
ALTER TABLE positions_open ADD COLUMN funding REAL NOT NULL DEFAULT 0;
ALTER TABLE positions_open ADD COLUMN next_funding_ts REAL;
ALTER TABLE positions_open ADD COLUMN risk_usd REAL;
CREATE TABLE funding (
    session_id INTEGER NOT NULL, ts REAL, position_key TEXT, position_id TEXT, market TEXT, side TEXT, qty REAL,
    rate REAL, mark REAL, amount REAL);
"""

# v4: which source a session ran on, exactly (venue set and broker; recording hash; simulator
# scenario, seed and start), so positions are restored only into the same source.
V4 = """
ALTER TABLE sessions ADD COLUMN source_id TEXT NOT NULL DEFAULT '';
"""

MIGRATIONS: dict[int, str] = {1: V1, 2: V2, 3: V3, 4: V4}  # target version -> script from the version before
SCHEMA_VERSION = max(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _statements(script: str) -> list[str]:
    lines = [ln for ln in script.splitlines() if not ln.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def check_is_journal(conn: sqlite3.Connection) -> None:
    """A fresh journal is an empty file; a version-0 file that already has tables belongs to
    something else (another program's database passed by mistake): JournalError, and nothing is
    written into it — not even the switch to WAL."""
    if schema_version(conn) != 0:
        return
    found = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name LIMIT 4"
        )
    ]
    if found:
        raise JournalError(
            f"a SQLite database but not a liqhunt journal (it has tables {', '.join(found)}); "
            "pass --journal with a journal file, or a new path"
        )


def migrate(conn: sqlite3.Connection, on_step: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Bring the journal to SCHEMA_VERSION; returns (version before, version after).

    `conn` must be in autocommit mode (isolation_level=None) so BEGIN/COMMIT here are the only
    transaction boundaries."""
    before = schema_version(conn)
    if before > SCHEMA_VERSION:
        raise JournalError(f"journal schema v{before} is newer than this liqhunt (v{SCHEMA_VERSION}); upgrade liqhunt")
    check_is_journal(conn)
    for target in range(before + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in _statements(MIGRATIONS[target]):
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {target}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        if on_step is not None:
            on_step(target)
    return before, schema_version(conn)
