"""`export --parquet`: the dataset layout, and every reading command gets from it exactly what the
recording gives."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from core.cli import main
from core.events import event_to_dict
from core.recording import RecordingWriter
from core.sim.market_sim import Simulator

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

BINANCE_FORCE = (
    '{{"stream":"!forceOrder@arr","data":{{"e":"forceOrder","E":{e},"o":{{"s":"BTCUSDT","S":"SELL",'
    '"o":"LIMIT","f":"IOC","q":"0.5","p":"26142.12","ap":"26245.10","X":"FILLED","l":"0.5","z":"0.5","T":{e}}}}}}}'
)


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    p = tmp_path_factory.mktemp("rec") / "crash.jsonl.gz"
    sim = Simulator("crash", seed=11, markets=4)
    with RecordingWriter(p) as w:
        evs = list(sim.run(25 * 60))
        w.write(
            evs[0].ts_recv,
            "binance",
            {"instruments": [{"venue": "binance", "symbol": "BTCUSDT", "market": "BTC-USDT-PERP", "lot_size": 0.001}]},
        )
        for k, ev in enumerate(evs):
            w.write(ev.ts_recv, "sim", event_to_dict(ev))
            if k % 500 == 0:  # a raw venue frame in the same stream, parsed on export like on replay
                w.write(ev.ts_recv, "binance", BINANCE_FORCE.format(e=int(ev.ts_recv * 1000)))
    return p


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, recording):
    out = tmp_path_factory.mktemp("pq") / "ds"
    assert main(["export", str(recording), "--parquet", str(out)]) == 0
    return out


def test_layout_is_kind_venue_date_partitions_zstd_sorted_by_market_and_time(dataset):
    files = sorted(dataset.rglob("*.parquet"))
    kinds = {p.parts[-4] for p in files}
    assert kinds == {"kind=liquidation", "kind=mark", "kind=trade", "kind=open_interest"}
    assert {p.parts[-3] for p in files} == {"venue=sim", "venue=binance"}
    assert all(p.parts[-2].startswith("date=2026-") and p.name.startswith("part-") for p in files)
    for p in files:
        meta = pq.ParquetFile(p).metadata
        assert meta.row_group(0).column(0).compression == "ZSTD"
        t = pq.read_table(p)
        keys = list(zip(t.column("market").to_pylist(), t.column("ts_recv").to_pylist(), strict=True))
        assert keys == sorted(keys)
    ins = json.loads((dataset / "instruments.json").read_text())
    assert ins[0]["symbol"] == "BTCUSDT" and ins[0]["lot_size"] == 0.001


def test_normalize_backtest_and_study_read_the_dataset_exactly_like_the_recording(recording, dataset, capsys):
    assert main(["normalize", str(recording)]) == 0
    from_jsonl = capsys.readouterr().out
    assert main(["normalize", str(dataset)]) == 0
    assert capsys.readouterr().out == from_jsonl  # same events, same order, byte for byte
    for cmd, keys in (
        ("backtest", ("trades", "pnl", "signals", "tiers", "playbooks", "events", "span_s")),
        ("study", ("episodes", "table")),
    ):
        assert main([cmd, str(recording), "--json"]) == 0
        a = json.loads(capsys.readouterr().out)
        assert main([cmd, str(dataset), "--json"]) == 0
        b = json.loads(capsys.readouterr().out)
        for k in keys:
            assert a[k] == b[k], (cmd, k)
    assert a["episodes"], "the crash should give the study something to compare"


def test_duckdb_reads_the_dataset_directly(recording, dataset, capsys):
    duckdb = pytest.importorskip("duckdb")
    assert main(["normalize", str(recording)]) == 0
    want: dict[tuple[str, int], float] = defaultdict(float)
    for line in capsys.readouterr().out.splitlines():
        e = json.loads(line)
        if e["kind"] == "liquidation":
            want[(e["market"], int(e["ts_recv"] // 60) * 60)] += e["usd"]
    got = duckdb.sql(f"""
        SELECT market, epoch(date_trunc('minute', to_timestamp(ts_recv)))::BIGINT AS minute, sum(usd) AS usd
        FROM read_parquet('{dataset}/kind=liquidation/**/*.parquet', hive_partitioning = true)
        GROUP BY ALL""").fetchall()
    assert {(m, t): pytest.approx(u) for m, t, u in got} == dict(want)


def test_a_damaged_parquet_file_is_a_counted_bad_input_not_a_traceback(dataset, tmp_path, capsys):
    import shutil

    copy = tmp_path / "ds"
    shutil.copytree(dataset, copy)
    victim = next(copy.rglob("kind=trade/**/*.parquet"))
    victim.write_bytes(victim.read_bytes()[:200])
    assert main(["backtest", str(copy), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["bad_lines"] == 1 and "unreadable Parquet" in err


def test_export_refuses_to_write_over_its_own_inputs(dataset, capsys):
    assert main(["export", str(dataset), "--parquet", str(dataset)]) == 2
    assert "holds some of the inputs" in capsys.readouterr().err
