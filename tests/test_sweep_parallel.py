"""Sweeps give the same bytes serially, on a local process pool and on Ray; the in-sample result
forked from the shared pass is the separate in-sample run exactly."""

from __future__ import annotations

import json

import pytest

from core.backtest import backtest_report, recording_span, split_backtest
from core.cli import main
from core.commands.sweep_cmd import cell_config
from core.config import Config
from core.events import event_to_dict
from core.recording import RecordingWriter
from core.recording_set import RecordingSet
from core.sim.market_sim import Simulator

GRID = ["--grid", "score_min=5,7", "stop_pct=0.8,1.2"]


@pytest.fixture(scope="module")
def crash(tmp_path_factory):
    p = tmp_path_factory.mktemp("sweep") / "crash.jsonl.gz"
    with RecordingWriter(p) as w:
        for ev in Simulator("crash", seed=11, markets=4).run(25 * 60):
            w.write(ev.ts_recv, "sim", event_to_dict(ev))
    return p


def test_the_forked_in_sample_run_is_the_separate_in_sample_run(crash):
    rec = RecordingSet.open(str(crash))
    cfg = cell_config(Config(), {"score_min": 5.0})
    start, end = recording_span(rec)
    from core.backtest import run_backtest

    whole = run_backtest(rec, cfg)
    # the cut falls inside the first-entered trade, a second after its entry: on the calibrated crash
    # all entries come within seconds of each other, so a cut later in the trade leaves none after it
    t = min(whole.trades, key=lambda tr: tr["entry_ts"])
    assert t["exit_ts"] > t["entry_ts"] + 1.0
    split = (t["entry_ts"] + 1.0 - start) / (end - start)
    two_pass = [backtest_report(r) for r in split_backtest(rec, cfg, split)]
    one_pass = [backtest_report(r) for r in split_backtest(rec, cfg, split, span=(start, end))]
    assert one_pass == two_pass
    assert two_pass[0]["exits"].get("end_of_data", 0) >= 1  # the open position is closed at the cut in both


def _sweep(capsys, crash, *extra) -> str:
    assert main(["sweep", str(crash), *GRID, *extra]) == 0
    return capsys.readouterr().out


def test_serial_and_two_workers_print_the_same_bytes(crash, capsys):
    serial = _sweep(capsys, crash)
    assert _sweep(capsys, crash, "-j", "2") == serial
    assert serial.count("\n") > 6 and "best in-sample cell" in serial
    as_json = _sweep(capsys, crash, "--json")
    assert _sweep(capsys, crash, "--json", "-j", "2") == as_json
    obj = json.loads(as_json)
    assert [c["cell"] for c in obj["cells"]] == [
        {"score_min": a, "stop_pct": b} for a in (5.0, 7.0) for b in (0.8, 1.2)
    ]
    assert obj["cells"][0]["in_sample"]["label"].startswith("in-sample")


def test_ray_local_prints_the_same_bytes(crash, capsys):
    pytest.importorskip("ray")
    serial = _sweep(capsys, crash, "--json")
    assert _sweep(capsys, crash, "--json", "--ray") == serial


def test_bad_job_counts_and_missing_ray_are_clear_errors(crash, capsys, monkeypatch):
    assert main(["sweep", str(crash), *GRID, "-j", "0"]) == 2
    assert "-j must be between 1 and 256" in capsys.readouterr().err
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *a, **kw):
        if name == "ray":
            raise ImportError("no ray here")
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    assert main(["sweep", str(crash), *GRID, "--ray"]) == 2
    assert "pip install 'liqhunt[ray]'" in capsys.readouterr().err
