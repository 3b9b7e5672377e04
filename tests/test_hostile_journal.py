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
        data[p * page:(p + 1) * page] = os.urandom(page)
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
        r = subprocess.run([sys.executable, "-m", "tui.cli", "backtest", str(rec), "--journal", str(j)], cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60,
                           preexec_fn=_file_size_limit(limit), check=False)
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
