"""`--playbook both`: every requested playbook is reported, a silent one with zero, not left out."""

from __future__ import annotations

import json

from core.cli import main
from core.events import event_to_dict
from core.recording import RecordingWriter
from tests.builders import T0, mark, scripted_cascade


def _recording(tmp_path):
    # a 0.8 % cascade: enough for the ride playbook, under fade's 1 % minimum move, so fade stays silent
    evs, _, low = scripted_cascade(T0, seconds=20, drop_per_s=0.0004)
    evs += [mark(T0 + 20 + i, low) for i in range(0, 900, 2)]
    path = tmp_path / "silent_fade.jsonl"
    with RecordingWriter(path) as w:
        for ev in sorted(evs, key=lambda e: e.ts_recv):
            w.write(ev.ts_recv, "sim", event_to_dict(ev))
    return path


def test_backtest_with_both_playbooks_shows_the_silent_one_with_zero(tmp_path, capsys):
    path = _recording(tmp_path)
    assert main(["backtest", str(path), "--playbook", "both", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert set(rep["playbooks"]) == {"ride", "fade"}
    assert rep["playbooks"]["ride"]["signals"] >= 1
    fade = rep["playbooks"]["fade"]
    assert (
        fade["signals"] == 0 and fade["trades"] == 0 and fade["win_rate_ci95"] is None and fade["mean_bps_ci95"] is None
    )
    assert main(["backtest", str(path), "--playbook", "both"]) == 0
    text = capsys.readouterr().out
    assert "playbook fade: 0 signals, 0 trades — nothing to measure" in text
    assert "playbook ride:" in text


def test_study_with_both_playbooks_shows_the_silent_one_with_zero(tmp_path, capsys):
    path = _recording(tmp_path)
    assert main(["study", str(path), "--playbook", "both"]) == 0
    text = capsys.readouterr().out
    assert "fade: 0 episodes — nothing to measure" in text and "ride: from the signal time" in text
    assert main(["study", str(path), "--playbook", "both", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    fade_rows = [r for r in out["table"] if r["playbook"] == "fade"]
    assert fade_rows and all(r["n"] == 0 and r["ci95"] is None for r in fade_rows)
