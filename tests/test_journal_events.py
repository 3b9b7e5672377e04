"""Every engine event kind lands in the journal, as the row a trader would look for days later."""

from __future__ import annotations

import json
import typing

import pytest

from core.engine_commands import Arm, Disarm, Flatten, Kill, Reject
from core.engine_events import EngineEvent
from core.journal import Journal
from core.journal.recorder import _HANDLERS
from core.positions import Position
from tests.builders import BTC, T0, feed, liq, make_engine, mark, run_until, scripted_cascade

ETH = "ETH-USDT-PERP"


@pytest.fixture
def journaled():
    journals = []

    def make(mode: str = "auto"):
        eng, clock = make_engine(mode)
        j = Journal(":memory:", clock)
        j.open_session(mode, ["sim"], eng.cfg, "sim")
        j.attach(eng)
        journals.append(j)
        return eng, clock, j

    yield make
    for j in journals:
        j.close()


def _enter(eng, clock):
    evs, _, price = scripted_cascade(T0)
    feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 14])
    run_until(eng, clock, clock.now() + 1)
    return price


def test_every_engine_event_type_has_a_journal_mapping():
    assert set(typing.get_args(EngineEvent)) <= set(_HANDLERS)


def test_session_row_has_mode_venues_config_hash_version_and_source(journaled):
    eng, _, j = journaled("semi")
    (s,) = j.query("SELECT * FROM sessions")
    assert (s["mode"], json.loads(s["venues"]), s["config_hash"], s["source"], s["broker"]) == (
        "semi",
        ["sim"],
        eng.cfg.digest(),
        "sim",
        "paper",
    )
    assert s["version"] and s["started_ts"] == T0 and s["ended_ts"] is None


def test_entered_signal_records_score_components_window_figures_and_filters(journaled):
    eng, clock, j = journaled("auto")
    _enter(eng, clock)
    (sig,) = j.query("SELECT * FROM signals")
    assert sig["status"] == "entered" and sig["market"] == BTC and sig["order_side"] == "sell"
    assert sig["first_usd"] == 600_000.0 and sig["window_usd"] > 5_000_000 and sig["window_events"] >= 3
    comps = {c["name"]: c for c in json.loads(sig["components"])}
    assert set(comps) == {"speed", "size", "proximity", "funding", "oi"}
    assert sig["c_speed"] == comps["speed"]["value"] and sig["c_funding"] == comps["funding"]["value"]
    assert comps["proximity"]["known"] is False  # no heatmap: neutral, and marked unknown
    assert abs(sum(c["value"] * c["weight"] for c in comps.values()) * 10 - sig["score"]) < 0.01
    filters = json.loads(sig["filters"])
    assert {f["name"] for f in filters} >= {"window", "events", "score", "funding", "support"}
    assert all(f["passed"] and f["detail"] for f in filters) and sig["filters_failed"] == ""
    assert sig["qty"] > 0 and sig["stop_pct"] > 0 and sig["ended_ts"] == sig["raised_ts"]


def test_watch_started_row_is_closed_when_the_watch_becomes_a_signal(journaled):
    eng, clock, j = journaled("auto")
    _enter(eng, clock)
    (w,) = j.query("SELECT * FROM watches")
    assert (w["market"], w["liquidated"], w["usd"], w["started_ts"]) == (BTC, "long", 600_000.0, T0)
    assert w["outcome"].startswith("signal ") and w["ended_ts"] > T0


def test_watch_that_never_develops_ends_with_its_outcome(journaled):
    eng, clock, j = journaled("auto")
    feed(eng, clock, [mark(T0 - 1, 60_000.0), liq(T0, 200_000.0)])
    run_until(eng, clock, T0 + 20)
    (w,) = j.query("SELECT * FROM watches")
    assert w["ended_ts"] is not None and w["outcome"].startswith("watch ended")


def test_entry_order_fill_and_open_position_rows(journaled):
    eng, clock, j = journaled("auto")
    _enter(eng, clock)
    pos = eng.positions[BTC]
    (o,) = j.query("SELECT * FROM orders")
    assert (o["intent"], o["side"], o["status"], o["position_id"]) == ("entry", "sell", "filled", pos.id)
    (f,) = j.query("SELECT * FROM fills")
    assert (f["broker"], f["price"], f["qty"], f["fee"]) == ("paper", pos.entry_price, pos.qty, pos.entry_fee)
    assert f["ref_price"] == pos.signal_price and f["slippage_bps"] > 0 and f["latency_s"] == pytest.approx(0.15)
    (p,) = j.query("SELECT * FROM positions_open")
    assert (p["stop_price"], p["take_profit_price"], p["max_hold_until"], p["rides"]) == (
        pos.stop_price,
        pos.take_profit_price,
        pos.max_hold_until,
        pos.rides,
    )


