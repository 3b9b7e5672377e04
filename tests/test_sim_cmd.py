"""`liqhunt sim` writes a recording every reader in the project can read back."""

import orjson

from core.cli import main
from core.events import event_from_dict
from core.recording import RecordedLine, read_recording


def test_sim_command_writes_a_readable_recording_and_truth(tmp_path, capsys):
    out, truth = tmp_path / "sim.jsonl.gz", tmp_path / "truth.jsonl"
    # 15 min: after the warm-up a volatile market has quiet spells too; this seed cascades by minute 10
    rc = main(
        [
            "sim",
            "--scenario",
            "volatile",
            "--seed",
            "3",
            "--markets",
            "4",
            "--minutes",
            "15",
            "--out",
            str(out),
            "--truth",
            str(truth),
        ]
    )
    assert rc == 0
    lines = list(read_recording(out))
    assert lines and all(isinstance(line, RecordedLine) and line.venue == "sim" for line in lines)
    events = [event_from_dict(line.msg) for line in lines]
    assert {e.kind for e in events} == {"liquidation", "trade", "mark", "open_interest"}
    assert [line.ts for line in lines] == [e.ts_recv for e in events]
    summary = capsys.readouterr().err
    assert f"{len(events)} events" in summary and "episodes" in summary
    for row in truth.read_bytes().splitlines():
        assert {"market", "side", "start_ts", "total_usd", "events"} <= orjson.loads(row).keys()


def test_sim_command_writes_plain_jsonl_when_asked(tmp_path):
    out = tmp_path / "sim.jsonl"
    assert main(["sim", "--markets", "2", "--minutes", "1", "--out", str(out)]) == 0
    assert out.read_text().startswith('{"ts":')


def test_unknown_scenario_is_an_error_naming_the_argument(tmp_path, capsys):
    assert main(["sim", "--scenario", "meltdown", "--out", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "--scenario" in err and "crash" in err


def test_market_count_out_of_range_is_an_error_naming_the_argument(tmp_path, capsys):
    assert main(["sim", "--markets", "0", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "--markets" in capsys.readouterr().err


def test_non_positive_duration_is_an_error_naming_the_argument(tmp_path, capsys):
    assert main(["sim", "--minutes", "0", "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "--minutes" in capsys.readouterr().err


def test_output_must_be_a_jsonl_file(tmp_path, capsys):
    assert main(["sim", "--minutes", "1", "--out", str(tmp_path / "x.csv")]) == 2
    assert "--out" in capsys.readouterr().err
