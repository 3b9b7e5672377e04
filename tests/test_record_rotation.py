"""`record --out-dir`: one file per venue per hour (or size) in DIR/<venue>/<day>/, each closed cleanly."""

from __future__ import annotations

import gzip
import json

from core.cli import main
from core.recording import BadLine, RecordedLine, RotatingWriter, read_recording
from core.recording_set import RecordingSet
from tests.test_record_cmd import FRAMES, ThreadedVenue, dead_port

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def test_files_rotate_on_the_hour_by_venue_and_day_and_each_is_a_complete_gzip(tmp_path):
    instruments = {"instruments": [{"venue": "bybit", "market": "BTC-USDT-PERP", "symbol": "BTCUSDT"}]}
    with RotatingWriter(tmp_path) as w:
        w.write(T0 - 10, "bybit", instruments)
        for k in range(0, 3 * 3600, 600):  # three hours, both venues
            w.write(T0 - 5 + k, "binance", f"frame {k}")
            w.write(T0 - 5 + k, "bybit", f"frame {k}")
        w.flush()
    names = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.jsonl.gz"))
    assert names == [
        "binance/2025-12-31/binance-20251231T23.jsonl.gz",
        "binance/2026-01-01/binance-20260101T00.jsonl.gz",
        "binance/2026-01-01/binance-20260101T01.jsonl.gz",
        "binance/2026-01-01/binance-20260101T02.jsonl.gz",
        "bybit/2025-12-31/bybit-20251231T23.jsonl.gz",
        "bybit/2026-01-01/bybit-20260101T00.jsonl.gz",
        "bybit/2026-01-01/bybit-20260101T01.jsonl.gz",
        "bybit/2026-01-01/bybit-20260101T02.jsonl.gz",
    ]
    for p in tmp_path.rglob("*.jsonl.gz"):
        gzip.decompress(p.read_bytes())  # a cleanly closed gzip: no EOFError
        first = next(iter(read_recording(p)))
        if "bybit" in p.name:  # every bybit file starts with the instrument list, so it replays alone
            assert first.msg == instruments
    lines = [x for p in sorted(tmp_path.rglob("*.jsonl.gz")) for x in read_recording(p) if isinstance(x, RecordedLine)]
    assert sum(1 for x in lines if isinstance(x.msg, str)) == 2 * 18  # every frame written once


def test_size_rotation_starts_a_new_part_within_the_hour(tmp_path):
    with RotatingWriter(tmp_path, max_bytes=2_000) as w:
        for k in range(100):
            w.write(T0 + k, "okx", "x" * 50)
    parts = sorted(p.name for p in (tmp_path / "okx" / "2026-01-01").iterdir())
    assert parts[0] == "okx-20260101T00.jsonl.gz" and parts[1] == "okx-20260101T00_001.jsonl.gz" and len(parts) >= 4
    files = RecordingSet.open(str(tmp_path)).paths  # the order a reading command takes them in
    lines = [x for p in files for x in read_recording(p)]
    assert all(isinstance(x, RecordedLine) for x in lines) and [x.ts for x in lines] == [T0 + k for k in range(100)]


def test_record_out_dir_writes_a_folder_every_reading_command_takes(tmp_path, capsys):
    out = tmp_path / "rec"
    with ThreadedVenue() as venue:
        code = main(
            [
                "record",
                "--venues",
                "binance",
                "--out-dir",
                str(out),
                "--cache-dir",
                str(tmp_path / "cache"),
                "--endpoint",
                f"binance=ws://127.0.0.1:{venue.port}",
                "--rest-endpoint",
                f"binance=http://127.0.0.1:{dead_port()}",
                "--minutes",
                "0.03",
            ]
        )
    assert code == 0
    assert f"recorded {len(FRAMES)} frames to {out}" in capsys.readouterr().out
    files = list(out.rglob("*.jsonl.gz"))
    assert files and all(p.parent.parent.name == "binance" for p in files)
    assert main(["backtest", str(out), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["events"] == 20 and rep["bad_lines"] == 1


def test_rotate_options_are_checked(tmp_path, capsys):
    assert main(["record", "--venues", "binance", "--out", str(tmp_path / "x.jsonl"), "--rotate-mb", "5"]) == 2
    assert "--rotate-mb needs --out-dir" in capsys.readouterr().err
    assert main(["record", "--venues", "binance", "--out", str(tmp_path / "no" / "x.jsonl")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_kill_9_loses_nothing_already_flushed_in_the_open_hour(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "rec"
    with ThreadedVenue() as venue:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "core.cli",
                "record",
                "--venues",
                "binance",
                "--out-dir",
                str(out),
                "--cache-dir",
                str(tmp_path / "cache"),
                "--endpoint",
                f"binance=ws://127.0.0.1:{venue.port}",
                "--rest-endpoint",
                f"binance=http://127.0.0.1:{dead_port()}",
            ],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert venue.sent.wait(10), "the recorder never connected"
            deadline = time.monotonic() + 15
            lines: list = []
            while time.monotonic() < deadline:  # the recorder flushes every second: wait until it has
                files = list(out.rglob("*.jsonl.gz"))
                lines = [x for p in files for x in read_recording(p) if isinstance(x, RecordedLine)]
                if len(lines) == len(FRAMES):
                    break
                time.sleep(0.1)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
    files = list(out.rglob("*.jsonl.gz"))
    items = [x for p in files for x in read_recording(p)]
    assert [x.msg for x in items if isinstance(x, RecordedLine)] == FRAMES  # every flushed frame survives kill -9
    assert sum(isinstance(x, BadLine) for x in items) <= 1  # at most the one line saying where the open file stops
