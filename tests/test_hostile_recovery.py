"""Crash recovery that is true: positions come back only into the same source, and never into a
simulator or replay whose clock is behind them (that booked invented stops and negative holds)."""

from __future__ import annotations

from core.journal import Journal, restore_into
from core.journal.recovery import live_source_id, replay_source_id, sim_source_id
from tests.builders import BTC, T0, feed, make_engine, mark, run_until, scripted_cascade
from tests.hostile.ledger import case

SIM_A = sim_source_id("crash", 7, 20, T0)
SIM_B = sim_source_id("crash", 8, 20, T0)


def crashed_session(path, source="sim", source_id=SIM_A):
    """A session that opened a position on the scripted cascade and then died (never closed)."""
    eng, clock = make_engine("auto")
    j = Journal(path, clock)
    j.open_session("auto", ["sim"], eng.cfg, source, source_id=source_id)
    j.attach(eng)
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 14])
    run_until(eng, clock, clock.now() + 1)
    pos = eng.positions[BTC]
    j.flush()
    j.detach()  # as if the process had been killed: no close, no end_reason
    return pos


def restart(path, start, source="sim", source_id=SIM_A):
    eng, clock = make_engine("auto", start=start)
    j = Journal(path, clock)
    j.open_session("auto", ["sim"], eng.cfg, source, source_id=source_id)
    return eng, clock, j, restore_into(eng, j)


def test_a_simulator_that_starts_over_does_not_get_positions_from_its_future(tmp_path):
    path = tmp_path / "j.sqlite"
    pos = crashed_session(path)
    with case("recovery", "sim restart before the position's time") as c:
        eng, clock, j, restored = restart(path, T0 + 5)  # the demo starts over, before the entry
        assert restored == [] and BTC not in eng.positions
        assert any("not restored" in n and "before they were last seen" in n for n in j.recovery_notes)
        # nothing invented: no trade, and the position is still in the journal for its own source
        feed(eng, clock, [mark(T0 + 6, pos.stop_price * 1.01)])
        run_until(eng, clock, clock.now() + 1)
        assert j.query("SELECT * FROM trades") == []
        assert len(j.query("SELECT * FROM positions_open")) == 1
        assert eng.risk.realised_today == 0.0
        j.close()
        c.lost = 0 if len(Journal(path, clock).query("SELECT * FROM positions_open")) == 1 else 1


def test_the_same_simulator_at_or_after_the_position_time_restores_it_with_a_non_negative_hold(tmp_path):
    path = tmp_path / "j.sqlite"
    pos = crashed_session(path)
    with case("recovery", "same sim, later clock: restored") as c:
        eng, clock, j, restored = restart(path, T0 + 20)
        assert [p.id for p in restored] == [pos.id]
        feed(eng, clock, [mark(T0 + 21, pos.stop_price * 1.001)])
        run_until(eng, clock, clock.now() + 1)
        (t,) = j.query("SELECT reason, hold_s FROM trades")
        assert t["reason"] == "stop" and t["hold_s"] >= 0
        j.close()
        c.lost = 0


def test_another_simulator_or_replay_file_does_not_get_the_positions(tmp_path):
    path = tmp_path / "j.sqlite"
    crashed_session(path)
    with case("recovery", "other sim seed"):
        eng, clock, j, restored = restart(path, T0 + 20, source_id=SIM_B)
        assert restored == [] and any("another sim source" in n for n in j.recovery_notes)
        j.close()
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text('{"ts": 1, "venue": "sim", "msg": {}}\n')
    b.write_text('{"ts": 2, "venue": "sim", "msg": {}}\n')
    assert replay_source_id([a]) != replay_source_id([b])
    assert replay_source_id([a]) == replay_source_id([a])
    path2 = tmp_path / "j2.sqlite"
    crashed_session(path2, source="replay", source_id=replay_source_id([a]))
    with case("recovery", "other replay file sharing the journal"):
        eng, clock, j, restored = restart(path2, T0 + 20, source="replay", source_id=replay_source_id([b]))
        assert restored == [] and BTC not in eng.positions
        j.close()


