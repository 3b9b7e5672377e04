"""The sweep runs each grid cell in- and out-of-sample and warns about the best cell."""

from __future__ import annotations

import pytest

from core.cli import main
from core.commands.sweep_cmd import cell_config, parse_grid
from core.config import Config


def test_grid_aliases_set_the_right_config_keys():
    cfg = cell_config(Config(), {"score_min": 8.0, "stop_pct": 1.2, "signal.min_events": 5.0})
    assert cfg.signal.score_min == 8.0
    assert cfg.exits.stop_min_pct == cfg.exits.stop_max_pct == 1.2
    assert cfg.signal.min_events == 5 and isinstance(cfg.signal.min_events, int)


def test_bad_grid_items_are_clear_errors():
    with pytest.raises(ValueError, match="unknown grid name"):
        parse_grid(["bogus=1,2"])
    with pytest.raises(ValueError, match="must be numbers"):
        parse_grid(["score_min=a,b"])


def test_sweep_prints_in_and_out_of_sample_columns_and_the_warning(tmp_path, capsys):
    from core.events import event_to_dict
    from core.recording import RecordingWriter
    from tests.builders import T0, scripted_cascade

    evs, _, _ = scripted_cascade(T0)
    p = tmp_path / "r.jsonl"
    with RecordingWriter(p) as w:
        for ev in sorted(evs, key=lambda e: e.ts_recv):
            w.write(ev.ts_recv, "sim", event_to_dict(ev))
    assert main(["sweep", str(p), "--grid", "score_min=6,7", "stop_pct=0.8,1.2"]) == 0
    out = capsys.readouterr().out
    assert "IS n" in out and "OOS n" in out
    assert out.count("|") >= 2 * 5  # header + 4 cells, two separators each
    assert "optimistic" in out
    # every cell's mean with its 95 % interval, a p-value and the Holm-adjusted reading across the grid
    assert "95 % CI" in out and "p Holm" in out
    assert "multiple testing: 4 cells tried" in out and "Holm-adjusted p < 0.05" in out
