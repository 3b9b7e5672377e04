"""Bybit v5 linear parser: allLiquidation (position side), retired liquidation topic, tickers merge."""

from pathlib import Path

import orjson
import pytest

from core.events import Liquidation, MarkPrice, OpenInterest
from core.feeds import bybit
from core.feeds.base import ParseError
from core.instruments import Instrument

FIXTURES = Path(__file__).parent / "fixtures" / "venues"
TS = 1_800_000_000.0


def frame(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text().strip()


def parse(name: str, parser=None):
    return (parser or bybit.BybitParser()).parse(frame(name), TS)


def test_bybit_buy_is_a_long_liquidation_because_s_is_the_position_side():
    _, buy = parse("bybit_all_liquidation")
    assert buy.side == "long"


def test_bybit_sell_is_a_short_liquidation():
    sell, _ = parse("bybit_all_liquidation")
    assert sell.side == "short"


def test_bybit_all_liquidation_frame_gives_every_liquidation_in_its_list():
    events = parse("bybit_all_liquidation")
    assert [type(e) for e in events] == [Liquidation, Liquidation]
    assert [e.ts_event for e in events] == [pytest.approx(1739502302.929), pytest.approx(1739502303.011)]


def test_bybit_linear_liquidation_size_is_base_coin_and_usd_is_size_times_price():
    sell, _ = parse("bybit_all_liquidation")
    assert (sell.market, sell.symbol) == ("ROSE-USDT-PERP", "ROSEUSDT")
    assert (sell.price, sell.qty) == (0.04499, 20000.0)
    assert sell.usd == pytest.approx(20000 * 0.04499)


def test_bybit_retired_liquidation_topic_uses_the_same_position_side():
    [liq] = parse("bybit_liquidation_legacy")
    assert liq.side == "long"
    assert liq.usd == pytest.approx(0.23 * 16963.5)
    assert liq.ts_event == pytest.approx(1673251091.822)


def test_bybit_ticker_snapshot_gives_mark_with_funding_and_open_interest():
    mark, oi = parse("bybit_tickers_snapshot")
    assert isinstance(mark, MarkPrice) and isinstance(oi, OpenInterest)
    assert (mark.mark, mark.funding_rate, mark.next_funding_ts) == (17217.33, -0.000212, 1673280000.0)
    assert mark.index == 17227.36 and mark.funding_interval_h == 8.0
    assert oi.oi_usd == pytest.approx(1183601235.91)


def test_bybit_ticker_delta_is_merged_into_the_snapshot_state():
    parser = bybit.BybitParser()
    parse("bybit_tickers_snapshot", parser)
    [mark] = parse("bybit_tickers_delta", parser)
    assert mark.mark == 17219.10
    assert mark.funding_rate == -0.000212  # carried over from the snapshot
    assert mark.next_funding_ts == 1673280000.0


def test_bybit_ticker_delta_without_mark_or_oi_changes_gives_nothing():
    parser = bybit.BybitParser()
    parse("bybit_tickers_snapshot", parser)
    delta = '{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","bid1Price":"17210.0"},"ts":1673272861900}'
    assert parser.parse(delta, TS) == []


def test_bybit_ticker_delta_changing_only_open_interest_gives_only_open_interest():
    parser = bybit.BybitParser()
    parse("bybit_tickers_snapshot", parser)
    delta = (
        '{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT",'
        '"openInterest":"68800","openInterestValue":"1184000000"},"ts":1673272861900}'
    )
    [oi] = parser.parse(delta, TS)
    assert (oi.oi_usd, oi.oi_qty) == (1184000000.0, 68800.0)


def test_bybit_open_interest_prefers_the_single_side_value():
    mark, oi = parse("bybit_tickers_snapshot_single_oi")
    assert oi.oi_usd == pytest.approx(312055000.0)
    assert oi.oi_qty == pytest.approx(100000.0)


def test_bybit_funding_interval_hour_is_used_when_present():
    mark, _ = parse("bybit_tickers_snapshot_single_oi")
    assert mark.funding_interval_h == 4.0


def test_bybit_liquidation_on_known_instrument_uses_its_market_name():
    inst = Instrument(venue="bybit", symbol="ROSEUSDT", market="ROSE-USDT-PERP")
    events = bybit.BybitParser([inst]).parse(frame("bybit_all_liquidation"), TS)
    assert {e.market for e in events} == {"ROSE-USDT-PERP"}


@pytest.mark.parametrize("name", ["bybit_pong", "bybit_subscribe_response"])
def test_bybit_pong_and_subscribe_response_give_nothing(name):
    assert parse(name) == []


def test_bybit_failed_subscription_is_counted_as_a_venue_error():
    with pytest.raises(ParseError) as err:
        parse("bybit_subscribe_failure")
    assert err.value.reason == "venue_error"


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("", "bad_json"),
        ('{"topic":"allLiquidation.BTCUSDT","data":{"T":1,"s":"BTCUSDT","S":"Buy","v":"1","p":"1"}}', "bad_type"),
        ('{"topic":"allLiquidation.BTCUSDT","data":[{"T":1,"s":"BTCUSDT","S":"Long","v":"1","p":"1"}]}', "bad_side"),
        ('{"topic":"allLiquidation.BTCUSDT","data":[{"T":1,"s":"BTCUSDT","S":"Buy","p":"1"}]}', "missing_field"),
        ('{"topic":"allLiquidation.BTCUSDT","data":[{"T":1,"s":"BTCUSDT","S":"Buy","v":"0","p":"1"}]}', "bad_number"),
        ('{"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT","markPrice":"abc"}}', "bad_number"),
        ('{"topic":"orderbook.50.BTCUSDT","data":{}}', "unknown_stream"),
    ],
)
def test_bybit_malformed_frame_raises_parse_error_with_reason(raw, reason):
    with pytest.raises(ParseError) as err:
        bybit.BybitParser().parse(raw, TS)
    assert err.value.reason == reason


