"""SIGTERM and SIGKILL on the console process itself (`liqhunt demo --mode auto --journal`),
run in a pseudo-terminal mid-trade. The journal's own child-process tests cover the engine +
journal; these cover the console's signal handlers and the restart from what it left behind."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from core.clock import SimClock
from core.config import dump_config
from core.engine import Engine
from core.journal import Journal, restore_into
from tests.faults.console import trading_config
from tests.faults.report import FaultRow, naked_positions, record

pytestmark = pytest.mark.slow  # a real console in a pty, signalled mid-trade

REPO = Path(__file__).resolve().parent.parent
WAIT_S = 30.0


def _rows(path: Path, sql: str) -> list[tuple]:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return []


def _start_console(tmp_path: Path) -> tuple[subprocess.Popen, int, Path]:
    cfg = tmp_path / "liqhunt.toml"
    cfg.write_text(dump_config(trading_config()))
    journal = tmp_path / "journal.sqlite"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 110, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="110", LINES="30")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "demo",
            "--scenario",
            "crash",
            "--speed",
            "20",
            "--warmup",
            "120",
            "--markets",
            "6",
            "--mode",
            "auto",
            "--config",
            str(cfg),
            "--journal",
            str(journal),
        ],
        cwd=REPO,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    return proc, master, journal


def _drain(master: int, until: float, cond) -> bytes:
    """Read the console's screen output (so it never blocks on a full pty) until `cond(output)` or the deadline."""
    out = b""
    while time.monotonic() < until and not cond(out):
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                out += os.read(master, 65536)
            except OSError:
                break
    return out[-4000:]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_signal_mid_trade_on_the_console_keeps_every_position_and_its_stop(tmp_path, sig):
    name = signal.Signals(sig).name
    row = record(FaultRow(f"{name} on the console mid-trade", injected=1))
    proc, master, journal = _start_console(tmp_path)
    try:
        screen = _drain(
            master,
            time.monotonic() + WAIT_S,
            lambda out: (
                proc.poll() is not None
                or (
                    b"Risk" in out
                    and b"Positions" in out
                    and _rows(journal, "SELECT COUNT(*) FROM positions_open") not in ([], [(0,)])
                )
            ),
        )
        # the console is up and a position is committed: the signal lands mid-session, now
        open_rows = _rows(journal, "SELECT market, side, entry_price, stop_price FROM positions_open")
        assert proc.poll() is None, screen.decode(errors="replace")
        assert open_rows, "no position opened in time"
        os.kill(proc.pid, sig)
        deadline = time.monotonic() + 15
        _drain(master, deadline, lambda out: proc.poll() is not None)
        rc = proc.wait(max(0.1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(master)

    ended = _rows(journal, "SELECT ended_ts FROM sessions")
    if sig == signal.SIGTERM:
        # the console left as asked (exit 128 + SIGTERM: only `q` is a clean exit, tui/lifecycle.py),
        # with the journal flushed and closed
        assert rc == 128 + signal.SIGTERM
        assert ended and ended[0][0] is not None
    else:
        assert rc == -signal.SIGKILL and ended and ended[0][0] is None
    kept = _rows(journal, "SELECT market, stop_price FROM positions_open")
    assert kept, "the open position(s) must still be in the journal"
    # restart: a new session restores every position with its stop
    eng = Engine(trading_config(), SimClock(time.time()), mode="watch")
    j = Journal(journal, eng.clock)
    j.open_session("watch", ["sim"], eng.cfg, "sim")
    restored = restore_into(eng, j)
    j.close()
    row.survived = True
    row.positions = len(restored)
    row.naked = len(naked_positions(eng.positions.values()))
    assert {p.market: p.stop_price for p in restored} == dict(kept)
    assert row.naked == 0