def test_risk_counters_ignore_trades_from_a_later_time_than_the_restart(tmp_path):
    path = tmp_path / "j.sqlite"
    pos = crashed_session(path)
    eng, clock, j, _ = restart(path, T0 + 20)  # restored, then stopped out: a realised loss at T0+21
    feed(eng, clock, [mark(T0 + 21, pos.stop_price * 1.001)])
    run_until(eng, clock, clock.now() + 1)
    j.close()
    with case("recovery", "sim restart does not inherit later losses"):
        eng2, _, j2, _ = restart(path, T0 + 5)
        assert eng2.risk.realised_today == 0.0 and eng2.risk.trades_today.get(BTC, 0) == 0
        j2.close()
        eng3, _, j3, _ = restart(path, T0 + 60)
        assert eng3.risk.realised_today < 0  # at a later time the loss does count
        j3.close()


def test_live_positions_from_before_source_ids_still_come_back(tmp_path):
    path = tmp_path / "j.sqlite"
    crashed_session(path, source="live", source_id="")  # a journal written before v4
    with case("recovery", "live legacy session restored for reconciliation"):
        eng, clock, j, restored = restart(path, T0 + 20, source="live", source_id=live_source_id(["binance"], "paper"))
        assert len(restored) == 1
        j.close()
    with case("recovery", "live, other venue set"):
        path2 = tmp_path / "j2.sqlite"
        crashed_session(path2, source="live", source_id=live_source_id(["bybit"], "paper"))
        eng, clock, j, restored = restart(path2, T0 + 20, source="live", source_id=live_source_id(["binance"], "paper"))
        assert restored == [] and j.recovery_notes
        j.close()


def test_kill_9_of_a_real_demo_with_open_positions_then_a_restart_invents_nothing(tmp_path):
    """The issue's reproduction end to end: `liqhunt demo --journal J` on a real pty, three positions
    open, `kill -9`; `liqhunt demo --journal J` again starts over at 00:00:20. Nothing may come back
    into it: no stop fired on earlier prices, no negative hold, no loss carried in, the journal's rows
    kept; the restart says so on the screen and quits cleanly (exit 0, session ended)."""
    import os
    import signal
    import sqlite3

    from tests.hostile.pty_console import drain, last_session, read_until, spawn, wait_gone

    path = tmp_path / "demo.sqlite"
    args = ["demo", "--journal", str(path), "--mode", "auto", "--scenario", "crash", "--no-mouse"]

    def db(sql: str) -> list:
        with sqlite3.connect(path) as conn:
            return conn.execute(sql).fetchall()

    with case("recovery", "kill -9 of a demo with 3 open positions, then a restart"):
        proc, master = spawn(
            [*args, "--warmup", "160", "--programme-in", "-40"]
        )  # the calibrated programme at 00:02:00: three positions open by 00:02:40
        try:
            read_until(master, b"liqhunt", 40)
            assert db("SELECT COUNT(*) FROM positions_open") == [(3,)]  # committed before the screen opened
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(10) == -signal.SIGKILL
        finally:
            os.close(master)
        kept = db("SELECT key, stop_price, entry_ts FROM positions_open ORDER BY key")

        # the default warm-up and the same programme (00:02:00), so the same source: this run is at 00:00:20
        proc, master = spawn([*args, "--programme-in", "100"])
        try:
            read_until(master, b"not restored", 40)
            drain(master, 0.5)
            os.write(master, b"q")
            assert wait_gone(proc, 15, master) is not None
        finally:
            os.close(master)
        assert proc.returncode == 0
        assert last_session(path)["end_reason"] == "clean exit"
        assert db("SELECT COUNT(*) FROM restores") == [(0,)]
        assert db("SELECT COUNT(*) FROM trades WHERE session_id = 2") == [(0,)]  # no stop fired on earlier prices
        assert db("SELECT COUNT(*) FROM trades WHERE exit_ts < entry_ts") == [(0,)]
        assert db("SELECT key, stop_price, entry_ts FROM positions_open ORDER BY key") == kept
        assert db("SELECT COUNT(*) FROM risk_blocks WHERE session_id = 2 AND rule LIKE '%daily%'") == [(0,)]
