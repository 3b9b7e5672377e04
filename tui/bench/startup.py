"""Start-up: seconds from the command to the first full frame, in a 120×40 pseudo-terminal.

A full frame is the alternate screen plus the header ("liqhunt") and the pane titles in the
bytes written, i.e. the first complete paint. Measured for the real `liqhunt demo` (which first
runs `--warmup` simulated seconds so the screen opens on a populated market; 300 by default)
and with `--warmup 0`, plus the bare `import tui.app` time. Median of `repeats`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

from tui.bench.pty_harness import run_in_pty
from tui.bench.terminal import MARKERS, ROOT, console_env


def _liqhunt() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "liqhunt")
    if os.path.exists(exe):
        return [exe]
    found = shutil.which("liqhunt")
    return [found] if found else [sys.executable, "-m", "tui.cli"]


def first_frame(argv: list[str], repeats: int = 3, cols: int = 120, rows: int = 40) -> dict:
    times = []
    for _ in range(repeats):
        r = run_in_pty(
            argv, cols, rows, timeout_s=30.0, markers=MARKERS, stop_after_frame=True, env=console_env(), cwd=ROOT
        )
        if r.first_frame_s is not None:
            times.append(r.first_frame_s)
    return {
        "command": " ".join(["liqhunt", *argv[1:]]) if argv[0].endswith("liqhunt") else " ".join(argv),
        "runs": len(times),
        "median_s": round(statistics.median(times), 3) if times else None,
        "max_s": round(max(times), 3) if times else None,
    }


def import_time(module: str = "tui.app", repeats: int = 3) -> float:
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    vals = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout)
        for _ in range(repeats)
    ]
    return round(statistics.median(vals), 3)


def run(repeats: int = 3) -> dict:
    cmd = _liqhunt()
    t0 = time.perf_counter()
    demo = first_frame([*cmd, "demo"], repeats)
    demo0 = first_frame([*cmd, "demo", "--warmup", "0"], repeats)
    return {
        "demo": demo,
        "demo_no_warmup": demo0,
        "import_tui_app_s": import_time("tui.app", repeats),
        "bench_wall_s": round(time.perf_counter() - t0, 1),
    }
