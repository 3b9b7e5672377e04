"""Backtest, normalize and split on short simulated recordings."""

from __future__ import annotations

import json

import pytest

from core.backtest import (
    Recording,
    backtest_report,
    load_recording,
    run_backtest,
    split_backtest,
    split_point,
)
from core.cli import main
from core.config import Config
from core.engine import Engine
from core.events import event_to_dict
from core.recording import RecordingWriter
from core.replay import DecodeStats
from core.sim.market_sim import Simulator


@pytest.fixture(scope="module")
def crash_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("rec") / "crash.jsonl.gz"
    sim = Simulator("crash", seed=11, markets=6)
    with RecordingWriter(path) as w:
        for ev in sim.run(45 * 60):
            w.write(ev.ts_recv, "sim", event_to_dict(ev))
    return path


def test_backtest_report_has_the_documented_fields(crash_file, capsys):
    assert main(["backtest", str(crash_file), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    for key in (
        "trades",
        "win_rate",
        "win_rate_ci95",
        "avg_r",
        "pnl",
        "fees",
        "max_drawdown",
        "exits",
        "tiers",
        "signals",
    ):
        assert key in rep
    assert [t["tier"] for t in rep["tiers"]] == ["<5", "5-7", "7-8", "8-9", "9-10"]
    assert rep["signals"] > 0 and rep["trades"] > 0, "a crash should produce cascades the engine trades"
    assert sum(rep["exits"].values()) == rep["trades"]
    assert sum(t["trades"] for t in rep["tiers"]) == rep["trades"]
    assert rep["fees"] > 0  # costs in every fill
    assert rep["bad_lines"] == 0 and rep["events"] > 10_000


def test_same_file_and_config_give_the_same_report_byte_for_byte(crash_file, capsys):
    main(["backtest", str(crash_file), "--json"])
    first = capsys.readouterr().out
    main(["backtest", str(crash_file), "--json"])
    assert capsys.readouterr().out == first


def test_replay_never_hands_the_engine_an_event_before_its_receive_time(crash_file, monkeypatch):
    seen = []
    original = Engine.process_many  # a recorded line reaches the engine as one frame

    def checked(self, events):
        events = list(events)
        seen.extend(ev.ts_recv <= self.clock.now() + 1e-9 for ev in events)
        return original(self, events)

    monkeypatch.setattr(Engine, "process_many", checked)
    run_backtest(crash_file, Config())
    assert seen and all(seen)


def test_split_out_of_sample_data_cannot_change_in_sample_figures(crash_file):
    rec = load_recording(crash_file)
    ins, oos = split_backtest(rec, Config(), 0.7)
    cut = split_point(oos.start_ts, oos.end_ts, 0.7)
    # wreck everything after the cut: in-sample figures must not move
    kept = [(ts, evs) for ts, evs in rec.iter_lines() if ts < cut]
    tampered = Recording("tampered", kept, [], DecodeStats())
    ins2 = run_backtest(tampered, Config(), until=cut)
    a, b = backtest_report(ins), backtest_report(ins2)
    for k in ("trades", "pnl", "win_rate", "tiers"):
        assert a[k] == b[k]
    assert all(t["entry_ts"] >= cut for t in oos.trades)
    assert all(t["entry_ts"] < cut for t in ins.trades)


def test_normalize_prints_one_event_per_line_and_counts_bad_lines(tmp_path, capsys):
    p = tmp_path / "mixed.jsonl"
    good = {
        "kind": "liquidation",
        "venue": "sim",
        "market": "BTC-USDT-PERP",
        "symbol": "BTCUSDT",
        "side": "long",
        "price": 60000.0,
        "qty": 1.0,
        "usd": 60000.0,
        "ts_event": 1695714031.0,
        "ts_recv": 1695714031.0,
    }
    binance = (
        '{"stream":"!forceOrder@arr","data":{"e":"forceOrder","E":1695714031883,"o":{"s":"BTCUSDT","S":"SELL",'
        '"o":"LIMIT","f":"IOC","q":"0.115","p":"26142.12","ap":"26245.10","X":"FILLED","l":"0.115","z":"0.115","T":1695714031881}}}'
    )
    p.write_text(
        "\n".join(
            [
                json.dumps({"ts": 1695714031.0, "venue": "sim", "msg": good}),
                "this is not json",
                json.dumps({"ts": 1695714032.0, "venue": "binance", "msg": binance}),
                json.dumps({"ts": 1695714033.0, "venue": "binance", "msg": '{"stream": 5}'}),
            ]
        )
        + "\n"
    )
    assert main(["normalize", str(p)]) == 0
    out, err = capsys.readouterr()
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["kind"] for e in events] == ["liquidation", "liquidation"]
    assert events[1]["side"] == "long" and events[1]["venue"] == "binance"
    assert events[1]["usd"] == pytest.approx(0.115 * 26245.10)
    assert "line 2:" in err and "line 4:" in err
    assert main(["normalize", str(p), "--strict"]) == 1


def test_proximity_ablation_reports_tiers_with_the_component_on_and_off(crash_file, capsys):
    assert main(["backtest", str(crash_file), "--json", "--proximity-ablation"]) == 0
    rep = json.loads(capsys.readouterr().out)
    on, off = rep["proximity_on"], rep["proximity_off"]
    assert [t["tier"] for t in on["tiers"]] == [t["tier"] for t in off["tiers"]] == ["<5", "5-7", "7-8", "8-9", "9-10"]
    assert on["events"] == off["events"] > 0
    assert on["config"] != off["config"]  # the proximity weight differs, nothing else is asked to
