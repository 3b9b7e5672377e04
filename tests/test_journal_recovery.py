"""A crash, a lost SSH session or a restart must not lose a position or its stop."""

from __future__ import annotations

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

from core.engine_events import PositionClosed
from core.journal import Journal, open_positions, record_reconciliation, restore_into
from core.journal.recovery import restore_risk_counters
from core.positions import ClosedTrade
from tests.builders import BTC, T0, feed, make_engine, mark, run_until, scripted_cascade

REPO = Path(__file__).resolve().parent.parent
WAIT_S = 20.0

# The child: an engine in full-auto with a file journal enters a short on the scripted cascade,
# checks from a second connection that the position row is committed, says READY, then keeps
# writing (feed states) until it is killed or signalled.
CHILD = r"""
import json, sqlite3, sys, time
from core.journal import Journal, install_signal_handlers
from tests.builders import BTC, T0, feed, make_engine, run_until, scripted_cascade
path, handlers = sys.argv[1], sys.argv[2] == "handlers"
eng, clock = make_engine("auto")
j = Journal(path, clock)
j.open_session("auto", ["sim"], eng.cfg, "sim")
j.attach(eng)
if handlers:
    install_signal_handlers(j)
evs, _, _ = scripted_cascade(T0)
feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 14])
run_until(eng, clock, clock.now() + 1)
pos = eng.positions[BTC]
assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM positions_open").fetchone()[0] == 1
for i in range(3000):  # queued, not yet committed when the signal arrives
    eng.set_feed_state("sim", "live" if i % 2 else "slow", f"n{i}")
print("READY " + json.dumps({"stop": pos.stop_price, "tp": pos.take_profit_price, "max_hold_until": pos.max_hold_until,
                             "qty": pos.qty, "entry_price": pos.entry_price}), flush=True)
while True:
    time.sleep(0.01)
"""


def _start_child(path: Path, handlers: bool) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), "handlers" if handlers else "plain"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if line.startswith("READY "):
                return proc, json.loads(line[6:])
            if not line and proc.poll() is not None:
                break
    proc.kill()
    pytest.fail(f"child never became READY: {proc.stderr.read()[-2000:]}")


def _new_session(path: Path, start: float):
    eng, clock = make_engine("auto", start=start)
    j = Journal(path, clock)
    j.open_session("auto", ["sim"], eng.cfg, "sim")
    return eng, clock, j


def test_sigkill_mid_trade_restarts_with_the_position_its_stop_and_hold_timer(tmp_path):
    path = tmp_path / "journal.sqlite"
    proc, before = _start_child(path, handlers=False)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(5) == -signal.SIGKILL

    eng, clock, j = _new_session(path, T0 + 20)
    (restored,) = restore_into(eng, j)
    pos = eng.positions[BTC]
    assert pos is restored
    assert (pos.stop_price, pos.take_profit_price, pos.max_hold_until, pos.qty, pos.entry_price) == (
        before["stop"],
        before["tp"],
        before["max_hold_until"],
        before["qty"],
        before["entry_price"],
    )
    assert eng.risk.trades_today[BTC] == 1  # the restart does not reset the per-market entry count
    # the engine's exit rules act on the restored position: the stop fires on the next mark above it
    feed(eng, clock, [mark(T0 + 21, before["stop"] * 1.001)])
    run_until(eng, clock, clock.now() + 1)
    assert BTC not in eng.positions
    (t,) = j.query("SELECT reason, entry_price, position_key FROM trades")
    assert t["reason"] == "stop" and t["entry_price"] == before["entry_price"] and t["position_key"] == "s1:p2"
    assert j.query("SELECT * FROM positions_open") == []
    j.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_flush_everything_end_the_session_and_keep_the_position(tmp_path, sig):
    path = tmp_path / "journal.sqlite"
    proc, before = _start_child(path, handlers=True)
    os.kill(proc.pid, sig)
    assert proc.wait(WAIT_S) == 128 + sig
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM feed_states").fetchone()[0] == 3000
    assert db.execute("SELECT end_reason FROM sessions").fetchone()[0] == signal.Signals(sig).name
    assert db.execute("SELECT stop_price FROM positions_open").fetchall() == [(before["stop"],)]


