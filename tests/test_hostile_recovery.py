"""Crash recovery that is true: `kill -9` of a demo or a replay with open positions, then a restart
on the same journal. Positions come back only into the same source and only forward in time; a
simulator or a replay that starts over gets none of them (one line says so, the rows are kept and
set aside), no stop fires on earlier prices, no negative hold time, no invented loss, no refusal to
arm. Real SQLite, real processes, the composition root the commands use (tui/commands/_console.py)."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.config import with_playbook
from core.clock import SimClock
from core.config import Config
from core.events import event_to_dict
from core.journal import Journal
from core.journal.identity import live_identity, replay_identity, sim_identity
from core.journal.recovery import recover
from core.recording import RecordingWriter
from core.sim.market_sim import Simulator
from core.sources import ReplaySource, SimSource
from tests.builders import BTC, T0, feed, make_engine, run_until, scripted_cascade
from tests.hostile_proc import REPO
from tests.hostile_report import record

CLASS = "recovery"
WAIT_S = 60.0

# The child: `liqhunt demo --mode auto --scenario crash --warmup W --journal J` or `liqhunt replay FILE
# --mode auto --journal J` up to the moment positions are open, built by the same composition root
# (build_session) the commands use; says READY with the open positions, then waits to be killed.
CHILD = r"""
import argparse, asyncio, json, sys, time
from core.config import with_playbook
from core.config import Config
from tests.test_hostile_recovery import start
kind, path, what, warm = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
session, source = start(kind, path, what, warm)
eng = session.engine
async def until_open():
    task = asyncio.create_task(source.run(eng))
    while len(eng.positions) < 2 and not source.finished:
        await asyncio.sleep(0.02)
    task.cancel()
if kind == "replay":
    asyncio.run(until_open())
session.journal.flush()
print("READY " + json.dumps({"open": len(eng.positions), "now": eng.now}), flush=True)
while True:
    time.sleep(0.05)
