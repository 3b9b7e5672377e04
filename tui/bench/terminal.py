"""Terminal bandwidth and CPU share: the console at 1k events/s in a 120×40 pseudo-terminal.

`tui.bench.console_runner` (the real app, a paced crash stream) runs under `tui.bench.pty_harness`;
bytes read from the pty master are what an SSH link would carry. The steady-state window starts
`warm_s` after the first full frame (so the first paint is not averaged in) and lasts
`measure_s`. Truecolor (COLORTERM=truecolor, the largest encoding) unless told otherwise.
"""

from __future__ import annotations

import os
import sys

from tui.bench.pty_harness import run_in_pty

ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)  # holds tui/: `-m tui...` resolves in a checkout
MARKERS = (b"liqhunt", b" Tape ", b" Windows ")  # header and two pane titles: the first complete paint


def console_env(colorterm: str = "truecolor") -> dict:
    env = dict(os.environ)
    env.update(TERM="xterm-256color", COLORTERM=colorterm, LANG=env.get("LANG", "C.UTF-8"))
    env.pop("NO_COLOR", None)
    env.pop("TEXTUAL", None)
    return env


def run(
    rate: float = 1000.0,
    measure_s: float = 30.0,
    warm_s: float = 3.0,
    cols: int = 120,
    rows: int = 40,
    colorterm: str = "truecolor",
) -> dict:
    seconds = warm_s + measure_s + 1.0
    argv = [sys.executable, "-m", "tui.bench.console_runner", "--rate", str(rate), "--seconds", str(seconds)]
    r = run_in_pty(argv, cols, rows, timeout_s=seconds + 60.0, markers=MARKERS, env=console_env(colorterm), cwd=ROOT)
    if r.first_frame_s is None:
        return {
            "error": f"no full frame seen (markers {r.seen}, exit status {r.exit_status})",
            "bytes_total": sum(n for _, n in r.chunks),
            "head": r.head[:600].decode(errors="replace"),
        }
    t0 = r.started + r.first_frame_s + warm_s
    t1 = t0 + measure_s
    nbytes = r.bytes_between(t0, t1)
    cpu = r.cpu_between(t0, t1)
    return {
        "rate_events_per_s": rate,
        "size": f"{cols}x{rows}",
        "colorterm": colorterm,
        "measure_s": measure_s,
        "bytes": nbytes,
        "kb_per_s": round(nbytes / measure_s / 1024, 1),
        "cpu_share": round(cpu / measure_s, 3),  # of one core
        "first_frame_s": round(r.first_frame_s, 3),
        "first_second_bytes": r.bytes_between(r.started, r.started + r.first_frame_s + 1.0),
    }
