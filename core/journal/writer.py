"""JournalWriter: the one thread that writes to SQLite, so the event loop only enqueues.

Statements queue up and are committed together every `commit_interval_s` (or sooner when
`batch_rows` pile up): a SIGKILL loses at most that interval. `flush()` is the barrier for
what must be durable now (a position that just opened). With WAL and synchronous=NORMAL a
commit survives the process dying; only a power cut can lose the last commits.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass

log = logging.getLogger("liqhunt.journal")

Statement = tuple[str, tuple]


@dataclass
class WriterStats:
    rows: int = 0
    commits: int = 0
    errors: int = 0
    dropped: int = 0
    max_commit_s: float = 0.0
    max_backlog: int = 0


# executemany loops in C, where a waiting thread cannot ask for the GIL; bounded runs give
# the event loop's thread regular chances to run during a large burst
RUN_ROWS = 200


def _runs(batch: list[Statement]) -> list[tuple[str, list[tuple]]]:
    """Consecutive statements with the same SQL, grouped for executemany (order kept)."""
    out: list[tuple[str, list[tuple]]] = []
    for sql, params in batch:
        if out and out[-1][0] == sql and len(out[-1][1]) < RUN_ROWS:
            out[-1][1].append(params)
        else:
            out.append((sql, [params]))
    return out


class _Barrier:
    """Queued behind the rows it must see committed."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


_STOP = object()


def _held_elsewhere(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock (a second liqhunt, a shell)."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class JournalWriter:
    def __init__(
        self,
        conn: sqlite3.Connection,
        lock: threading.Lock,
        commit_interval_s: float = 0.1,
        batch_rows: int = 2000,
        max_backlog: int = 500_000,
    ) -> None:
        self._conn = conn
        self._lock = lock  # shared with readers: one connection, never used by two threads at once
        self._q: queue.Queue = queue.Queue()
        self._interval = commit_interval_s
        self._batch_rows = batch_rows
        self._max_backlog = max_backlog
        self.stats = WriterStats()
        self.last_error = ""  # SQLite's message for the last failed row, for the one-line report
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="liqhunt-journal", daemon=True)
        self._thread.start()

    # -- producer side (any thread; the engine's) -------------------------------------------------
    def submit(self, statements: list[Statement]) -> None:
        if self._closed:
            log.warning("journal closed: %d rows not written", len(statements))
            self.stats.dropped += len(statements)
            return
        backlog = self._q.qsize()
        if backlog >= self._max_backlog:
            # the disk has stalled for a long time; never block trading on it, but count the loss
            self.stats.dropped += len(statements)
            return
        self.stats.max_backlog = max(self.stats.max_backlog, backlog + len(statements))
        for st in statements:
            self._q.put(st)

    def flush(self, timeout: float | None = 5.0) -> bool:
        """Block until everything submitted so far is committed. False on timeout."""
        if self._closed:
            return True
        b = _Barrier()
        self._q.put(b)
        return b.done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        if self._closed:
            return
        self._closed = True
        self._q.put(_STOP)
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # -- the writer thread --------------------------------------------------------------------------
    def _run(self) -> None:
        batch: list[Statement] = []
        barriers: list[_Barrier] = []
        deadline = None
        stop = False
        while not stop:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = self._q.get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is _STOP:
                stop = True
            elif isinstance(item, _Barrier):
                barriers.append(item)
            elif item is not None:
                batch.append(item)
                if deadline is None:
                    deadline = time.monotonic() + self._interval
            due = (
                stop
                or barriers
                or len(batch) >= self._batch_rows
                or (deadline is not None and time.monotonic() >= deadline)
            )
            if due:
                # take whatever else is already queued so one commit covers a burst
                while not stop and len(batch) < self._batch_rows * 4:
                    try:
                        more = self._q.get_nowait()
                    except queue.Empty:
                        break
                    if more is _STOP:
                        stop = True
                    elif isinstance(more, _Barrier):
                        barriers.append(more)
                    else:
                        batch.append(more)
                if batch:
                    self._commit(batch)
                batch, deadline = [], None
                for b in barriers:
                    b.done.set()
                barriers = []

    def _commit(self, batch: list[Statement]) -> None:
        t0 = time.perf_counter()
        with self._lock:
            try:
                self._conn.execute("BEGIN")
                for sql, rows in _runs(batch):
                    self._conn.executemany(sql, rows)
                self._conn.execute("COMMIT")
                self.stats.rows += len(batch)
            except sqlite3.Error as exc:
                # one line, no traceback: the command (or the console's JOURNAL FAILING) reports the loss
                if not self.stats.errors:
                    log.warning("journal batch of %d failed (%s)", len(batch), exc)
                self._rollback()
                if _held_elsewhere(exc):  # row by row would wait out the busy timeout once per row
                    self._count_lost(batch, exc)
                else:
                    self._commit_one_by_one(batch)
        self.stats.commits += 1
        self.stats.max_commit_s = max(self.stats.max_commit_s, time.perf_counter() - t0)

    def _commit_one_by_one(self, batch: list[Statement]) -> None:
        for i, (sql, params) in enumerate(batch):
            try:
                self._conn.execute(sql, params)
                self.stats.rows += 1
            except sqlite3.Error as exc:
                if not self.stats.errors:  # the first loss is logged; the count carries the rest
                    log.error("journal row dropped (%s): %s", exc, sql.split("(")[0].strip())
                self.stats.errors += 1
                self.last_error = str(exc)
                if _held_elsewhere(exc):
                    self._count_lost(batch[i + 1 :], exc)
                    return

    def _count_lost(self, rows: list[Statement], exc: sqlite3.Error) -> None:
        """Rows refused because another connection holds the database: counted, not retried (each
        retry would block this thread, and a close behind it, for the whole busy timeout)."""
        if rows and not self.stats.errors:
            log.error("journal rows dropped (%s)", exc)
        self.stats.errors += len(rows)
        self.last_error = str(exc)

    def _rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
