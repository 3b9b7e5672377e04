"""tardis.dev CSV files as a source: recognised by header, side and amount converted per exchange."""

from __future__ import annotations

import gzip
import json

import pytest

from core.cli import main
from core.sim.market_sim import Simulator
from core.tardis import to_base_and_usd

LIQ_HEADER = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"
TICKER_HEADER = (
    "exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,"
    "open_interest,last_price,index_price,mark_price"
)


def us(t: float) -> int:
    return round(t * 1e6)


def write_gz(path, header: str, rows: list[str]) -> None:
    path.write_bytes(gzip.compress(("\n".join([header, *rows]) + "\n").encode()))


@pytest.mark.parametrize(
    "exchange,symbol,amount,price,qty,usd",
    [
        ("binance-futures", "BTCUSDT", 0.5, 60_000.0, 0.5, 30_000.0),
        ("binance-delivery", "BTCUSD_PERP", 3, 60_000.0, 0.005, 300.0),
        ("binance-delivery", "ETHUSD_PERP", 3, 3_000.0, 0.01, 30.0),
        ("bybit", "BTCUSDT", 0.2, 60_000.0, 0.2, 12_000.0),
        ("bybit", "BTCUSD", 6_000, 60_000.0, 0.1, 6_000.0),
        ("okex-swap", "BTC-USDT-SWAP", 40, 60_000.0, 0.4, 24_000.0),
        ("okex-swap", "BTC-USD-SWAP", 40, 60_000.0, 4_000 / 60_000, 4_000.0),
        ("bitmex", "XBTUSD", 12_000, 60_000.0, 0.2, 12_000.0),
        ("deribit", "BTC-PERPETUAL", 12_000, 60_000.0, 0.2, 12_000.0),
        ("deribit", "SOL_USDC-PERPETUAL", 3, 150.0, 3, 450.0),
    ],
)
def test_amounts_are_converted_to_base_quantity_and_usd_per_exchange(exchange, symbol, amount, price, qty, usd):
    assert to_base_and_usd(exchange, symbol, amount, price) == (pytest.approx(qty), pytest.approx(usd))


def test_an_amount_whose_unit_is_unknown_is_refused_not_guessed():
    with pytest.raises(ValueError, match="instruments-okx.json"):
        to_base_and_usd("okex-swap", "PEPE-USDT-SWAP", 5, 0.00001)
    with pytest.raises(ValueError, match="instruments-okx.json"):
        to_base_and_usd("okex-swap", "ETH-USD-SWAP", 5, 3000.0)
    with pytest.raises(ValueError, match="unknown"):
        to_base_and_usd("bitmex", "ETHUSD", 5, 3000.0)


def test_liquidations_csv_is_recognised_by_its_header_and_the_order_side_becomes_the_position_side(tmp_path, capsys):
    p = tmp_path / "anything.gz"  # the name does not matter: the header does
    t = 1_767_225_600.0
    write_gz(
        p,
        LIQ_HEADER,
        [
            f"binance-futures,BTCUSDT,{us(t)},{us(t + 0.05)},,sell,60000,0.5",
            f"binance-futures,ETHUSDT,{us(t + 1)},{us(t + 1.05)},,buy,3000,2",
            f"binance-futures,ETHUSDT,{us(t + 2)},{us(t + 2.05)},,unknown,3000,2",
            f"kraken-futures,PI_XBTUSD,{us(t + 3)},{us(t + 3.05)},,buy,60000,1",
            f"binance-futures,ETHUSDT,{us(t + 4)},{us(t + 4.05)},,buy,NaN,2",
            f"binance-futures,ETHUSDT,{us(t + 5)},{us(t + 5.05)},,buy,3000,2",
        ],
    )
    assert main(["normalize", str(p)]) == 0
    out, err = capsys.readouterr()
    evs = [json.loads(line) for line in out.splitlines()]
    assert [(e["market"], e["side"], e["usd"]) for e in evs] == [
        ("BTC-USDT-PERP", "long", 30_000.0),
        ("ETH-USDT-PERP", "short", 6_000.0),
        ("ETH-USDT-PERP", "short", 6_000.0),
    ]
    assert evs[0]["ts_recv"] == pytest.approx(t + 0.05) and evs[0]["ts_event"] == pytest.approx(t)
    assert "3 unparseable" in err and "line 4: side" in err and "line 5: exchange 'kraken-futures'" in err
    assert "line 6:" in err and "price" in err


def test_derivative_ticker_gives_marks_and_open_interest_when_it_changes(tmp_path, capsys):
    p = tmp_path / "ticker.csv.gz"
    t = 1_767_225_600.0
    write_gz(
        p,
        TICKER_HEADER,
        [
            f"binance-futures,BTCUSDT,{us(t)},{us(t + 0.1)},{us(t + 3600)},0.0001,,100.5,60010,60001,60000",
            f"binance-futures,BTCUSDT,{us(t + 1)},{us(t + 1.1)},{us(t + 3600)},0.0001,,100.5,60010,60001,60100",
            f"binance-futures,BTCUSDT,{us(t + 2)},{us(t + 2.1)},{us(t + 3600)},,,101,,,60200",
        ],
    )
    assert main(["normalize", str(p)]) == 0
    evs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["kind"] for e in evs] == ["mark", "open_interest", "mark", "mark", "open_interest"]
    assert evs[0]["funding_rate"] == 0.0001 and evs[0]["next_funding_ts"] == pytest.approx(t + 3600)
    assert evs[0]["index"] == 60001 and evs[3]["funding_rate"] is None
    assert evs[1]["oi_usd"] == pytest.approx(100.5 * 60000) and evs[4]["oi_qty"] == 101