def test_restored_position_exits_on_max_hold_when_its_timer_ran_out_during_the_outage(tmp_path):
    path = tmp_path / "j.sqlite"
    eng, clock, j = _new_session(path, T0)
    j.attach(eng)
    evs, _, price = scripted_cascade(T0)
    feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 14])
    run_until(eng, clock, clock.now() + 1)
    deadline = eng.positions[BTC].max_hold_until
    j.close()

    eng2, clock2, j2 = _new_session(path, deadline + 5)
    restore_into(eng2, j2)
    feed(eng2, clock2, [mark(deadline + 6, price)])  # flat price: neither stop nor target
    run_until(eng2, clock2, clock2.now() + 1)
    assert [t["reason"] for t in j2.trades()] == ["max_hold"]
    j2.close()


def test_positions_from_other_sources_are_not_restored(tmp_path):
    path = tmp_path / "j.sqlite"
    eng, clock = make_engine("auto")
    j = Journal(path, clock)
    j.open_session("auto", ["sim"], eng.cfg, "backtest")
    j.attach(eng)
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 15])
    j.close()
    assert len(open_positions(path)) == 1
    assert open_positions(path, source="live") == []
    eng2, _, j2 = _new_session(path, T0 + 20)  # a "sim" session
    assert restore_into(eng2, j2) == [] and not eng2.positions
    j2.close()


def _trade(market: str, exit_ts: float, pnl: float, reason: str = "take_profit") -> ClosedTrade:
    return ClosedTrade(
        "p1",
        market,
        "short",
        0.1,
        60_000.0,
        59_000.0,
        exit_ts - 60,
        exit_ts,
        reason,
        pnl + 1,
        1.0,
        pnl,
        pnl / 60,
        8.5,
        "8-9",
        "sig",
        "ride",
        -0.1,
        0.5,
        1.0,
        60_000.0,
    )


def test_restore_rebuilds_todays_risk_counters_and_stop_cooldown(tmp_path):
    path = tmp_path / "j.sqlite"
    eng, clock, j = _new_session(path, T0 + 3 * 3600)
    for tr in [
        _trade(BTC, T0 - 100, 500.0),  # yesterday: not counted
        _trade(BTC, T0 + 3600, -120.0),
        _trade(BTC, T0 + 2 * 3600, 40.0),
        _trade("ETH-USDT-PERP", T0 + 3 * 3600 - 60, -30.0, reason="stop"),
    ]:
        j.record(PositionClosed(tr.exit_ts, tr))
    restore_risk_counters(eng.risk, j, clock.now(), "sim")
    assert dict(eng.risk.trades_today) == {BTC: 2, "ETH-USDT-PERP": 1}
    assert eng.risk.realised_today == pytest.approx(-110.0)
    assert eng.risk.cooldown_until["ETH-USDT-PERP"] == pytest.approx(
        T0 + 3 * 3600 - 60 + eng.cfg.risk.cooldown_after_stop_s
    )
    j.close()


class _Report:  # the shape of core.brokers.reconcile.ReconcileReport
    def __init__(self, **lists):
        self.adopted, self.closed, self.resized, self.replaced, self.kept = ([], [], [], [], [])
        vars(self).update(lists)


def test_reconciliation_differences_are_journaled_and_a_resize_is_what_a_restart_restores(tmp_path):
    path = tmp_path / "j.sqlite"
    eng, clock, j = _new_session(path, T0)
    j.attach(eng)
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 15])
    pos = eng.positions[BTC]
    pos.qty = 0.05  # the exchange said 0.05: the broker's reconcile resizes in place
    n = record_reconciliation(j, eng, _Report(resized=[BTC], closed=["SOL-USDT-PERP"], kept=["X"]))
    assert n == 2
    rows = j.query("SELECT market, kind, exchange_qty FROM reconcile_diffs ORDER BY market")
    assert rows == [
        {"market": BTC, "kind": "resized", "exchange_qty": 0.05},
        {"market": "SOL-USDT-PERP", "kind": "closed", "exchange_qty": 0.0},
    ]
    j.close()
    (back,) = open_positions(path)
    assert back.qty == 0.05 and back.stop_price == pos.stop_price
