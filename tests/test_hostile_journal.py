"""Journal faults are loud: a damaged, locked, misplaced or full journal is one line naming the
file and the fix, with a non-zero exit; nothing exits 0 after losing a row."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.events import event_to_dict
from core.journal import Journal
from core.recording import RecordingWriter
from tests.builders import T0, scripted_cascade
from tests.hostile.ledger import case
from tests.hostile.run_cli import ROOT, run_inprocess


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A recording the backtest trades (one cascade), and a journal holding that backtest."""
    d = tmp_path_factory.mktemp("jf")
    rec = d / "scripted.jsonl"
    evs, _, _ = scripted_cascade(T0, seconds=40, drop_per_s=0.0015)
    with RecordingWriter(rec) as w:
        for ev in sorted(evs, key=lambda e: e.ts_recv):
            w.write(ev.ts_recv, "sim", event_to_dict(ev))
    good = d / "good.sqlite"
    r = run_inprocess(["backtest", str(rec), "--journal", str(good)])
    assert r.code == 0, r.err
    Journal(good, _Clock()).close("read")  # checkpointed into one file
    return rec, good


class _Clock:
    def now(self) -> float:
        return T0


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if "error:" in ln]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _corrupt_middle(src, dst):
    data = bytearray(src.read_bytes())
    page = 4096
    n = len(data) // page
    for p in range(n // 3, n // 3 + 3):  # three pages from the middle, garbage
        data[p * page : (p + 1) * page] = os.urandom(page)
    dst.write_bytes(bytes(data))


def test_damaged_files_are_one_line_with_exit_1(tmp_path, recording):
    rec, good = recording
    files = {
        "random bytes": lambda p: p.write_bytes(os.urandom(50_000)),
        "truncated database": lambda p: p.write_bytes(good.read_bytes()[: good.stat().st_size // 3]),
        "empty-looking text file": lambda p: p.write_text("not a database\n" * 100),
    }
    for name, make in files.items():
        p = tmp_path / f"{name.replace(' ', '_')}.sqlite"
        make(p)
        for cmd in (["journal", "--journal", str(p)], ["backtest", str(rec), "--journal", str(p)]):
            with case("journal", f"{cmd[0]}: {name}") as c:
                r = run_inprocess(cmd)
                c.crashed, c.exit_code = r.exception is not None, r.code
                assert r.code == 1, (name, cmd[0], r.code, r.err)
                line = _one_error_line(r.err)
                assert str(p) in line and "—" in line  # the file and the fix


def test_corrupt_middle_pages_are_reported_by_liqhunt_journal(tmp_path, recording):
    _, good = recording
    bad = tmp_path / "middle.sqlite"
    _corrupt_middle(good, bad)
    with case("journal", "journal: corrupt middle pages (quick_check)") as c:
        r = run_inprocess(["journal", "--journal", str(bad)])
        c.crashed, c.exit_code = r.exception is not None, r.code
        assert r.code == 1, (r.code, r.err)
        line = _one_error_line(r.err)
        assert str(bad) in line and ("damaged" in line or "malformed" in line or "not a database" in line), line
    with case("journal", "journal: sound database still reads"):
        r = run_inprocess(["journal", "--journal", str(good)])
        assert r.code == 0 and "error" not in r.err, r.err


def test_misplaced_journal_paths_are_one_line(tmp_path, recording):
    rec, _ = recording
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    for name, path in {"a directory": tmp_path, "under a regular file": a_file / "j.sqlite"}.items():
        for cmd in (["backtest", str(rec), "--journal", str(path)], ["demo", "--journal", str(path), "--warmup", "0"]):
            with case("journal", f"{cmd[0]}: journal path is {name}") as c:
                r = run_inprocess(cmd)
                c.crashed, c.exit_code = r.exception is not None, r.code
                assert r.code == 1, (name, cmd[0], r.code, r.err)
                assert str(path) in _one_error_line(r.err)


def test_a_locked_journal_is_one_line(tmp_path, recording):
    rec, good = recording
    locked = tmp_path / "locked.sqlite"
    shutil.copy(good, locked)
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("BEGIN EXCLUSIVE")  # another process mid-write, for longer than our 5 s busy timeout
    try:
        with case("journal", "backtest: journal locked by another process") as c:
            r = run_inprocess(["backtest", str(rec), "--journal", str(locked)], timeout=30)
            c.hung, c.crashed, c.exit_code = r.code is None, r.exception is not None, r.code
            assert r.code == 1, (r.code, r.err)
            line = _one_error_line(r.err)
            assert "locked" in line and "another liqhunt" in line
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize("limit", [20_000, 40_000])
def test_backtest_on_a_full_disk_never_exits_0_after_losing_rows(tmp_path, recording, limit):
    """The disk fills before (20 KB) or during (40 KB) the backtest: RLIMIT_FSIZE stands in for a full disk."""
    rec, good = recording
    j = tmp_path / "full.sqlite"
    shutil.copy(good, j)
    with case("journal", f"backtest --journal on a full disk ({limit // 1000} KB)") as c:
        r = subprocess.run(
            [sys.executable, "-m", "tui.cli", "backtest", str(rec), "--journal", str(j)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=_file_size_limit(limit),
            check=False,
        )
        c.exit_code, c.traceback = r.returncode, "Traceback" in r.stderr
        assert r.returncode == 1, r.stderr
        line = _one_error_line(r.stderr)
        assert str(j) in line and ("lost" in line or "cannot open" in line or "cannot write" in line), line


def test_the_console_counts_journal_failures(tmp_path):
    """`Journal.failures` is what the console's header shows as JOURNAL FAILING n."""
    j = Journal(tmp_path / "j.sqlite", _Clock())
    j._conn.execute("CREATE TRIGGER no_fills BEFORE INSERT ON fills BEGIN SELECT RAISE(FAIL, 'disk full'); END")
    j.write("fills", {"order_id": "o1"})
    j.write("fills", {"order_id": "o2"})
    j.flush()
    with case("journal", "write failures counted for the console"):
        assert j.failures == 2
        assert "2 rows lost" in j.failure_line() and "free some disk space" in j.failure_line()
    j.close()


# `liqhunt …` with the journal's connection capped at its size right after opening: SQLite's own
# SQLITE_FULL on the first page the session needs, as a full disk gives it, nothing else faked
CAPPED_JOURNAL_CHILD = r"""
import sys
import core.journal.journal as jj
real = jj.migrate
def capped(conn, *a, **k):
    out = real(conn, *a, **k)
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    return out
jj.migrate = capped
from tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_console_exits_1_with_one_line_after_its_journal_lost_rows(tmp_path):
    """`liqhunt demo --journal J` on a real pty, the disk full under the journal: the warm-up's
    entries cannot be written, the header says JOURNAL FAILING; `q` (then `l`, leave the paper
    positions) quits, and the exit code and one line say rows were lost — never exit 0."""
    import pty
    import select
    import time

    path = tmp_path / "console.sqlite"
    with case("journal", "console on a full disk: exit 1 after losing rows") as c:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the real CLI
            os.chdir(ROOT)
            os.environ.update(PYTHONPATH=str(ROOT), TERM="xterm-256color", TEXTUAL_ANIMATIONS="none")
            os.execv(
                sys.executable,
                [
                    sys.executable,
                    "-c",
                    CAPPED_JOURNAL_CHILD,
                    "demo",
                    "--journal",
                    str(path),
                    "--mode",
                    "auto",
                    "--scenario",
                    "crash",
                    "--warmup",
                    "160",
                    "--programme-in",
                    "-40",  # the calibrated programme at 00:02:00: entries during the warm-up
                    "--no-mouse",
                ],
            )
        screen, deadline, quit_sent, status = b"", time.monotonic() + 40, False, None
        try:
            while time.monotonic() < deadline and status is None:
                if select.select([fd], [], [], 0.1)[0]:
                    try:
                        screen += os.read(fd, 65536)
                    except OSError:  # EIO: the child closed the terminal on its way out
                        pass
                if not quit_sent and b"JOURNAL FAILING" in screen:
                    os.write(fd, b"q")
                    time.sleep(0.5)
                    os.write(fd, b"l")  # positions are open: quit and leave them (with none, q already quit)
                    quit_sent = True
                done, st = os.waitpid(pid, os.WNOHANG)
                status = st if done else None
        finally:
            if status is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        text = screen.decode(errors="replace")
        if status is None:
            c.hung = True
        c.exit_code = os.waitstatus_to_exitcode(status) if status is not None else None
        c.traceback = "Traceback" in text
        assert quit_sent, "the header never said JOURNAL FAILING"
        assert c.exit_code == 1 and "rows lost" in text and str(path) in text and not c.traceback, (
            c.exit_code,
            text[-1500:],
        )


def test_a_lock_taken_mid_session_costs_one_busy_timeout_not_one_per_row(tmp_path):
    """Another connection takes the write lock while the console runs (a second liqhunt, a sqlite3
    shell): the rows are counted as lost once the busy timeout passes — not retried one by one,
    each waiting it out again, which kept the writer and then `close()` blocked for minutes."""
    import time

    path = tmp_path / "held.sqlite"
    with case("journal", "write lock taken by another connection mid-session") as c:
        j = Journal(path, _Clock(), busy_timeout_s=0.3)
        j.open_session("watch", ["sim"], __import__("core.config", fromlist=["Config"]).Config(), "sim")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            for i in range(200):
                j.write("feed_states", {"ts": T0 + i, "venue": "sim", "state": "live", "reason": "r"})
            t0 = time.monotonic()
            j.flush(5.0)
            j.close()
            took = time.monotonic() - t0
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        c.lost = 0 if j.failures >= 200 else 200 - j.failures  # every refused row is counted
        assert took < 3.0, f"close took {took:.1f} s"
        assert j.failures == 201  # the 200 rows and the session's end
        line = j.failure_line()
        assert str(path) in line and "locked" in line and "201 rows lost" in line, line


def test_another_programs_database_is_refused_and_left_untouched(tmp_path, recording):
    """`--journal` pointed at some other SQLite file (a browser's history, a notes app): one line,
    exit 1, and not a byte written to it (no liqhunt tables, not even the switch to WAL)."""
    rec, _ = recording
    other = tmp_path / "notes.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    for argv in (["journal", "--journal", str(other)], ["backtest", str(rec), "--journal", str(other)]):
        with case("journal", f"another program's database via {argv[0]}") as c:
            r = run_inprocess(argv)
            c.exit_code, c.traceback = r.code, "Traceback" in r.err
            assert r.code == 1, r.err
            line = _one_error_line(r.err)
            assert str(other) in line and "not a liqhunt journal" in line and "notes" in line, line
            assert other.read_bytes() == before and not Path(f"{other}-wal").exists()


@pytest.mark.parametrize("target", ["directory", "under a file", "/dev/full"])
def test_csv_export_to_a_place_that_cannot_take_it_is_one_line(tmp_path, recording, target):
    _, good = recording
    csv = {"directory": str(tmp_path), "under a file": str(good) + "/trades.csv", "/dev/full": "/dev/full"}[target]
    with case("journal", f"journal --csv to {target}") as c:
        r = run_inprocess(["journal", "--journal", str(good), "--csv", csv])
        c.exit_code, c.traceback = r.code, "Traceback" in r.err
        assert r.code == 1, r.err
        line = _one_error_line(r.err)
        assert csv in line and "--csv" in line, line
