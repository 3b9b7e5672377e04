"""BitMEX parser: liquidation table counted once on insert (order side), instrument table merge."""

from pathlib import Path

import pytest

from core.events import Liquidation, MarkPrice, OpenInterest
from core.feeds import bitmex
from core.feeds.base import ParseError
from core.instruments import Instrument

FIXTURES = Path(__file__).parent / "fixtures" / "venues"
TS = 1_800_000_000.0


def frame(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text().strip()


def parse(name: str, parser=None):
    return (parser or bitmex.BitmexParser()).parse(frame(name), TS)


def test_bitmex_buy_liquidation_order_is_a_short_liquidation():
    [liq] = parse("bitmex_liquidation_insert")
    assert isinstance(liq, Liquidation)
    assert liq.side == "short"


def test_bitmex_sell_liquidation_order_is_a_long_liquidation():
    parser = bitmex.BitmexParser()
    parse("bitmex_instrument_partial", parser)
    [liq] = parse("bitmex_liquidation_insert_linear", parser)
    assert liq.side == "long"


def test_bitmex_xbtusd_contracts_are_usd_and_qty_is_usd_over_price():
    [liq] = parse("bitmex_liquidation_insert")
    assert (liq.market, liq.symbol, liq.price) == ("BTC-USD-PERP", "XBTUSD", 13854.5)
    assert liq.usd == pytest.approx(314930.0)
    assert liq.qty == pytest.approx(314930 / 13854.5)


def test_bitmex_liquidation_has_no_venue_time_so_event_time_is_receive_time():
    [liq] = parse("bitmex_liquidation_insert")
    assert liq.ts_event == liq.ts_recv == TS


def test_bitmex_linear_contracts_use_the_size_learned_from_the_instrument_table():
    parser = bitmex.BitmexParser()
    parse("bitmex_instrument_partial", parser)
    [liq] = parse("bitmex_liquidation_insert_linear", parser)
    assert liq.market == "JTO-USDT-PERP"
    assert liq.qty == pytest.approx(1000.0)  # multiplier / quoteToSettleMultiplier = 1 JTO per contract
    assert liq.usd == pytest.approx(2400.0)


def test_bitmex_linear_contracts_use_the_size_of_a_given_instrument():
    inst = Instrument(venue="bitmex", symbol="JTOUSDT", market="JTO-USDT-PERP", contract_value=0.5)
    [liq] = parse("bitmex_liquidation_insert_linear", bitmex.BitmexParser([inst]))
    assert liq.qty == pytest.approx(500.0)


def test_bitmex_liquidation_without_instrument_size_is_refused_not_guessed():
    with pytest.raises(ParseError) as err:
        parse("bitmex_liquidation_insert_linear")
    assert err.value.reason == "unknown_instrument"


def test_bitmex_repeated_insert_of_the_same_order_is_counted_once():
    parser = bitmex.BitmexParser()
    assert len(parse("bitmex_liquidation_insert", parser)) == 1
    assert parse("bitmex_liquidation_insert", parser) == []


@pytest.mark.parametrize("name", ["bitmex_liquidation_update", "bitmex_liquidation_delete"])
def test_bitmex_update_and_delete_rows_add_nothing(name):
    parser = bitmex.BitmexParser()
    parse("bitmex_liquidation_insert", parser)
    assert parse(name, parser) == []


def test_bitmex_partial_snapshot_of_resting_orders_is_not_emitted():
    assert parse("bitmex_liquidation_partial") == []


def test_bitmex_insert_of_an_order_seen_in_the_partial_is_not_counted():
    parser = bitmex.BitmexParser()
    parse("bitmex_liquidation_partial", parser)
    insert = frame("bitmex_liquidation_partial").replace('"partial"', '"insert"')
    assert parser.parse(insert, TS) == []


def test_bitmex_seen_order_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(bitmex, "SEEN_ORDER_IDS", 2)
    parser = bitmex.BitmexParser()
    for order_id in ("a", "b", "c"):
        row = f'{{"orderID":"{order_id}","symbol":"XBTUSD","side":"Sell","price":100.0,"leavesQty":10}}'
        parser.parse(f'{{"table":"liquidation","action":"insert","data":[{row}]}}', TS)
    again = '{"table":"liquidation","action":"insert","data":[{"orderID":"a","symbol":"XBTUSD","side":"Sell","price":100.0,"leavesQty":10}]}'
    assert len(parser.parse(again, TS)) == 1  # "a" was evicted


def test_bitmex_several_inserts_in_one_frame_give_several_liquidations():
    rows = ",".join(
        f'{{"orderID":"o{i}","symbol":"XBTUSD","side":"Sell","price":100.0,"leavesQty":10}}' for i in range(3)
    )
    events = bitmex.BitmexParser().parse(f'{{"table":"liquidation","action":"insert","data":[{rows}]}}', TS)
    assert [e.side for e in events] == ["long"] * 3


def test_bitmex_instrument_partial_gives_mark_and_open_interest_for_supported_perpetuals():
    events = parse("bitmex_instrument_partial")
    marks = {e.symbol: e for e in events if isinstance(e, MarkPrice)}
    assert set(marks) == {"XBTUSD", "JTOUSDT"}  # quanto ETHUSD and index .BXBT are skipped
    xbt = marks["XBTUSD"]
    assert (xbt.mark, xbt.funding_rate, xbt.funding_interval_h) == (95000.5, 0.0001, 8.0)
    assert xbt.next_funding_ts == pytest.approx(1732507200.0)  # 2024-11-25T04:00Z
    assert xbt.ts_event == pytest.approx(1732502650.789)


def test_bitmex_xbtusd_open_interest_is_contracts_in_usd():
    ois = {e.symbol: e for e in parse("bitmex_instrument_partial") if isinstance(e, OpenInterest)}
    assert ois["XBTUSD"].oi_usd == pytest.approx(450_000_000.0)
    assert ois["JTOUSDT"].oi_usd == pytest.approx(6780 * 2.46561)


def test_bitmex_instrument_update_is_merged_into_the_partial():
    parser = bitmex.BitmexParser()
    parse("bitmex_instrument_partial", parser)
    mark, oi = parse("bitmex_instrument_update", parser)
    assert (mark.symbol, mark.mark, mark.funding_rate) == ("XBTUSD", 95010.0, 0.0001)
    assert oi.oi_usd == pytest.approx(450_100_000.0)


@pytest.mark.parametrize(
    "raw",
    [
        "pong",
        '{"info":"Welcome to the BitMEX Realtime API.","version":"2.0.0"}',
        '{"success":true,"subscribe":"liquidation","request":{"op":"subscribe","args":["liquidation"]}}',
    ],
)
def test_bitmex_pong_welcome_and_subscribe_success_give_nothing(raw):
    assert bitmex.BitmexParser().parse(raw, TS) == []


@pytest.mark.parametrize("name", ["bitmex_welcome", "bitmex_subscribe_success"])
def test_bitmex_recorded_control_frames_give_nothing(name):
    assert parse(name) == []


@pytest.mark.parametrize(
    "raw, reason",
    [
        ('{"error":"Unknown table: liquidations","request":{"op":"subscribe"}}', "venue_error"),
        ('{"table":"orderBookL2","action":"insert","data":[]}', "unknown_stream"),
        ('{"table":"liquidation","data":[]}', "missing_field"),
        (
            '{"table":"liquidation","action":"insert","data":[{"orderID":"x","symbol":"XBTUSD","side":"Short","price":1,"leavesQty":1}]}',
            "bad_side",
        ),
        (
            '{"table":"liquidation","action":"insert","data":[{"orderID":"x","symbol":"XBTUSD","side":"Sell","price":-1,"leavesQty":1}]}',
            "bad_number",
        ),
        (
            '{"table":"liquidation","action":"insert","data":[{"symbol":"XBTUSD","side":"Sell","price":1,"leavesQty":1}]}',
            "missing_field",
        ),
        (
            '{"table":"instrument","action":"update","data":[{"symbol":"XBTUSD","markPrice":1,"fundingTimestamp":"soon","fundingRate":0.1}]}',
            "bad_time",
        ),
    ],
)
def test_bitmex_malformed_frame_raises_parse_error_with_reason(raw, reason):
    with pytest.raises(ParseError) as err:
        bitmex.BitmexParser().parse(raw, TS)
    assert err.value.reason == reason


def test_bitmex_instruments_keep_inverse_and_linear_perpetuals_but_not_quantos():
    by_symbol = {i.symbol: i for i in bitmex.parse_instruments(frame("bitmex_instrument_active"))}
    assert set(by_symbol) == {"XBTUSD", "JTOUSDT"}
    assert (by_symbol["XBTUSD"].contract_kind, by_symbol["XBTUSD"].contract_value) == ("inverse", 1.0)
    assert (by_symbol["JTOUSDT"].contract_kind, by_symbol["JTOUSDT"].contract_value) == ("linear", 1.0)
    assert by_symbol["XBTUSD"].market == "BTC-USD-PERP"


def test_bitmex_connection_subscribes_both_tables_and_pings_often():
    [conn] = bitmex.connections()
    assert conn.url == "wss://ws.bitmex.com/realtime"
    assert conn.subscribe == ('{"op":"subscribe","args":["liquidation","instrument"]}',)
    assert conn.ping_frame == "ping" and 5 <= conn.ping_interval <= 10


def test_bitmex_junk_instrument_field_is_refused_before_it_reaches_the_state():
    parser = bitmex.BitmexParser()
    parse("bitmex_instrument_partial", parser)
    with pytest.raises(ParseError):
        parser.parse('{"table":"instrument","action":"update","data":[{"symbol":"XBTUSD","fundingRate":"x"}]}', TS)
    mark, _ = parse("bitmex_instrument_update", parser)
    assert mark.funding_rate == 0.0001
