"""Run a command in a pseudo-terminal of a given size and account for what it writes.

`pty.fork`; the child sets the window size (TIOCSWINSZ) on its terminal and execs the command.
The parent reads the master side until the child exits or a deadline, timestamping each read,
and samples the child's CPU time from /proc/<pid>/stat. Everything the console draws (Textual
writes to the terminal, i.e. stderr on the pty) is counted, as an SSH link would carry it.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time
from dataclasses import dataclass, field

ALT_SCREEN = b"\x1b[?1049h"


@dataclass
class PtyRun:
    started: float  # perf_counter at spawn
    chunks: list[tuple[float, int]] = field(default_factory=list)  # (perf_counter, bytes)
    first_frame_s: float | None = None  # spawn → alt screen and every marker seen
    cpu_samples: list[tuple[float, float]] = field(default_factory=list)  # (perf_counter, cpu seconds)
    exit_status: int | None = None
    head: bytes = b""
    frame: bytes = b""  # everything written up to and including the first full frame
    seen: dict = field(default_factory=dict)  # marker -> found, while no full frame was seen

    def bytes_between(self, t0: float, t1: float) -> int:
        return sum(n for t, n in self.chunks if t0 <= t < t1)

    def cpu_between(self, t0: float, t1: float) -> float:
        before = [c for t, c in self.cpu_samples if t <= t0]
        after = [c for t, c in self.cpu_samples if t <= t1]
        if not after:
            return 0.0
        return after[-1] - (before[-1] if before else 0.0)


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def run_in_pty(
    argv: list[str],
    cols: int = 120,
    rows: int = 40,
    timeout_s: float = 60.0,
    markers: tuple[bytes, ...] = (),
    stop_after_frame: bool = False,
    env: dict | None = None,
    cwd: str | None = None,
    type_after_frame: bytes = b"",
) -> PtyRun:
    """`type_after_frame`: keys written to the terminal once the first full frame is seen (e.g. b"q"
    to quit); the run then lasts until the child exits or the deadline."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            if cwd:
                os.chdir(cwd)
            os.execvpe(argv[0], argv, env if env is not None else os.environ)
        finally:
            os._exit(127)
    run = PtyRun(started)
    buf = bytearray()
    deadline = started + timeout_s
    next_cpu = started
    try:
        while True:
            now = time.perf_counter()
            if now >= next_cpu:
                run.cpu_samples.append((now, _cpu_seconds(pid)))
                next_cpu = now + 0.25
            if now > deadline:
                break
            r, _, _ = select.select([fd], [], [], 0.05)
            if not r:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    run.exit_status = status
                    pid = 0
                    break
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            t = time.perf_counter()
            run.chunks.append((t, len(data)))
            if run.first_frame_s is None:
                buf += data
                if ALT_SCREEN in buf and all(m in buf for m in markers):
                    run.first_frame_s = t - started
                    run.head = bytes(buf[:4096])
                    run.frame = bytes(buf)
                    buf = bytearray()
                    if stop_after_frame:
                        break
                    if type_after_frame:
                        os.write(fd, type_after_frame)
        if run.first_frame_s is None:
            run.seen = {m.decode(errors="replace"): m in buf for m in (ALT_SCREEN, *markers)}
            run.head = bytes(buf[:2000])
    finally:
        if pid:
            run.cpu_samples.append((time.perf_counter(), _cpu_seconds(pid)))
            try:
                os.kill(pid, signal.SIGTERM)
                for _ in range(50):
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done:
                        run.exit_status = status
                        break
                    time.sleep(0.05)
                else:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(fd)
    return run
