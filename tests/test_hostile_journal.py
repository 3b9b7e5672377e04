"""Journal faults are loud: every SQLite refusal at open or write is one line naming the file and
the fix; batch commands exit non-zero; `liqhunt journal` runs PRAGMA quick_check; nothing exits 0
after losing a row. Real SQLite files, real processes, real locks."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.clock import SimClock
from core.events import event_to_dict
from core.journal import Journal, JournalError
from core.recording import RecordingWriter
from core.sim.market_sim import Simulator
from tests.hostile_proc import REPO, cli, run_all, run_in_one
from tests.hostile_report import outcome_of, record

CLASS = "journal"
T0 = 1_767_225_600.0
READ_ONLY_DIR = Path("/sys/liqhunt-test")  # sysfs: read-only even for root, so no chmod trick is needed

# `liqhunt backtest` with the journal's connection capped a few pages above its size: SQLite's own
# SQLITE_FULL, exactly what a full disk gives, with nothing else faked
FULL_DISK_CHILD = r"""
import sys
import core.journal.journal as jj
real = jj.migrate
def capped(conn, *a, **k):
    out = real(conn, *a, **k)
    n = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {n}")  # not one page more than the empty schema
    return out
jj.migrate = capped
from tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def crash_recording(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "crash.jsonl.gz"
    with RecordingWriter(path) as w:
        for ev in Simulator("crash", seed=7, markets=6).run(20 * 60):
            w.write(ev.ts_recv, "sim", event_to_dict(ev))
    return path


@pytest.fixture(scope="module")
def good_journal(tmp_path_factory, crash_recording) -> Path:
    """A journal written by a real backtest, with enough pages to damage in the middle."""
    path = tmp_path_factory.mktemp("j") / "good.sqlite"
    (r,) = run_in_one([["backtest", str(crash_recording), "--journal", str(path)]], per_case_timeout=60)
    assert r.rc == 0, r.err
    j = Journal(path, SimClock(T0))
    j.open_session("watch", ["sim"], __import__("core.config", fromlist=["Config"]).Config(), "pad")
    for i in range(4000):  # padding rows so the file has middle pages that are not the trades
        j.write("feed_states", {"ts": T0 + i, "venue": "sim", "state": "live", "reason": f"pad {i:05d}" * 4})
    j.close()
    return path


def _copy(src: Path, dst: Path) -> Path:
    dst.write_bytes(src.read_bytes())
    return dst


def _check(cls: str, name: str, r, want_rc, words: tuple[str, ...], bad: list, lost: bool = False) -> None:
    outcome = outcome_of(r.rc, r.err, want_rc, lost=lost)
    if outcome == "clean" and not all(w.lower() in r.err.lower() for w in words):
        outcome = "crash"  # an error that does not say which file or what to do is not clean
    record(cls, outcome)
    if outcome != "clean":
        bad.append((name, r.rc, r.err[-800:]))


def test_full_disk_during_backtest_exits_1_naming_the_rows_lost(tmp_path, crash_recording):
    path = tmp_path / "full.sqlite"
    p = subprocess.run([sys.executable, "-c", FULL_DISK_CHILD, "backtest", str(crash_recording), "--journal", str(path)],
                       cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=90, check=False)
    bad: list = []
    lost_silently = p.returncode == 0  # rows were refused: exit 0 would hide the loss
    from tests.hostile_proc import Ran
    _check(f"{CLASS} write", "full disk", Ran([], p.returncode, p.stdout, p.stderr), 1,
           (str(path), "NOT written", "full", "free space"), bad, lost=lost_silently)
    assert not bad, bad
    assert "trades" in p.stdout or "Trades" in p.stdout  # the backtest's own report is whole
    # what was written is readable, and the file is sound: only the rows counted above are missing
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_open_faults_are_one_line_with_the_fix_through_every_command(tmp_path, good_journal, crash_recording):
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(os.urandom(64 * 1024))
    truncated = _copy(good_journal, tmp_path / "truncated.sqlite")
    with open(truncated, "r+b") as f:
        f.truncate(truncated.stat().st_size // 3)
    header_gone = _copy(good_journal, tmp_path / "header.sqlite")
    with open(header_gone, "r+b") as f:
        f.write(b"\0" * 100)
    a_file = tmp_path / "plain-file"
    a_file.write_text("x")
    cases = {
        # name: (journal path, words the line must hold)
        "read-only directory": (str(READ_ONLY_DIR / "j.sqlite"), ("j.sqlite", "writable")),
        "parent is a file": (str(a_file / "j.sqlite"), ("j.sqlite", "--journal")),
        "garbage file": (str(garbage), (str(garbage), "damaged")),
        "truncated file": (str(truncated), (str(truncated), "damaged")),
        "header zeroed": (str(header_gone), (str(header_gone), "damaged")),
        "a directory": (str(tmp_path), (str(tmp_path), "--journal")),
    }
    commands, labels = [], []
    for name, (path, words) in cases.items():
        commands.append(["backtest", str(crash_recording), "--journal", path, "--json"])
        labels.append(("open via backtest", name, {2}, words))
        commands.append(["demo", "--journal", path, "--warmup", "0"])
        labels.append(("open via demo", name, {2}, words))
        commands.append(["journal", "--journal", path])
        labels.append(("open via journal", name, {1, 2}, (path,)))
    results = run_in_one(commands, per_case_timeout=30)
    bad: list = []
    for (cls, name, rc, words), r in zip(labels, results, strict=True):
        _check(f"{CLASS} {cls}", name, r, rc, words, bad, lost=r.rc == 0)
    assert not bad, bad
    # the damaged files are left exactly as they were: nothing "repaired" them into an empty journal
    assert garbage.stat().st_size == 64 * 1024


def test_unwritable_home_default_journal_path(tmp_path):
    env = {"HOME": "/dev/null", "XDG_DATA_HOME": ""}  # ~/.local/share cannot be created under a device
    results = run_all([cli("journal"), cli("run", "--venues", "binance", "--endpoint", "binance=ws://127.0.0.1:9")],
                      timeout=30, env=env, parallel=2)
    bad: list = []
    _check(f"{CLASS} open via journal", "unwritable HOME", results[0], {1}, ("/dev/null",), bad)
    _check(f"{CLASS} open via run", "unwritable HOME", results[1], {2}, ("/dev/null", "--journal"), bad)
    assert not bad, bad


def test_a_locked_journal_is_one_line_not_a_wait_forever(tmp_path, good_journal, crash_recording):
    """Another connection holds an exclusive lock, on a rollback-journal file and on a WAL file; the
    four commands run at once, so the suite waits out the busy timeout once."""
    holders, commands = [], []
    for mode in ("DELETE", "WAL"):
        path = _copy(good_journal, tmp_path / f"locked-{mode}.sqlite")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute(f"PRAGMA journal_mode = {mode}")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("INSERT INTO feed_states VALUES (0, 0, 'x', 'y', 'held')")
        holders.append((holder, path))
        commands += [cli("backtest", str(crash_recording), "--journal", str(path), "--json"), cli("journal", "--journal", str(path))]
    try:
        results = run_all(commands, timeout=40, parallel=4)
    finally:
        for holder, _ in holders:
            holder.execute("ROLLBACK")
            holder.close()
    (_, rollback), (_, wal) = holders
    bad: list = []
    _check(f"{CLASS} locked", "backtest, rollback journal", results[0], {2}, (str(rollback), "another process"), bad)
    _check(f"{CLASS} locked", "journal, rollback journal", results[1], {2}, (str(rollback), "another process"), bad)
    _check(f"{CLASS} locked", "backtest, WAL", results[2], {2}, (str(wal), "another process"), bad)
    # WAL readers are not blocked by a writer: the report is read from the last commit, exit 0, nothing on stderr
    record(f"{CLASS} locked", outcome_of(results[3].rc, results[3].err, 0, max_lines=0))
    assert results[3].rc == 0 and results[3].err == "" and results[3].out, results[3]
    assert not bad, bad


def test_corrupt_middle_pages_are_reported_by_quick_check(tmp_path, good_journal):
    path = _copy(good_journal, tmp_path / "middle.sqlite")
    page = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    pages = path.stat().st_size // page
    assert pages > 20
    with open(path, "r+b") as f:
        for n in (pages // 3, pages // 2, 2 * pages // 3):
            f.seek(n * page + 8)
            f.write(b"\xa5" * (page - 16))
    (r,) = run_in_one([["journal", "--journal", str(path)]])
    bad: list = []
    _check(f"{CLASS} damaged", "middle pages", r, {1}, (str(path), "damaged", "quick_check", "recover"), bad)
    assert not bad, bad
    assert r.out == ""  # no report read from a damaged file as if it were whole
    # a sound copy still reports, with exit 0
    (ok,) = run_in_one([["journal", "--journal", str(good_journal)]])
    assert ok.rc == 0 and ok.err == "" and ok.out


def test_a_failing_writer_is_counted_and_said_in_one_line(tmp_path):
    """The console reads Journal.failing (header: JOURNAL FAILING n) and Journal.fault_line()."""
    j = Journal(tmp_path / "w.sqlite", SimClock(T0))
    j.open_session("watch", ["sim"], __import__("core.config", fromlist=["Config"]).Config(), "sim")
    assert j.failing == 0 and j.fault_line() == ""
    with j._lock:
        n = j._conn.execute("PRAGMA page_count").fetchone()[0]
        j._conn.execute(f"PRAGMA max_page_count = {n + 1}")
    for i in range(3000):
        j.write("feed_states", {"ts": T0 + i, "venue": "sim", "state": "live", "reason": "x" * 200})
    j.flush()
    assert j.failing > 0
    line = j.fault_line()
    assert "\n" not in line and str(tmp_path / "w.sqlite") in line and "full" in line and "NOT written" in line
    written = j.query("SELECT COUNT(*) AS n FROM feed_states")[0]["n"]
    assert written + j.failing == 3000  # every row is either in the file or counted as lost
    j.close()
    record(f"{CLASS} write", "clean")


def test_journal_error_from_python_names_the_file_and_the_fix(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(JournalError) as e:
        Journal(bad, SimClock(T0))
    msg = str(e.value)
    assert "\n" not in msg and str(bad) in msg and "damaged" in msg and "--journal" in msg


def test_the_console_exits_1_after_its_journal_lost_rows(tmp_path):
    """`liqhunt demo --journal J` on a real pty with the journal capped at its empty size: the
    warm-up's entries cannot be written; `q` then `l` (leave the paper positions) quits, and the
    exit code and one line say so."""
    import pty
    import select as sel
    import signal
    import time

    path = tmp_path / "console.sqlite"
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real CLI, its journal connection capped (see FULL_DISK_CHILD)
        os.chdir(REPO)
        os.environ.update(PYTHONPATH=str(REPO), TERM="xterm-256color")
        os.execv(sys.executable, [sys.executable, "-c", FULL_DISK_CHILD, "demo", "--journal", str(path),
                                  "--mode", "auto", "--scenario", "crash", "--warmup", "160", "--no-mouse"])
    screen, deadline, sent_q, status = b"", time.monotonic() + 40, False, None
    try:
        while time.monotonic() < deadline:
            ready, _, _ = sel.select([fd], [], [], 0.1)
            if ready:
                try:
                    screen += os.read(fd, 65536)
                except OSError:
                    break
            if not sent_q and b"JOURNAL FAILING" in screen:
                os.write(fd, b"q")
                time.sleep(0.5)
                os.write(fd, b"l")  # positions are open: quit leaving them (when none, the q already quit)
                sent_q = True
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            status = None
        while status is None and time.monotonic() < deadline:  # the pty closed (EIO): the child is ending
            done, status = os.waitpid(pid, os.WNOHANG)
            status = status if done else None
            time.sleep(0.05)
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    text = screen.decode(errors="replace")
    rc = os.waitstatus_to_exitcode(status) if status is not None else None
    outcome = record(f"{CLASS} write", "hang" if rc is None else "clean" if rc == 1 and "NOT written" in text
                     and "Traceback" not in text else "lost" if rc == 0 else "crash")
    assert sent_q, "the header never said JOURNAL FAILING"
    assert outcome == "clean", (rc, text[-1500:])
