"""Hostile recordings: every case is a good recording with something bad put into it.

Each case asserts the same three things: no good line is lost (the normalised events equal the
clean file's), the bad line is counted with its line number and a reason, and the command exits
with the right code and no traceback. The reading commands (backtest, study, sweep) then see
exactly what they would have seen without the bad line.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.events import event_to_dict
from core.recording import BadLine, RecordedLine, read_recording
from core.sim.market_sim import Simulator
from tests.hostile.ledger import case as ledger_case

ROOT = Path(__file__).resolve().parents[1]
AT = 120  # the bad line goes in after this many good ones


@pytest.fixture(scope="module")
def good_lines(tmp_path_factory) -> list[bytes]:
    sim = Simulator("crash", seed=5, markets=4)
    return [
        json.dumps({"ts": ev.ts_recv, "venue": "sim", "msg": event_to_dict(ev)}).encode() for ev in sim.run(15 * 60)
    ]


@pytest.fixture(scope="module")
def clean(tmp_path_factory, good_lines) -> Path:
    p = tmp_path_factory.mktemp("clean") / "clean.jsonl"
    p.write_bytes(b"\n".join(good_lines) + b"\n")
    return p


def _ts(good_lines: list[bytes], i: int) -> float:
    return json.loads(good_lines[i])["ts"]


def _sim_line(good_lines: list[bytes], i: int, **changes) -> bytes:
    obj = json.loads(good_lines[i])
    obj["msg"].update(changes)
    return json.dumps(obj).encode()


def _mark_line(good_lines: list[bytes]) -> int:
    return next(i for i in range(AT, len(good_lines)) if b'"kind": "mark"' in good_lines[i])


# name -> (bad line(s) given the good lines, reason fragment)
CASES = {
    "non_utf8_byte": (lambda g: [g[AT][:40] + b"\xff\xfe" + g[AT][40:]], "not JSON"),
    "nul_and_binary": (lambda g: [b"\x00\x01\x02\x89PNG\r\n\x1a"[:6]], "not JSON"),
    "cut_json": (lambda g: [g[AT][: len(g[AT]) // 2]], "not JSON"),
    "json_array": (lambda g: [b"[1, 2, 3]"], "not a JSON object"),
    "json_number": (lambda g: [b"42"], "not a JSON object"),
    "ts_string": (
        lambda g: [g[AT].replace(b'"ts": ', b'"ts": "', 1).replace(b', "venue"', b'", "venue"', 1)],
        "'ts' must be a number",
    ),
    "ts_nan_literal": (lambda g: [b'{"ts": NaN, "venue": "sim", "msg": {}}'], "not JSON"),
    "ts_infinite": (lambda g: [b'{"ts": 1e400, "venue": "sim", "msg": {}}'], "not JSON"),
    "ts_bool": (lambda g: [b'{"ts": true, "venue": "sim", "msg": {}}'], "'ts' must be a number"),
    "ts_negative": (lambda g: [b'{"ts": -5, "venue": "sim", "msg": {}}'], "between 1970 and 2100"),
    "ts_year_2200": (lambda g: [b'{"ts": 7258118400, "venue": "sim", "msg": {}}'], "between 1970 and 2100"),
    "venue_missing": (lambda g: [g[AT].replace(b'"venue": "sim", ', b"")], "'venue' must be"),
    "venue_number": (lambda g: [g[AT].replace(b'"venue": "sim"', b'"venue": 7')], "'venue' must be"),
    "msg_missing": (lambda g: [b'{"ts": %f, "venue": "sim"}' % _ts(g, AT)], "missing 'msg'"),
    "unknown_venue": (lambda g: [b'{"ts": %f, "venue": "nasdaq", "msg": "{}"}' % _ts(g, AT)], "nasdaq"),
    "funding_nan_string": (lambda g: [_sim_line(g, _mark_line(g), funding_rate="NaN")], "funding_rate"),
    "mark_string": (lambda g: [_sim_line(g, _mark_line(g), mark="60000")], "mark"),
    "mark_negative": (lambda g: [_sim_line(g, _mark_line(g), mark=-100.0)], "mark"),
    "mark_zero": (lambda g: [_sim_line(g, _mark_line(g), mark=0)], "mark"),
    "market_empty": (lambda g: [_sim_line(g, AT, market="")], "market"),
    "unknown_kind": (lambda g: [_sim_line(g, AT, kind="tweet")], "unknown kind"),
    "event_time_in_2100": (lambda g: [_sim_line(g, AT, ts_recv=4_102_000_000.0)], "ts_recv"),
    "out_of_order_hour": (
        lambda g: [
            b'{"ts": %f, "venue": "sim", "msg": %s}'
            % (_ts(g, AT) - 3600, json.dumps({**json.loads(g[AT])["msg"], "ts_recv": _ts(g, AT) - 3600}).encode())
        ],
        "out of order",
    ),
    "far_future_line": (
        lambda g: [
            b'{"ts": 4100000000.0, "venue": "sim", "msg": %s}'
            % json.dumps({**json.loads(g[AT])["msg"], "ts_recv": 4_100_000_000.0, "ts_event": 4_100_000_000.0}).encode()
        ],
        "far-future",
    ),
}


def _hostile(tmp_path: Path, good: list[bytes], bad: list[bytes], gz: bool = False) -> Path:
    lines = good[:AT] + bad + good[AT:]
    data = b"\n".join(lines) + b"\n"
    p = tmp_path / ("hostile.jsonl.gz" if gz else "hostile.jsonl")
    p.write_bytes(gzip.compress(data) if gz else data)
    return p


def _normalize(path: Path, capsys, *extra: str) -> tuple[int, str, str]:
    code = main(["normalize", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def _ledgered(name: str, path: Path, capsys, want: bytes | None = None) -> tuple[int, str, str]:
    """`normalize` on a hostile file, entered in the hostile-input ledger (class "recordings"): its exit
    code, a traceback if one reached stderr, and how many of the clean file's events are missing."""
    from collections import Counter

    with ledger_case("recordings", name) as c:
        code, out, err = _normalize(path, capsys)
        c.exit_code, c.traceback = code, "Traceback" in err
        if want is not None:
            c.lost = sum((Counter(want.decode().splitlines()) - Counter(out.splitlines())).values())
        assert code == 0
    return code, out, err


