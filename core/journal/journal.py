"""Journal: every engine event of a session, in SQLite, written off the event loop.

    journal = Journal(path, clock)           # opens (and migrates) the file, or ":memory:"
    journal.open_session("auto", ["binance"], config, "live", broker="binance")
    journal.attach(engine)                   # from now on every engine event becomes rows
    ...
    journal.close()                          # flush, mark the session ended (also at exit)

Rows go through a background writer committing every ~0.1 s. Position opens, restores and
closes are the exception: the subscriber waits (bounded) until they are committed, because a
position and its stop are what a crash must never lose.
"""

from __future__ import annotations

import atexit
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path

from core.clock import Clock
from core.config import Config
from core.journal.faults import describe
from core.journal.paths import MEMORY
from core.journal.recorder import DURABLE_NOW, EventRecorder, insert, position_row
from core.journal.schema import JournalError, check_is_journal, migrate
from core.journal.writer import JournalWriter, WriterStats

log = logging.getLogger("liqhunt.journal")


def liqhunt_version() -> str:
    try:
        return metadata.version("liqhunt")
    except metadata.PackageNotFoundError:
        return "unknown"


class Journal:
    def __init__(
        self,
        path: str | Path,
        clock: Clock,
        commit_interval_s: float = 0.1,
        durable_timeout_s: float = 1.0,
        busy_timeout_s: float = 5.0,
        sync_positions: bool = True,
    ) -> None:
        self.path = str(path)
        self.clock = clock
        self.sync_positions = sync_positions  # a backtest can skip the per-position commit wait
        self._durable_timeout = durable_timeout_s
        self._lock = threading.Lock()
        self._busy_timeout = busy_timeout_s
        try:
            self._conn = self._open()
        except (sqlite3.Error, OSError) as exc:  # one line naming the file and the fix, never a traceback
            raise JournalError(describe("open", self.path, exc)) from None
        except JournalError as exc:  # newer schema, another program's database: say which file
            raise JournalError(f"journal {self.path}: {exc}") from None
        self._writer = JournalWriter(self._conn, self._lock, commit_interval_s)
        self.session_id: int | None = None
        self.source = ""
        self.source_id = ""
        self.broker = ""
        self.recovery_notes: list[str] = []  # what crash recovery did not restore, and why
        self._recorder: EventRecorder | None = None
        self._detach: Callable[[], None] | None = None
        self.max_hold_s = 0.0  # longest time a subscriber call held the caller (the event loop)
        self._closed = False
        atexit.register(self.close)

    def _open(self) -> sqlite3.Connection:
        if self.path != MEMORY:
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # timeout: how long a write waits for another connection's lock
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=self._busy_timeout)
        try:
            conn.row_factory = sqlite3.Row
            check_is_journal(conn)  # before anything is written to the file
            if self.path != MEMORY:
                conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL under WAL: a commit survives the process dying (SIGKILL); only a power cut can lose the last ones
            conn.execute("PRAGMA synchronous = NORMAL")
            self.migrated_from, self.schema_version = migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    # -- session --------------------------------------------------------------------------------
    def open_session(
        self,
        mode: str,
        venues: Iterable[str],
        config: Config,
        source_label: str,
        broker: str = "paper",
        source_id: str = "",
    ) -> int:
        """`source_id` names the exact source (core.journal.recovery.*_source_id): crash recovery
        restores positions only into a session with the same one."""
        if self.session_id is not None:
            raise JournalError(f"session {self.session_id} already open in this journal")
        row = {
            "started_ts": self.clock.now(),
            "mode": mode,
            "config_hash": config.digest(),
            "version": liqhunt_version(),
            "venues": json.dumps(sorted(venues)),
            "source": source_label,
            "broker": broker,
            "source_id": source_id,
        }
        sql, params = insert("sessions", row)
        try:
            with self._lock:
                cur = self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise JournalError(describe("write to", self.path, exc)) from None
        if cur.lastrowid is None:  # sqlite always sets it after an INSERT
            raise JournalError("the sessions row got no id")
        self.session_id = int(cur.lastrowid)
        self.source, self.broker, self.source_id = source_label, broker, source_id
        self._recorder = EventRecorder(self.session_id)
        return self.session_id

    def attach(self, engine) -> Callable[[], None]:
        """Subscribe to the engine's events (once; attaching again is a no-op)."""
        if self._recorder is None:
            raise JournalError("open_session() before attach()")
        if self._detach is None:
            self._detach = engine.subscribe(self.record)
        return self.detach

    def detach(self) -> None:
        if self._detach is not None:
            self._detach()
            self._detach = None

    @property
    def attached(self) -> bool:
        return self._detach is not None

    def record(self, ev: object) -> None:
        """The engine subscriber: enqueue the event's rows; wait for the commit on position events."""
        if self._recorder is None or self._closed:
            return
        t0 = time.perf_counter()
        self._writer.submit(self._recorder.statements(ev))
        if self.sync_positions and isinstance(ev, DURABLE_NOW):
            if not self._writer.flush(self._durable_timeout):
                log.error("journal: %s not committed within %.1f s", type(ev).__name__, self._durable_timeout)
        self.max_hold_s = max(self.max_hold_s, time.perf_counter() - t0)

    def write(self, table: str, row: dict) -> None:
        """An extra row outside the engine's events (reconciliation differences)."""
        self._writer.submit([insert(table, {"session_id": self.session_id or 0, **row})])

    def save_position(self, pos) -> None:
        """Re-write an open position changed outside the engine's events (a size taken from the exchange)."""
        if self._recorder is None:
            raise JournalError("open_session() before save_position()")
        row = position_row(self._recorder.session_id, self._recorder.key_for(pos), pos, self.clock.now())
        self._writer.submit([insert("positions_open", row, ("key",))])
        self._writer.flush(self._durable_timeout)

    # -- durability -----------------------------------------------------------------------------
    def flush(self, timeout: float | None = 5.0) -> bool:
        return self._writer.flush(timeout)

    def close(self, end_reason: str = "clean exit") -> None:
        """Flush, mark the session ended and close. Open positions stay in the journal: they
        are restored on the next start. Safe to call twice (signal handler, then atexit)."""
        if self._closed:
            return
        self._closed = True
        self.detach()
        if self.session_id is not None:
            self._writer.submit(
                [
                    (
                        "UPDATE sessions SET ended_ts = ?, end_reason = ? WHERE id = ?",
                        (self.clock.now(), end_reason, self.session_id),
                    )
                ]
            )
        self._writer.close()
        with self._lock:
            self._conn.close()
        atexit.unregister(self.close)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def stats(self) -> WriterStats:
        return self._writer.stats

    @property
    def failures(self) -> int:
        """Rows that did not reach the file (write errors and rows dropped); the console shows
        `JOURNAL FAILING n`, batch commands exit non-zero."""
        return self._writer.stats.errors + self._writer.stats.dropped

    def failure_line(self) -> str | None:
        """One line for a person when rows were lost, else None."""
        if not self.failures:
            return None
        last = self._writer.last_error or "rows dropped"
        return f"{describe('write to', self.path, RuntimeError(last))} ({self.failures} rows lost)"

    # -- reads ----------------------------------------------------------------------------------
    def check(self) -> list[str]:
        """`PRAGMA quick_check`: an empty list when the database is sound, else what is wrong."""
        from core.journal.faults import quick_check

        with self._lock:
            return quick_check(self._conn)

    def query(self, sql: str, params: tuple = ()) -> list[dict]:
        """Rows as dicts, after everything queued so far is committed."""
        if self._closed:
            raise JournalError("journal is closed")
        self.flush()
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, params).fetchall()]

    def trades(self, since_ts: float | None = None, source: str | None = None) -> list[dict]:
        """Closed trades, oldest exit first; `source` keeps only sessions with that label.
        Each row also has the backtest report's cost split: `fees_bps`, `slippage_bps` (modelled),
        `drift_bps` (latency) and their sum `cost_bps`."""
        sql = """SELECT t.*, s.source AS source,
                    COALESCE((SELECT SUM(f.slippage_bps) FROM fills f
                              WHERE f.session_id = t.session_id AND f.position_id = t.position_id), 0) AS slippage_bps,
                    COALESCE((SELECT SUM(COALESCE(json_extract(f.extras, '$.latency_drift_bps'), 0)) FROM fills f
                              WHERE f.session_id = t.session_id AND f.position_id = t.position_id), 0) AS drift_bps
                 FROM trades t JOIN sessions s ON s.id = t.session_id WHERE 1 = 1"""
        params: list = []
        if since_ts is not None:
            sql += " AND t.exit_ts >= ?"
            params.append(since_ts)
        if source is not None:
            sql += " AND s.source = ?"
            params.append(source)
        rows = self.query(sql + " ORDER BY t.exit_ts, t.rowid", tuple(params))
        for r in rows:
            notional = (r["qty"] or 0.0) * (r["entry_price"] or 0.0)
            # the same cost split the backtest report has: fees, modelled slippage, latency drift
            r["fees_bps"] = (r["fees"] or 0.0) / notional * 1e4 if notional else 0.0
            r["slippage_bps"] -= r["drift_bps"]
            r["cost_bps"] = r["fees_bps"] + r["slippage_bps"] + r["drift_bps"]
            for k in ("mae_pct", "mfe_pct"):  # journals migrated from v1 never measured excursions
                if r[k] is None:
                    r[k] = 0.0
        return rows