def test_bybit_rejected_ticker_frame_leaves_the_merged_state_unchanged():
    parser = bybit.BybitParser()
    parse("bybit_tickers_snapshot", parser)
    with pytest.raises(ParseError):
        parser.parse('{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","markPrice":"x"}}', TS)
    [mark] = parse("bybit_tickers_delta", parser)
    assert mark.mark == 17219.10


def test_bybit_instruments_keep_trading_linear_perpetuals():
    btc, btc_usdc = bybit.parse_instruments(frame("bybit_instruments_info"))
    assert (btc.symbol, btc.market, btc.tick_size, btc.lot_size, btc.min_qty, btc.min_notional) == (
        "BTCUSDT",
        "BTC-USDT-PERP",
        0.1,
        0.001,
        0.001,
        5.0,
    )
    assert (btc_usdc.symbol, btc_usdc.market) == ("BTCPERP", "BTC-USDC-PERP")


def test_bybit_connections_keep_subscribe_frames_small_and_ping_every_20s():
    instruments = [Instrument(venue="bybit", symbol=f"C{i}USDT", market=f"C{i}-USDT-PERP") for i in range(150)]
    conns = bybit.connections(instruments)
    assert len(conns) == 2  # 300 topics, ≤200 per connection
    topics = [t for c in conns for f in c.subscribe for t in orjson.loads(f)["args"]]
    assert len(topics) == 300 and "allLiquidation.C0USDT" in topics and "tickers.C0USDT" in topics
    assert all(len(orjson.loads(f)["args"]) <= 10 for c in conns for f in c.subscribe)
    assert all(c.ping_frame == '{"op":"ping"}' and c.ping_interval == 20 for c in conns)
    assert all(c.url == "wss://stream.bybit.com/v5/public/linear" for c in conns)


def test_bybit_junk_in_a_field_not_needed_yet_is_refused_before_it_reaches_the_state():
    parser = bybit.BybitParser()
    with pytest.raises(ParseError):
        parser.parse('{"topic":"tickers.XUSDT","type":"delta","data":{"symbol":"XUSDT","fundingRate":"abc"}}', TS)
    [mark] = parser.parse('{"topic":"tickers.XUSDT","type":"delta","data":{"symbol":"XUSDT","markPrice":"2"}}', TS)
    assert mark.funding_rate is None