@pytest.fixture(scope="module")
def tardis_folder(tmp_path_factory):
    """A simulated crash written as tardis files: liquidations and a 1 s derivative ticker per market."""
    root = tmp_path_factory.mktemp("tardis")
    sim = Simulator("crash", seed=11, markets=3)
    liqs, ticks, last = [], [], {}
    for ev in sim.run(30 * 60):
        sym = ev.market.replace("-PERP", "").replace("-", "")
        if ev.kind == "liquidation":
            side = "sell" if ev.side == "long" else "buy"
            liqs.append(f"binance-futures,{sym},{us(ev.ts_event)},{us(ev.ts_recv)},,{side},{ev.price!r},{ev.qty!r}")
        elif ev.kind == "mark" and ev.ts_recv - last.get(sym, 0) >= 1.0:
            last[sym] = ev.ts_recv
            ticks.append(
                f"binance-futures,{sym},{us(ev.ts_event)},{us(ev.ts_recv)},,{ev.funding_rate!r},,1000,,,{ev.mark!r}"
            )
    write_gz(root / "binance-futures_liquidations_2026-01-01.csv.gz", LIQ_HEADER, liqs)
    write_gz(root / "binance-futures_derivative_ticker_2026-01-01.csv.gz", TICKER_HEADER, ticks)
    return root


def test_a_tardis_folder_is_a_source_for_backtest_study_sweep_and_export(tardis_folder, tmp_path, capsys):
    assert main(["backtest", str(tardis_folder)]) == 0
    out = capsys.readouterr().out
    assert out.count("caveat: tardis.dev") == 2 and "no order book" in out and "ticker cadence" in out
    assert main(["backtest", str(tardis_folder), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["bad_lines"] == 0 and rep["events"] > 1000 and len(rep["caveats"]) == 2
    assert main(["study", str(tardis_folder), "--json"]) == 0
    study = json.loads(capsys.readouterr().out)
    assert study["episodes"], "liquidations and marks alone are enough to detect the crash"
    assert main(["sweep", str(tardis_folder), "--grid", "score_min=6,7"]) == 0
    assert "caveat: tardis.dev" in capsys.readouterr().out
    pytest.importorskip("pyarrow")
    assert main(["export", str(tardis_folder), "--parquet", str(tmp_path / "pq")]) == 0
    assert main(["backtest", str(tmp_path / "pq"), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["trades"], again["pnl"], again["signals"]) == (rep["trades"], rep["pnl"], rep["signals"])


def test_a_cut_tardis_gzip_keeps_the_rows_before_the_cut(tardis_folder, tmp_path, capsys):
    src = tardis_folder / "binance-futures_derivative_ticker_2026-01-01.csv.gz"
    data = src.read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(data[: len(data) // 2])
    assert main(["normalize", str(cut)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) > 100 and "gzip stream ends early" in err and "1 unparseable" in err


def test_contract_values_come_from_an_instrument_list_beside_the_csv(tmp_path, capsys):
    from core.feeds.instruments_cache import write_cache
    from core.instruments import Instrument

    write_cache(tmp_path, "okx", [Instrument("okx", "ETH-USDT-SWAP", "ETH-USDT-PERP", "linear", 0.1)], 0.0)
    t = 1_767_225_600.0
    write_gz(
        tmp_path / "okex-swap_liquidations.csv.gz",
        LIQ_HEADER,
        [
            f"okex-swap,ETH-USDT-SWAP,{us(t)},{us(t + 0.05)},,sell,3000,40",
            f"okex-swap,SOL-USDT-SWAP,{us(t + 1)},{us(t + 1.05)},,sell,150,40",
        ],
    )
    assert main(["normalize", str(tmp_path / "okex-swap_liquidations.csv.gz")]) == 0
    out, err = capsys.readouterr()
    evs = [json.loads(line) for line in out.splitlines()]
    assert [(e["market"], e["qty"], e["usd"]) for e in evs] == [
        ("ETH-USDT-PERP", pytest.approx(4.0), pytest.approx(12_000.0))
    ]
    assert "line 3: OKX contract value of SOL-USDT-SWAP unknown" in err


def test_a_csv_of_another_kind_is_one_clear_bad_input(tmp_path, capsys):
    p = tmp_path / "binance-futures_trades_2026-01-01_BTCUSDT.csv.gz"
    write_gz(p, "exchange,symbol,timestamp,local_timestamp,id,side,price,amount", [])
    p.write_bytes(
        gzip.compress(
            b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount,extra\n" + b"x,y,1,2,3,buy,1,1,z\n" * 1000
        )
    )
    assert main(["normalize", str(p)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "1 unparseable" in err and "not a recording, nor a tardis.dev" in err