def test_stop_exit_writes_the_trigger_the_exit_fill_and_the_trade_and_clears_the_open_position(journaled):
    eng, clock, j = journaled("auto")
    price = _enter(eng, clock)
    feed(eng, clock, [mark(T0 + 16 + i, price * (1 + 0.004 * i)) for i in range(10)])
    (trig,) = j.query("SELECT * FROM exits_triggered")
    assert trig["reason"] == "stop" and trig["market"] == BTC
    (t,) = j.query("SELECT * FROM trades")
    tr = eng.trades[0]
    assert (t["reason"], t["pnl"], t["r_multiple"], t["tier"], t["hold_s"]) == (
        "stop",
        tr.pnl,
        tr.r_multiple,
        tr.tier,
        tr.hold_s,
    )
    assert t["mae_pct"] == tr.mae_pct and t["position_key"].startswith("s1:")
    assert [r["intent"] for r in j.query("SELECT intent FROM fills ORDER BY ts")] == ["entry", "exit"]
    assert j.query("SELECT * FROM positions_open") == []


def test_rejected_signal_records_the_users_decision(journaled):
    eng, clock, j = journaled("semi")
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 12])
    sig_id = next(iter(eng.signals))
    eng.submit(Reject(sig_id))
    (sig,) = j.query("SELECT status, reason FROM signals")
    assert sig == {"status": "rejected", "reason": "rejected by user"}
    (c,) = j.query("SELECT kind, args, result FROM commands")
    assert (
        c["kind"] == "reject" and json.loads(c["args"]) == {"signal_id": sig_id} and c["result"].startswith("skipped")
    )


def test_expired_signal_records_expiry(journaled):
    eng, clock, j = journaled("semi")
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, evs)
    run_until(eng, clock, clock.now() + 20)
    (sig,) = j.query("SELECT status, reason FROM signals")
    assert sig == {"status": "expired", "reason": "not confirmed in time"}


def test_risk_block_records_the_rule_and_the_blocked_signal(journaled):
    eng, clock, j = journaled("auto")
    eng.set_feed_state("sim", "stale", "no message in 30 s")
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, evs)
    (b,) = j.query("SELECT * FROM risk_blocks")
    (sig,) = j.query("SELECT id, status, reason FROM signals")
    assert (b["rule"], b["market"], b["signal_id"]) == ("stale_feed", BTC, sig["id"])
    assert sig["status"] == "blocked" and sig["reason"].startswith("stale_feed:")
    (fs,) = j.query("SELECT venue, state, reason FROM feed_states")
    assert fs == {"venue": "sim", "state": "stale", "reason": "no message in 30 s"}


def test_mode_changes_and_commands_are_recorded(journaled):
    eng, _, j = journaled("watch")
    eng.submit(Arm("auto"))
    eng.submit(Disarm())
    assert [(m["old"], m["new"], m["reason"]) for m in j.query("SELECT * FROM mode_changes")] == [
        ("watch", "auto", "user"),
        ("auto", "watch", "user"),
    ]
    assert [(c["kind"], c["result"]) for c in j.query("SELECT * FROM commands")] == [
        ("arm", "armed FULL-AUTO"),
        ("disarm", "disarmed"),
    ]


def test_kill_is_recorded_with_its_result_and_the_kill_exit(journaled):
    eng, clock, j = journaled("auto")
    _enter(eng, clock)
    eng.submit(Kill())
    run_until(eng, clock, clock.now() + 1)
    (c,) = j.query("SELECT kind, result FROM commands")
    assert c == {"kind": "kill", "result": "KILLED: closing 1 position"}
    assert [t["reason"] for t in j.query("SELECT reason FROM trades")] == ["kill"]


def test_restored_position_and_rejected_exit_order_are_recorded(journaled):
    eng, clock, j = journaled("auto")
    pos = Position(
        "p9", ETH, "long", 1.0, 3000.0, T0 - 60, 2970.0, 3060.0, 1.0, "sig", 8.2, "short", max_hold_until=T0 + 500
    )
    eng.restore_position(pos)
    eng.submit(Flatten(ETH))  # no ETH price has been seen: the paper broker rejects the exit
    run_until(eng, clock, clock.now() + 1)
    (r,) = j.query("SELECT * FROM restores")
    assert (r["market"], r["stop_price"], r["take_profit_price"], r["max_hold_until"]) == (
        ETH,
        2970.0,
        3060.0,
        T0 + 500,
    )
    (o,) = j.query("SELECT * FROM orders WHERE market = ?", (ETH,))
    assert (o["intent"], o["status"], o["reject_reason"]) == ("exit", "rejected", "no price for market")
    (p,) = j.query("SELECT key, market FROM positions_open")
    assert p["market"] == ETH and p["key"] == "s1:p9"
