"""Run `liqhunt` command lines in-process (fast) or as subprocesses in parallel (real exit codes,
real stderr), recording each in the hostile ledger."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    code: int | None  # None: did not finish in time
    out: str
    err: str
    exception: BaseException | None = None

    @property
    def one_line_error(self) -> bool:
        lines = [ln for ln in self.err.splitlines() if ln.strip() and not ln.startswith("usage:")]
        return len(lines) >= 1 and "Traceback" not in self.err


def run_inprocess(argv: list[str], timeout: float = 20.0) -> Outcome:
    """main(argv) on a thread, stdout/stderr captured; a hang is reported, not waited for."""
    from tui.cli import main

    result: dict = {}
    out, err = io.StringIO(), io.StringIO()

    def target() -> None:
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                result["code"] = main(argv)
        except SystemExit as exc:
            result["code"] = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # a crash: the ledger counts it
            result["exc"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        return Outcome(None, out.getvalue(), err.getvalue())
    return Outcome(result.get("code"), out.getvalue(), err.getvalue(), result.get("exc"))


def run_parallel(
    cmds: dict[str, list[str]], timeout: float = 40.0, env: dict[str, str] | None = None
) -> dict[str, Outcome]:
    """Each command line as `python -m tui.cli ...`, all at once; hangs are killed and reported."""
    e = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    procs = {
        k: subprocess.Popen(
            [sys.executable, "-m", "tui.cli", *argv],
            cwd=ROOT,
            env=e,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k, argv in cmds.items()
    }
    results = {}
    for k, p in procs.items():
        try:
            out, err = p.communicate(timeout=timeout)
            results[k] = Outcome(p.returncode, out, err)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            results[k] = Outcome(None, out, err)
    return results
