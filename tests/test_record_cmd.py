"""`liqhunt record` round trip: a local server plays Binance, the command records, the file reads back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from websockets.asyncio.server import serve

from core.cli import main
from core.recording import RecordedLine, read_recording

ROOT = Path(__file__).resolve().parents[1]


NOW_MS = int(time.time() * 1000)  # exchange times near our receive time, or validation rejects them as stale


def force_order(i: int) -> str:
    return json.dumps(
        {
            "stream": "!forceOrder@arr",
            "data": {
                "e": "forceOrder",
                "E": NOW_MS + 2 + i,
                "o": {
                    "s": "BTCUSDT",
                    "S": "SELL",
                    "o": "LIMIT",
                    "f": "IOC",
                    "q": f"0.{i + 1:03d}",
                    "p": "26142.12",
                    "ap": "26245.10",
                    "X": "FILLED",
                    "l": "0.001",
                    "z": f"0.{i + 1:03d}",
                    "T": NOW_MS + i,
                },
            },
        }
    )


FRAMES = [force_order(i) for i in range(20)] + ["not json at all"]


class ThreadedVenue:
    """The local Binance stand-in runs in its own thread and loop: the command under test owns the main one."""

    def __init__(self) -> None:
        self.sent = threading.Event()
        self.paths: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),), daemon=True)

    async def _play(self, ws) -> None:
        self.paths.append(ws.request.path)
        for frame in FRAMES:
            await ws.send(frame)
        self.sent.set()
        await ws.wait_closed()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self._play, "127.0.0.1", 0) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> ThreadedVenue:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def record_args(out: Path, port: int, cache: Path) -> list[str]:
    return [
        "record",
        "--venues",
        "binance",
        "--out",
        str(out),
        "--cache-dir",
        str(cache),
        "--endpoint",
        f"binance=ws://127.0.0.1:{port}",
        "--rest-endpoint",
        f"binance=http://127.0.0.1:{dead_port()}",
    ]


def test_record_writes_every_frame_once_with_its_receive_time(tmp_path, capsys):
    out = tmp_path / "binance.jsonl"
    before = time.time()
    with ThreadedVenue() as venue:
        code = main(record_args(out, venue.port, tmp_path / "cache") + ["--minutes", "0.03"])
        assert venue.sent.is_set()
    after = time.time()

    assert code == 0
    lines = list(read_recording(out))
    assert all(isinstance(line, RecordedLine) for line in lines)
    assert [line.msg for line in lines] == FRAMES  # each frame once, in order, byte for byte
    assert {line.venue for line in lines} == {"binance"}
    stamps = [line.ts for line in lines]
    assert stamps == sorted(stamps) and before <= stamps[0] and stamps[-1] <= after
    printed = capsys.readouterr().out
    assert f"recorded 21 frames to {out}" in printed
    assert "binance" in printed and "20 events, 1 unparsed, 0 rejected" in printed
    assert venue.paths == ["/market/stream?streams=!forceOrder@arr/!markPrice@arr@1s"]


def test_sigterm_stops_recording_and_closes_the_gzip_cleanly(tmp_path):
    out = tmp_path / "binance.jsonl.gz"
    with ThreadedVenue() as venue:
        proc = subprocess.Popen(
            [sys.executable, "-m", "core.cli", *record_args(out, venue.port, tmp_path / "cache")],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            assert venue.sent.wait(10), "the recorder never connected"
            time.sleep(0.5)  # let the last frames land in the recorder
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()

    assert proc.returncode == 0, stderr
    assert "recorded 21 frames" in stdout
    assert [line.msg for line in read_recording(out)] == FRAMES  # a truncated gzip would raise here


def test_unknown_venue_is_a_usage_error(tmp_path, capsys):
    assert main(["record", "--venues", "binance,nasdaq", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "unknown venue(s) nasdaq" in capsys.readouterr().err


def test_recorded_session_round_trips_through_normalize_and_backtest(tmp_path, capsys):
    out = tmp_path / "binance.jsonl"
    with ThreadedVenue() as venue:
        assert main(record_args(out, venue.port, tmp_path / "cache") + ["--minutes", "0.03"]) == 0
    capsys.readouterr()
    # the same parser on the frames as sent gives the events normalize must print
    from core.feeds.registry import make_parser

    parser = make_parser("binance")
    expected = []
    for line in read_recording(out):
        try:
            expected += parser.parse(line.msg, line.ts)
        except ValueError:
            pass
    assert len(expected) == 20
    assert main(["normalize", str(out)]) == 0
    printed, err = capsys.readouterr()
    events = [json.loads(x) for x in printed.splitlines()]
    assert [(e["kind"], e["side"], e["qty"], e["usd"], e["ts_recv"]) for e in events] == [
        ("liquidation", ev.side, ev.qty, ev.usd, ev.ts_recv) for ev in expected
    ]
    assert all(e["side"] == "long" for e in events)  # Binance SELL force orders close longs
    assert "line 21:" in err  # the malformed frame is reported with its line number, nothing else lost
    assert main(["backtest", str(out), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["events"] == 20 and rep["bad_lines"] == 1
