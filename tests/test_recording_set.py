"""Inputs as one stream: folders, globs and several files merged in receive-time order, cut by --from/--to,
with the same reports as the single file they were cut from."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from core.events import event_to_dict
from core.recording import RecordingWriter
from core.recording_set import InputError, RecordingSet, resolve_inputs
from core.sim.market_sim import Simulator


@pytest.fixture(scope="module")
def events():
    return list(Simulator("crash", seed=3, markets=4).run(30 * 60))


@pytest.fixture(scope="module")
def whole(tmp_path_factory, events):
    p = tmp_path_factory.mktemp("whole") / "all.jsonl.gz"
    with RecordingWriter(p) as w:
        for ev in events:
            w.write(ev.ts_recv, "sim", event_to_dict(ev))
    return p


@pytest.fixture(scope="module")
def parts(tmp_path_factory, events):
    """The same events in a folder by "venue" (market) and 10-minute file, as rotation writes them."""
    root = tmp_path_factory.mktemp("parts")
    t0 = events[0].ts_recv
    writers: dict[tuple[str, int], RecordingWriter] = {}
    for ev in events:
        key = (ev.market, int((ev.ts_recv - t0) // 600))
        if key not in writers:
            d = root / ev.market.lower()
            d.mkdir(exist_ok=True)
            writers[key] = RecordingWriter(d / f"part-{key[1]:02d}.jsonl.gz")
        writers[key].write(ev.ts_recv, "sim", event_to_dict(ev))
    for w in writers.values():
        w.close()
    return root


def _report(capsys, *args: str) -> dict:
    assert main(["backtest", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_folder_of_parts_backtests_exactly_like_the_whole_file(whole, parts, capsys):
    one = _report(capsys, str(whole))
    many = _report(capsys, str(parts))
    assert one["trades"] > 0
    for key in ("trades", "pnl", "signals", "tiers", "playbooks", "events", "lines", "span_s"):
        assert many[key] == one[key], key


def test_a_glob_and_a_list_of_files_read_the_same_as_the_folder(parts, capsys):
    by_folder = _report(capsys, str(parts))
    by_glob = _report(capsys, str(parts / "**" / "*.jsonl.gz"))
    by_list = _report(capsys, *sorted(str(p) for p in parts.rglob("*.jsonl.gz")))
    assert by_glob == {**by_folder, "file": by_glob["file"]}
    assert by_list == {**by_folder, "file": by_list["file"]}


def test_merged_events_come_out_in_receive_time_order(parts, capsys):
    assert main(["normalize", str(parts)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    times = [e["ts_recv"] for e in out]
    assert times == sorted(times) and len({e["market"] for e in out}) == 4


def test_from_and_to_cut_the_stream(whole, events, capsys):
    t0 = events[0].ts_recv
    lo, hi = t0 + 300, t0 + 600
    assert main(["normalize", str(whole), "--from", str(lo), "--to", str(hi)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out and all(lo <= e["ts_recv"] < hi for e in out)
    assert len(out) == sum(lo <= e.ts_recv < hi for e in events)
    iso = __import__("datetime").datetime.fromtimestamp(lo, __import__("datetime").timezone.utc).isoformat()
    assert main(["normalize", str(whole), "--from", iso, "--to", str(hi)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(out)


def test_bad_times_and_inputs_are_one_line_errors(whole, tmp_path, capsys):
    assert main(["normalize", str(whole), "--from", "yesterday"]) == 2
    assert "ISO time" in capsys.readouterr().err
    assert main(["backtest", str(whole), "--from", "2000", "--to", "1000"]) == 2
    assert "--to must be later" in capsys.readouterr().err
    assert main(["study", str(tmp_path / "nothing-*.jsonl")]) == 1
    assert "no recordings match" in capsys.readouterr().err
    with pytest.raises(InputError):
        resolve_inputs([str(tmp_path / "missing.jsonl")])


def test_a_pass_opens_a_file_only_when_the_stream_reaches_it(parts):
    rs = RecordingSet.open(str(parts))
    assert sum(1 for _ in rs.iter_lines()) > 0
    assert len(rs.paths) >= 12 and rs.most_open <= 5  # 4 markets side by side (+1 at a hand-over), not all of them


def test_a_sparse_file_merged_with_a_dense_one_loses_nothing(tmp_path, capsys):
    """Liquidation-only capture (a line a minute) beside a 1 s mark capture: the files are checked each
    in its own order, so the sparse file's next line, read ahead, cannot make the dense one's look late."""
    from tests.builders import T0, liq, mark

    sparse, dense = tmp_path / "liqs.jsonl", tmp_path / "marks.jsonl"
    with RecordingWriter(sparse) as w:
        for k in range(0, 600, 60):
            w.write(T0 + k + 0.5, "sim", event_to_dict(liq(T0 + k + 0.5, 50_000.0)))
    with RecordingWriter(dense) as w:
        for k in range(600):
            w.write(T0 + k, "sim", event_to_dict(mark(T0 + k, 60_000.0 + k)))
    assert main(["normalize", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 10 + 600 and "0 unparseable" in err, err[-500:]
