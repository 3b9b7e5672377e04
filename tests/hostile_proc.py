"""Run many `liqhunt` invocations as real processes, a few at a time, each with a timeout: a hang
is a result (rc None), never a stuck test run."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Ran:
    args: list[str]
    rc: int | None  # None: killed after the timeout
    out: str
    err: str


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", *args]


def run_all(commands: list[list[str]], timeout: float = 20.0, env: dict | None = None, parallel: int = 4,
            stdin: str | None = None) -> list[Ran]:
    """Each command in its own process (cwd = the repo), `parallel` at a time, in order of the list."""
    base = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    results: list[Ran | None] = [None] * len(commands)
    pending = list(enumerate(commands))
    running: list[tuple[int, subprocess.Popen, float]] = []
    while pending or running:
        while pending and len(running) < parallel:
            i, cmd = pending.pop(0)
            p = subprocess.Popen(cmd, cwd=REPO, env=base, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, text=True, errors="replace")
            running.append((i, p, time.monotonic() + timeout))
        i, p, deadline = running.pop(0)
        try:
            out, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
            results[i] = Ran(commands[i], p.returncode, out, err)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            results[i] = Ran(commands[i], None, out, err)
    return results  # type: ignore[return-value]


# One child process runs many `liqhunt` argument lists through the real `main`, each with its own
# stdout/stderr and an alarm: a traceback escaping main is caught here and shown, so it counts as a
# crash; an alarm is a hang. Much cheaper than one interpreter start per case on a busy machine.
_BATCH_CHILD = r"""
import io, json, signal, sys, traceback, contextlib
from tui.cli import main
cases, limit = json.loads(sys.stdin.read()), float(sys.argv[1])
class Hang(BaseException): pass
def alarm(*_): raise Hang()
signal.signal(signal.SIGALRM, alarm)
out = []
for argv in cases:
    o, e = io.StringIO(), io.StringIO()
    rc = None
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
            try:
                rc = main(argv)
            except SystemExit as x:
                rc = x.code if isinstance(x.code, int) else (0 if x.code is None else 1)
    except Hang:
        rc = None
    except BaseException:
        e.write(traceback.format_exc())
        rc = 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    out.append({"rc": rc, "out": o.getvalue()[-4000:], "err": e.getvalue()[-4000:]})
sys.__stdout__.write(json.dumps(out))
"""


def run_in_one(cases: list[list[str]], per_case_timeout: float = 10.0, env: dict | None = None) -> list[Ran]:
    import json

    base = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    p = subprocess.run([sys.executable, "-c", _BATCH_CHILD, str(per_case_timeout)], cwd=REPO, env=base,
                       input=json.dumps(cases), capture_output=True, text=True,
                       timeout=per_case_timeout * len(cases) + 30, check=False)
    if p.returncode != 0:
        raise AssertionError(f"batch child failed ({p.returncode}): {p.stderr[-2000:]}")
    return [Ran(argv, r["rc"], r["out"], r["err"]) for argv, r in zip(cases, json.loads(p.stdout), strict=True)]
