"""The event study on a tiny hand-built recording, where every return can be computed by hand."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from core.events import event_to_dict
from core.recording import RecordingWriter
from tests.builders import T0, mark, scripted_cascade


def test_study_returns_match_a_hand_computed_recording(tmp_path, capsys):
    evs, first, _ = scripted_cascade(T0, seconds=20, drop_per_s=0.0006)
    later = {60.0: 59_000.0, 300.0: 59_500.0, 900.0: 60_300.0, 3600.0: 61_000.0}
    extra = [mark(T0 + 5 + h, px) for h, px in later.items()] + [mark(T0 + 3700, 61_000.0)]
    path = tmp_path / "tiny.jsonl"
    with RecordingWriter(path) as w:
        for ev in sorted(evs + extra, key=lambda e: e.ts_recv):
            w.write(ev.ts_recv, "sim", event_to_dict(ev))
    assert main(["study", str(path), "--json", "--playbook", "ride"]) == 0
    out = json.loads(capsys.readouterr().out)
    ride = [e for e in out["episodes"] if e["playbook"] == "ride"]
    assert len(ride) == 1
    ep = ride[0]
    assert ep["ts"] == pytest.approx(T0 + 5.0) and ep["direction"] == -1
    p0 = 60_000 * (1 - 0.0006 * 4.5)  # the last mark at or before the signal (T0 + 4.51)
    p10 = 60_000 * (1 - 0.0006 * 14.5)  # the last mark at or before T0 + 15
    expect = {"10s": p10, "1m": later[60.0], "5m": later[300.0], "15m": later[900.0], "60m": later[3600.0]}
    for h, p1 in expect.items():
        assert ep["returns"][h] == pytest.approx((p1 / p0 - 1) * 1e4 * -1, rel=1e-9)
    rows = {(r["tier"], r["horizon"]): r for r in out["table"] if r["playbook"] == "ride" and r["n"]}
    row = rows[(ep["tier"], "1m")]
    assert row["n"] == 1 and row["continued"] == 1.0  # 59,000 is below the signal price: the fall continued
    assert rows[(ep["tier"], "15m")]["reverted"] == 1.0  # 60,300 is above it: reverted
