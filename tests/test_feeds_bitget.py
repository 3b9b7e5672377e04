"""Bitget USDT-M futures parser: the UTA v3 liquidation snapshot (position side, USDT amount),
v3 tickers (mark, funding, OI) and the v2 contracts list. Fixtures: the documented example
(bitget.com/api-doc/uta/websocket/public/Liquidation-Channel) and shapes from tardis-node's types."""

from pathlib import Path

import orjson
import pytest

from core.events import Liquidation, MarkPrice, OpenInterest
from core.feeds import bitget
from core.feeds.base import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "venues"
TS = 1_800_000_000.0


def frame(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text().strip()


INSTRUMENTS = bitget.parse_instruments(frame("bitget_contracts"))


def parse(name: str, parser=None):
    return (parser or bitget.BitgetParser(INSTRUMENTS)).parse(frame(name), TS)


def test_documented_example_buy_is_a_long_liquidated_and_amount_is_usdt():
    [liq] = parse("bitget_liquidation")
    assert isinstance(liq, Liquidation) and liq.side == "long"
    assert liq.usd == pytest.approx(37.722858) and liq.qty == pytest.approx(37.722858 / 89000)
    assert liq.price == 89000 and liq.ts_event == pytest.approx(1736371332.162) and liq.market == "BTC-USDT-PERP"


def test_one_second_snapshot_has_at_most_one_long_and_one_short_per_pair():
    long_, short = parse("bitget_liquidation_both")
    assert (long_.side, short.side) == ("long", "short")
    assert short.usd == pytest.approx(9090.3) and short.qty == pytest.approx(9090.3 / 3030.1)


def test_bad_side_is_counted_not_guessed():
    with pytest.raises(ParseError) as exc:
        bitget.BitgetParser(INSTRUMENTS).parse(frame("bitget_liquidation").replace('"buy"', '"long"'), TS)
    assert exc.value.reason == "bad_side"


def test_contracts_list_normal_perpetuals_only():
    by = {i.symbol: i for i in INSTRUMENTS}
    assert set(by) == {"BTCUSDT", "ETHUSDT"}
    assert by["BTCUSDT"].tick_size == pytest.approx(0.1) and by["BTCUSDT"].lot_size == 0.0001
    assert by["ETHUSDT"].min_notional == 5


def test_ticker_gives_mark_funding_interval_and_open_interest():
    p = bitget.BitgetParser(INSTRUMENTS)
    mark, oi = p.parse(frame("bitget_ticker"), TS)
    assert isinstance(mark, MarkPrice) and mark.mark == 95209.9 and mark.funding_rate == 0.0001
    assert mark.next_funding_ts == 1764518400.0 and mark.funding_interval_h == 8.0 and mark.symbol == "BTCUSDT"
    assert isinstance(oi, OpenInterest) and oi.oi_qty == 42000.5 and oi.oi_usd == pytest.approx(42000.5 * 95209.9)
    assert p.parse_rest("/api/v2/mix/market/contracts", {}, orjson.loads(frame("bitget_contracts")), TS) == []
    eth = frame("bitget_ticker").replace("BTCUSDT", "ETHUSDT")
    assert p.parse(eth, TS)[0].funding_interval_h == 4.0


def test_control_frames():
    assert parse("bitget_subscribe_event") == [] and bitget.BitgetParser().parse("pong", TS) == []
    with pytest.raises(ParseError) as exc:
        parse("bitget_error_event")
    assert exc.value.reason == "venue_error"


def test_connections_one_liquidation_subscription_and_text_ping():
    many = [bitget.Instrument("bitget", f"C{i}USDT", f"C{i}-USDT-PERP") for i in range(250)]
    conns = bitget.connections(many)
    assert conns[0].url == "wss://ws.bitget.com/v3/ws/public" and conns[0].ping_frame == "ping"
    assert orjson.loads(conns[0].subscribe[0]) == {
        "op": "subscribe",
        "args": [{"instType": "usdt-futures", "topic": "liquidation"}],
    }
    symbols = [a["symbol"] for c in conns[1:] for f in c.subscribe for a in orjson.loads(f)["args"]]
    assert sorted(symbols) == sorted(i.symbol for i in many)
    assert conns[0].ping_interval < 30  # Bitget wants a ping at least every 30 s