"""


def start(kind: str, path: str, what: str, warm: float):
    """What `demo` / `replay` build before the screen opens (tui/commands/{demo,replay}_cmd.py)."""
    from tui.commands._console import build_session

    args = argparse.Namespace(journal=path)
    cfg = with_playbook(Config(), "both")
    if kind == "demo":
        sim = Simulator("crash", seed=int(what), markets=20)
        clock = SimClock(sim.start_ts)
        source = SimSource(sim, clock, speed=1.0, warmup_s=warm)
        session = build_session(cfg, clock, sim.instruments(), "auto", args, source_label="sim", venues=["sim"],
                                source_id=sim_identity("crash", int(what), 20, sim.start_ts), before_restore=source.warm_up)
    else:
        source = ReplaySource(Path(what), speed=400.0)
        session = build_session(cfg, source.clock, source.instruments, "auto", args, source_label="replay", venues=["replay"],
                                source_id=replay_identity(source.recording.paths))
    return session, source


def kill_minus_9(kind: str, path: Path, what: str, warm: float = 0.0) -> dict:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(path), what, str(warm)], cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + WAIT_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                line = proc.stdout.readline()
                if line.startswith("READY "):
                    os.kill(proc.pid, signal.SIGKILL)
                    assert proc.wait(10) == -signal.SIGKILL
                    return json.loads(line[6:])
                if not line and proc.poll() is not None:
                    break
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    pytest.fail(f"child never became READY: {proc.stderr.read()[-2000:]}")


def db_rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


@pytest.fixture(scope="module")
def two_recordings(tmp_path_factory) -> tuple[Path, Path]:
    out = []
    for seed in (7, 11):
        p = tmp_path_factory.mktemp("rec") / f"crash-{seed}.jsonl"
        with RecordingWriter(p) as w:
            for ev in Simulator("crash", seed=seed, markets=6).run(15 * 60):
                w.write(ev.ts_recv, "sim", event_to_dict(ev))
        out.append(p)
    return out[0], out[1]


def test_demo_killed_with_open_positions_restarts_without_invented_losses(tmp_path, capsys):
    path = tmp_path / "demo.sqlite"
    before = kill_minus_9("demo", path, "7", warm=160)  # crash seed 7: three positions open at 00:02:40
    assert before["open"] >= 2
    kept = db_rows(path, "SELECT key, entry_ts FROM positions_open ORDER BY key")
    assert len(kept) == before["open"]

    session, _ = start("demo", str(path), "7", 20)  # the default warm-up: this run starts over at 00:00:20
    eng, j = session.engine, session.journal
    note = capsys.readouterr().err.strip()
    assert session.restored == [] and eng.positions == {}
    assert "\n" not in note and f"{len(kept)} open position(s)" in note and "starts over" in note and str(path) in note
    assert session.recovery_note in note
    # nothing invented: no trade, no loss carried into this run, and it can arm
    assert eng.risk.realised_today == 0 and not eng.risk.killed and eng.risk.trades_today == {}
    j.close()
    # the rows are kept (set aside, with the session that refused them), never deleted
    assert db_rows(path, "SELECT key, entry_ts FROM positions_open ORDER BY key") == kept
    assert {r[0] for r in db_rows(path, "SELECT set_aside_by FROM positions_open")} == {2}
    assert db_rows(path, "SELECT COUNT(*) FROM trades WHERE exit_ts < entry_ts") == [(0,)]

    # the next start has nothing to say: they were reported once
    session3, _ = start("demo", str(path), "7", 20)
    assert session3.recovery_note == "" and capsys.readouterr().err == ""
    session3.journal.close()
    record(CLASS, "clean")


def test_a_different_simulated_world_gets_nothing_and_says_nothing(tmp_path, capsys):
    path = tmp_path / "demo.sqlite"
    kill_minus_9("demo", path, "7", warm=160)
    session, _ = start("demo", str(path), "8", 20)  # another seed: another world
    assert session.restored == [] and session.recovery_note == "" and capsys.readouterr().err == ""
    assert session.engine.risk.realised_today == 0 and not session.engine.risk.killed
    session.journal.close()
    assert db_rows(path, "SELECT COUNT(*) FROM positions_open WHERE set_aside_by IS NULL") == [(len(db_rows(path, "SELECT 1 FROM positions_open")),)]
    record(CLASS, "clean")


def test_two_replay_files_sharing_a_journal_never_trade_each_others_positions(tmp_path, two_recordings, capsys):
    a, b = two_recordings
    path = tmp_path / "replay.sqlite"
    before = kill_minus_9("replay", path, str(a))
    assert before["open"] >= 1
    open_a = db_rows(path, "SELECT key FROM positions_open")

    session, source = start("replay", str(path), str(b), 0)  # another recording: none of A's positions
    assert session.restored == [] and session.recovery_note == "" and capsys.readouterr().err == ""
    assert session.engine.risk.realised_today == 0 and not session.engine.risk.killed
    source.speed = 3000.0  # B only has to reach its end
    asyncio.run(_play(source, session.engine))  # B plays to its end: A's positions never meet B's prices
    session.journal.close()
    assert db_rows(path, "SELECT key FROM positions_open WHERE session_id = 1") == open_a
    assert db_rows(path, "SELECT COUNT(*) FROM trades WHERE session_id = 2 AND position_key LIKE 's1:%'") == [(0,)]

    # A again: it starts over, so A's positions are set aside with one line, not stopped out
    session3, _ = start("replay", str(path), str(a), 0)
    note = capsys.readouterr().err.strip()
    assert session3.restored == [] and "\n" not in note and "starts over" in note and a.name in note
    assert session3.engine.risk.realised_today == 0 and not session3.engine.risk.killed
    session3.journal.close()
    assert db_rows(path, "SELECT COUNT(*) FROM trades WHERE exit_ts < entry_ts") == [(0,)]
    record(CLASS, "clean")


async def _play(source, engine) -> None:
    await asyncio.wait_for(source.run(engine), 60)  # run() returns once the recording has ended


def test_an_edited_recording_is_another_source(tmp_path, two_recordings):
    a, _ = two_recordings
    copy = tmp_path / a.name
    copy.write_bytes(a.read_bytes())
    assert replay_identity([copy]) != replay_identity([a])  # another path
    edited = tmp_path / "edited.jsonl"
    edited.write_bytes(a.read_bytes() + b"\n")
    same_place = replay_identity([edited])
    edited.write_bytes(a.read_bytes())
    assert replay_identity([edited]) != same_place  # same path, other bytes
    record(CLASS, "clean")


def _live_session(path: Path, start: float, venues: list[str], broker: str = "paper"):
    eng, clock = make_engine("auto", start=start)
    j = Journal(path, clock)
    j.open_session("auto", venues, eng.cfg, "live", broker=broker, source_id=live_identity(venues, broker))
    return eng, clock, j


def test_live_positions_come_back_only_to_the_same_venues_and_broker_and_never_backwards(tmp_path):
    path = tmp_path / "live.sqlite"
    eng, clock, j = _live_session(path, T0, ["binance", "bybit"])
    j.attach(eng)
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 14])
    run_until(eng, clock, clock.now() + 1)
    pos = eng.positions[BTC]
    j.flush()
    j._closed = True  # a crash after the position is committed: the session is never ended
    j._writer.close()

    other, _, j2 = _live_session(path, T0 + 60, ["okx"])
    rec = recover(other, j2)
    assert rec.restored == [] and rec.note == ""  # other venues: not this position's source
    j2.close()
    paper_elsewhere, _, j3 = _live_session(path, T0 + 60, ["binance", "bybit"], broker="binance")
    assert recover(paper_elsewhere, j3).restored == []  # a real-money broker never adopts a paper position
    j3.close()
    back, _, j4 = _live_session(path, T0 - 3600, ["bybit", "binance"])  # the clock went backwards
    rec = recover(back, j4)
    assert rec.restored == [] and "later than this clock" in rec.note and "\n" not in rec.note
    j4.close()
    same, clock5, j5 = _live_session(path, T0 + 60, ["bybit", "binance"])
    rec = recover(same, j5)
    (restored,) = rec.restored
    assert restored.stop_price == pos.stop_price and restored.entry_ts <= clock5.now()
    # restored, not yet acted on: nothing exits before reconciliation and the first new price
    assert same.positions[BTC] is restored and same.trades == []
    assert same.risk.trades_today[BTC] == 1
    j5.close()
    assert db_rows(path, "SELECT COUNT(*) FROM trades WHERE exit_ts < entry_ts") == [(0,)]
    record(CLASS, "clean")
