"""Run a console command on a real pseudo-terminal, then take the terminal away.

`spawn` starts ``python -m tui.cli ARGS`` with stdin/stdout/stderr on a pty slave (its own
session, so the pty is its controlling terminal when `controlling` is set), reads the master
until the screen has drawn, and returns the process and the master fd.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _child_setup_ctty() -> None:
    # make the pty (our stdin) the controlling terminal of the new session, so closing the master
    # also sends SIGHUP, as a real terminal emulator or sshd does
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def spawn(
    args: list[str], controlling: bool = False, cols: int = 100, rows: int = 30, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, int]:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    e = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "TEXTUAL_ANIMATIONS": "none", **(env or {})}
    e.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env=e,
        close_fds=True,
        preexec_fn=_child_setup_ctty if controlling else None,
        start_new_session=not controlling,
    )
    os.close(slave)
    return proc, master


def read_until(master: int, needle: bytes, timeout: float = 30.0) -> bytes:
    """Read the screen until `needle` appears (the app has drawn), answering nothing."""
    buf = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if needle in buf:
                return buf
    raise AssertionError(f"the console did not draw {needle!r} within {timeout} s; got {buf[-300:]!r}")


def drain(master: int, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                if not os.read(master, 65536):
                    return
            except OSError:
                return


def wait_gone(proc: subprocess.Popen, timeout: float, master: int | None = None) -> float | None:
    """Seconds until the process exited, or None (then it is killed). With `master`, the screen
    keeps being read meanwhile, as a live terminal would."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            return time.monotonic() - t0
        if master is not None:
            drain(master, 0.05)
        else:
            time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(5)
    return None


def last_session(journal: Path) -> dict:
    conn = sqlite3.connect(journal)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM sessions ORDER BY id DESC LIMIT 1").fetchone()
        return dict(row) if row else {}
    finally:
        conn.close()