@pytest.fixture(scope="module")
def clean_events(clean) -> bytes:
    proc = subprocess.run(
        [sys.executable, "-m", "core.cli", "normalize", str(clean)],
        cwd=ROOT,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    return proc.stdout


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_line_is_counted_with_its_number_and_no_good_line_is_lost(
    case, good_lines, clean_events, tmp_path, capsys
):
    make, reason = CASES[case]
    bad = make(good_lines)
    path = _hostile(tmp_path, good_lines, bad)
    code, out, err = _ledgered(f"line: {case}", path, capsys, clean_events)
    assert code == 0 and "Traceback" not in err
    assert out.encode() == clean_events, "the good lines around the bad one must all come through"
    assert f"{len(bad)} unparseable" in err
    assert f"line {AT + 1}:" in err and reason in err, err
    code, _, err = _normalize(path, capsys, "--strict")
    assert code == 1


def test_a_killed_gzip_recording_yields_every_line_before_the_cut_then_says_where_it_broke(
    good_lines, tmp_path, capsys
):
    import zlib

    data = b"\n".join(good_lines) + b"\n"
    whole = gzip.compress(data)
    path = tmp_path / "killed.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])  # what `kill -9` of a gzip writer leaves
    before_cut = zlib.decompressobj(wbits=31).decompress(whole[: len(whole) * 2 // 3]).count(b"\n")  # whole lines
    with ledger_case("recordings", "gzip cut short (kill -9)") as c:
        code, out, err = _normalize(path, capsys)
        c.exit_code, c.traceback = code, "Traceback" in err
        c.lost = max(0, before_cut - len(out.splitlines()))  # one event per sim line
        assert code == 0
    items = list(read_recording(path))
    good = [i for i in items if isinstance(i, RecordedLine)]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert len(bad) == 1 and isinstance(items[-1], BadLine), "exactly one line at the end says where it broke"
    assert "gzip stream ends early" in bad[0].reason and bad[0].lineno == len(good) + 1
    # every line that was wholly written before the cut comes back, in order
    assert [json.loads(g) for g in good_lines[: len(good)]] == [
        {"ts": i.ts, "venue": i.venue, "msg": i.msg} for i in good
    ]
    assert len(good) == before_cut and len(good) > len(good_lines) // 3
    assert "Traceback" not in err and len(out.splitlines()) == len(good)
    assert "1 unparseable" in err and "gzip stream ends early" in err


def test_corrupt_gzip_bytes_keep_the_lines_before_them(good_lines, tmp_path, capsys):
    whole = bytearray(gzip.compress(b"\n".join(good_lines) + b"\n", compresslevel=1))
    mid = len(whole) // 2
    whole[mid : mid + 64] = bytes(64)  # a damaged disk block
    path = tmp_path / "damaged.jsonl.gz"
    path.write_bytes(bytes(whole))
    code, out, err = _normalize(path, capsys)
    assert code == 0 and "Traceback" not in err
    assert len(out.splitlines()) > len(good_lines) // 4  # the first part survives
    assert "gzip" in err and "unparseable" in err


def test_an_over_long_line_is_skipped_without_holding_it_all(good_lines, tmp_path, capsys, clean_events):
    path = _hostile(tmp_path, good_lines, [b"x" * (17 << 20)])
    code, out, err = _ledgered("line of 17 MB", path, capsys, clean_events)
    assert code == 0 and out.encode() == clean_events
    assert f"line {AT + 1}: line longer than 16 MB" in err


def test_a_missing_final_newline_loses_nothing(good_lines, tmp_path, capsys, clean_events):
    path = tmp_path / "no_newline.jsonl"
    path.write_bytes(b"\n".join(good_lines))
    code, out, err = _ledgered("no final newline", path, capsys, clean_events)
    assert code == 0 and out.encode() == clean_events and "0 unparseable" in err


def test_crlf_line_endings_and_blank_lines_are_fine(good_lines, tmp_path, capsys, clean_events):
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b"\r\n\r\n".join(good_lines) + b"\r\n")
    code, out, err = _ledgered("CRLF and blank lines", path, capsys, clean_events)
    assert code == 0 and out.encode() == clean_events and "0 unparseable" in err


def test_several_far_future_lines_in_a_row_still_cannot_move_the_clock(good_lines, tmp_path, capsys, clean_events):
    future = [
        b'{"ts": %f, "venue": "sim", "msg": %s}'
        % (4.1e9 + k, json.dumps({**json.loads(good_lines[AT])["msg"], "ts_recv": 4.1e9 + k}).encode())
        for k in range(2)
    ]
    path = _hostile(tmp_path, good_lines, future)
    code, out, err = _ledgered("two far-future lines in a row", path, capsys, clean_events)
    assert code == 0 and out.encode() == clean_events
    assert "2 unparseable" in err and err.count("far-future") == 2


def test_a_real_gap_in_the_data_is_kept(good_lines, tmp_path, capsys):
    """An hour with no data (a recorder restarted) is confirmed by the lines after it, not skipped."""
    shifted = [_shift(line, 3600.0) for line in good_lines[AT:]]
    path = tmp_path / "gap.jsonl"
    path.write_bytes(b"\n".join(good_lines[:AT] + shifted) + b"\n")
    code, out, err = _normalize(path, capsys)
    assert code == 0 and "0 unparseable" in err and len(out.splitlines()) == len(good_lines)


def _shift(line: bytes, s: float) -> bytes:
    obj = json.loads(line)
    obj["ts"] += s
    obj["msg"]["ts_recv"] += s
    obj["msg"]["ts_event"] += s
    return json.dumps(obj).encode()


def test_empty_file_and_missing_file(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    code, out, err = _normalize(empty, capsys)
    assert code == 0 and out == "" and "0 lines, 0 events, 0 unparseable" in err
    code, _, err = _normalize(tmp_path / "nope.jsonl", capsys)
    assert code == 1 and "no such file or folder" in err and "Traceback" not in err
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    code, _, err = _normalize(tmp_path / "notes", capsys)  # a folder without recordings
    assert code == 1 and "no recordings" in err


_CLEAN_REPORTS: dict[str, dict] = {}


def clean_reports(cmd: str, clean: Path) -> dict:
    if cmd not in _CLEAN_REPORTS:
        proc = subprocess.run(
            [sys.executable, "-m", "core.cli", cmd, str(clean), "--json"],
            cwd=ROOT,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=True,
        )
        _CLEAN_REPORTS[cmd] = json.loads(proc.stdout)
    return _CLEAN_REPORTS[cmd]


@pytest.mark.parametrize("case", ["funding_nan_string", "far_future_line", "mark_negative", "non_utf8_byte"])
def test_backtest_study_and_sweep_see_what_they_would_without_the_bad_line(case, good_lines, clean, tmp_path, capsys):
    path = _hostile(tmp_path, good_lines, CASES[case][0](good_lines), gz=True)
    for cmd in (["backtest", "--json"], ["study", "--json"]):
        want = clean_reports(cmd[0], clean)
        with ledger_case("recordings", f"{cmd[0]}: {case}") as c:
            c.exit_code = main([cmd[0], str(path), *cmd[1:]])
            out, err = capsys.readouterr()
            got = json.loads(out)
            c.traceback = "Traceback" in err
            if cmd[0] == "backtest":
                c.lost = abs(want["events"] - got["events"])
            assert c.exit_code == 0
        assert got["bad_lines"] == 1 and "1 bad line skipped" in err and f"line {AT + 1}:" in err
        for key in ("trades", "pnl", "signals", "tiers") if cmd[0] == "backtest" else ("episodes", "table"):
            assert got[key] == want[key], (cmd[0], key)
    with ledger_case("recordings", f"sweep: {case}") as c:
        c.exit_code = main(["sweep", str(path), "--grid", "score_min=6,7"])
        out, err = capsys.readouterr()
        c.traceback = "Traceback" in err
        assert c.exit_code == 0
    assert "1 bad line skipped" in err


def test_a_killed_recording_runs_end_to_end_in_a_subprocess(good_lines, tmp_path):
    whole = gzip.compress(b"\n".join(good_lines) + b"\n")
    path = tmp_path / "killed.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for cmd in (["backtest"], ["study"], ["sweep", "--grid", "score_min=6,7"]):
        with ledger_case("recordings", f"{cmd[0]} on a cut gzip, own process") as c:
            proc = subprocess.run(
                [sys.executable, "-m", "core.cli", cmd[0], str(path), *cmd[1:]],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            c.exit_code, c.traceback = proc.returncode, "Traceback" in proc.stderr
            assert proc.returncode == 0, proc.stderr
        assert "1 bad line skipped" in proc.stderr and "gzip stream ends early" in proc.stderr


async def test_replay_shows_the_bad_line_count_in_its_header_and_lists_the_reasons(good_lines, tmp_path):
    from core.config import Config
    from core.engine import Engine
    from core.sources import ReplaySource

    path = _hostile(tmp_path, good_lines, CASES["far_future_line"][0](good_lines), gz=True)
    source = ReplaySource(path, speed=1.0)
    engine = Engine(Config(), source.clock, mode="watch")
    await source._feed_until(engine, source.clock.now() + 10 * 86_400)
    assert source.finished and source.events == len(good_lines)
    assert source.label.endswith("· 1 bad line")
    report = source.bad_lines_report()
    assert "1 bad line skipped" in report[0] and f"line {AT + 1}: far-future" in report[1]
    assert source.clock.now() < 4.0e9  # the stamp in 2099 never moved the clock


def _events_of(path: Path) -> tuple[list[dict], int]:
    from core.recording_set import RecordingSet

    rs = RecordingSet.open(str(path))
    evs = [event_to_dict(ev) for _, events in rs.iter_lines() for ev in events]
    return evs, rs.stats.bad_count


def test_fuzz_any_bytes_on_one_line_lose_no_good_line(good_lines, tmp_path_factory):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    base = good_lines[:60]
    folder = tmp_path_factory.mktemp("fuzz")
    clean_path = folder / "clean.jsonl"
    clean_path.write_bytes(b"\n".join(base) + b"\n")
    want, _ = _events_of(clean_path)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        junk=st.binary(max_size=300).filter(lambda b: b"\n" not in b), at=st.integers(0, len(base)), gz=st.booleans()
    )
    def check(junk: bytes, at: int, gz: bool) -> None:
        data = b"\n".join(base[:at] + [junk] + base[at:]) + b"\n"
        path = folder / ("f.jsonl.gz" if gz else "f.jsonl")
        path.write_bytes(gzip.compress(data) if gz else data)
        got, bad = _events_of(path)
        assert got == want  # every good line's events, in order
        assert bad == (0 if not junk.strip() else 1)

    check()


def test_fuzz_a_gzip_cut_anywhere_keeps_every_whole_line_before_it(good_lines, tmp_path_factory):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    base = good_lines[:200]
    whole = gzip.compress(b"\n".join(base) + b"\n")
    folder = tmp_path_factory.mktemp("cut")

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(cut=st.integers(20, len(whole) - 1))
    def check(cut: int) -> None:
        path = folder / "cut.jsonl.gz"
        path.write_bytes(whole[:cut])
        items = list(read_recording(path))
        good = [i for i in items if isinstance(i, RecordedLine)]
        assert [json.loads(base[k])["ts"] for k in range(len(good))] == [g.ts for g in good]
        assert sum(isinstance(i, BadLine) for i in items) <= 1  # the one line saying where it broke
        # nothing that was wholly decompressible is missing
        import zlib

        d = zlib.decompressobj(wbits=31)
        readable = d.decompress(whole[:cut])
        assert len(good) == readable.count(b"\n")

    check()


def test_one_bad_value_in_a_many_symbol_frame_costs_that_event_only():
    """A Binance mark frame carries every symbol: a bad value in one must not drop the others."""
    from core.events import MarkPrice
    from core.replay import DecodeStats, _usable

    t = 1_767_225_600.0
    marks = [
        MarkPrice("binance", m, m, px, 0.0001, None, t, t)
        for m, px in (("BTC-USDT-PERP", float("inf")), ("ETH-USDT-PERP", 3000.5), ("SOL-USDT-PERP", 150.25))
    ]
    stats = DecodeStats()
    good = _usable(marks, RecordedLine(7, t, "binance", "frame"), stats, "")
    assert [m.market for m in good] == ["ETH-USDT-PERP", "SOL-USDT-PERP"]
    assert stats.bad_count == 1 and stats.bad[0][0] == 7 and "mark must be a finite number" in stats.bad[0][1]
