"""Long commands draw a progress bar on stderr only when it is a terminal."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.progress import EVERY, Progress

ROOT = Path(__file__).resolve().parents[1]


def test_not_a_terminal_means_not_a_byte(tmp_path, capsys):
    out = tmp_path / "s.jsonl"
    assert main(["sim", "--minutes", "10", "--markets", "5", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("sim normal") and "\x1b" not in err  # only the summary line
    assert main(["backtest", str(out)]) == 0
    assert capsys.readouterr().err == ""


def test_a_forced_bar_shows_label_count_and_receive_time():
    buf = io.StringIO()
    with Progress("backtest", stream=buf, force=True) as p:
        for i in range(EVERY * 2):
            p.tick(1_767_225_600.0 + i)
    text = buf.getvalue()
    assert "backtest" in text and "8192" in text.replace(",", "") and "2026-01-01" in text


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pty")
def test_on_a_terminal_the_backtest_draws_its_bar_on_stderr(tmp_path):
    out = tmp_path / "s.jsonl"
    assert main(["sim", "--minutes", "20", "--markets", "10", "--out", str(out)]) == 0
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "backtest", str(out), "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    os.close(slave)
    seen = b""
    stdout = proc.communicate(timeout=120)[0]
    while select.select([master], [], [], 0.5)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.returncode == 0 and stdout.startswith(b"{")  # the report itself stays clean
    assert b"backtest" in seen and b"lines" in seen
