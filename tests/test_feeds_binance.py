"""Binance USDⓈ-M parser: force orders (order side), mark/funding, REST open interest."""

from pathlib import Path

import pytest

from core.events import Liquidation, MarkPrice, OpenInterest
from core.feeds import binance
from core.feeds.base import ParseError
from core.feeds.binance import BinanceParser
from core.feeds.registry import make_parser, parse_recorded
from core.instruments import Instrument

FIXTURES = Path(__file__).parent / "fixtures" / "venues"
TS = 1_800_000_000.0


def frame(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text().strip()


def parse(name: str, parser=None):
    return (parser or binance.BinanceParser()).parse(frame(name), TS)


def test_binance_sell_force_order_is_a_long_liquidation():
    [liq] = parse("binance_force_order_raw")
    assert isinstance(liq, Liquidation)
    assert liq.side == "long"
    assert (liq.venue, liq.market, liq.symbol) == ("binance", "BTC-USDT-PERP", "BTCUSDT")


def test_binance_buy_force_order_is_a_short_liquidation():
    [liq] = parse("binance_force_order_combined")
    assert liq.side == "short"


def test_binance_force_order_is_sized_by_filled_qty_at_average_price():
    [liq] = parse("binance_force_order_raw")
    assert liq.price == pytest.approx(26245.10)
    assert liq.qty == pytest.approx(0.115)
    assert liq.usd == pytest.approx(0.115 * 26245.10)


def test_binance_unfilled_force_order_falls_back_to_order_price_and_qty():
    [liq] = parse("binance_force_order_unfilled")
    assert (liq.price, liq.qty) == (pytest.approx(1580.0), pytest.approx(2.5))
    assert liq.usd == pytest.approx(3950.0)


def test_binance_force_order_time_is_trade_time_in_seconds():
    [liq] = parse("binance_force_order_raw")
    assert liq.ts_event == pytest.approx(1695714031.881)
    assert liq.ts_recv == TS


def test_binance_combined_force_order_with_undocumented_keys_is_parsed():
    [liq] = parse("binance_force_order_combined")
    assert liq.market == "1000PEPE-USDT-PERP"
    assert liq.usd == pytest.approx(250000 * 0.0124)


def test_binance_mark_price_array_gives_one_mark_per_symbol():
    btc, quarterly = parse("binance_mark_price_array_raw")
    assert isinstance(btc, MarkPrice)
    assert (btc.mark, btc.funding_rate, btc.next_funding_ts) == (26240.5, 0.0001, 1695715200.0)
    assert btc.index == pytest.approx(26251.87234567)


def test_binance_dated_contract_mark_has_no_funding():
    _, quarterly = parse("binance_mark_price_array_raw")
    assert quarterly.funding_rate is None and quarterly.next_funding_ts is None


def test_binance_combined_mark_price_array_is_parsed():
    [eth] = parse("binance_mark_price_combined")
    assert (eth.market, eth.mark, eth.funding_rate) == ("ETH-USDT-PERP", 3120.55, -0.000025)


def test_binance_open_interest_is_valued_at_the_last_mark():
    parser = binance.BinanceParser()
    parse("binance_mark_price_array_raw", parser)
    body = binance.decode(frame("binance_open_interest_rest"))
    [oi] = parser.parse_open_interest(body, TS)
    assert isinstance(oi, OpenInterest)
    assert oi.oi_qty == pytest.approx(10659.509)
    assert oi.oi_usd == pytest.approx(10659.509 * 26240.5)
    assert oi.ts_event == pytest.approx(1695714035.0)


def test_binance_open_interest_before_any_mark_gives_nothing():
    body = binance.decode(frame("binance_open_interest_rest"))
    assert binance.BinanceParser().parse_open_interest(body, TS) == []


def test_binance_recorded_rest_open_interest_replays_through_registry():
    parser = make_parser("binance")
    parse_recorded(parser, frame("binance_mark_price_array_raw"), TS)
    msg = {
        "rest": "/fapi/v1/openInterest",
        "params": {"symbol": "BTCUSDT"},
        "body": binance.decode(frame("binance_open_interest_rest")),
    }
    [oi] = parse_recorded(parser, msg, TS)
    assert oi.symbol == "BTCUSDT"


def test_binance_open_interest_error_body_is_a_venue_error():
    with pytest.raises(ParseError) as err:
        binance.BinanceParser().parse_open_interest({"code": -1121, "msg": "Invalid symbol."}, TS)
    assert err.value.reason == "venue_error"


def test_binance_subscribe_ack_gives_nothing():
    assert parse("binance_subscribe_ack") == []


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("{not json", "bad_json"),
        ('{"e":"forceOrder","E":1,"o":{"s":"BTCUSDT","S":"HOLD","q":"1","p":"1","ap":"1","z":"1","T":1}}', "bad_side"),
        ('{"e":"forceOrder","E":1,"o":{"s":"BTCUSDT","S":"SELL","q":"1","ap":"0","z":"0","T":1}}', "missing_field"),
        ('{"e":"forceOrder","E":1,"o":{"s":"BTCUSDT","S":"SELL","q":"x","p":"1","T":1}}', "bad_number"),
        ('{"e":"forceOrder","E":1,"o":{"s":"BTCUSDT","S":"SELL","q":"NaN","p":"1","T":1}}', "bad_number"),
        ('{"e":"forceOrder","E":1,"o":{"s":"BTCUSDT","S":"SELL","q":"-1","p":"1","T":1}}', "bad_number"),
        ('{"e":"forceOrder","E":1,"o":"BTCUSDT"}', "bad_type"),
        ('{"e":"aggTrade","s":"BTCUSDT"}', "unknown_stream"),
        ('{"e":"markPriceUpdate","s":"BTCUSDT","p":"Infinity","r":"0.0001","T":1}', "bad_number"),
    ],
)
def test_binance_malformed_frame_raises_parse_error_with_reason(raw, reason):
    with pytest.raises(ParseError) as err:
        binance.BinanceParser().parse(raw, TS)
    assert err.value.reason == reason


def test_binance_exchange_info_keeps_trading_perpetuals_with_their_filters():
    btc, pepe = binance.parse_instruments(frame("binance_exchange_info"))
    assert (btc.symbol, btc.market, btc.tick_size, btc.lot_size, btc.min_qty, btc.min_notional) == (
        "BTCUSDT",
        "BTC-USDT-PERP",
        0.1,
        0.001,
        0.001,
        100.0,
    )
    assert pepe.market == "1000PEPE-USDT-PERP"


def test_binance_connection_uses_the_market_route_and_reconnects_before_24h():
    [conn] = binance.connections([])
    assert conn.url.startswith("wss://fstream.binance.com/market/stream?streams=")
    assert "!forceOrder@arr" in conn.url and "!markPrice@arr@1s" in conn.url
    assert conn.ping_frame is None
    assert 23 * 3600 <= conn.max_lifetime < 24 * 3600


def test_binance_open_interest_polls_stay_within_the_weight_budget():
    many = [Instrument(venue="binance", symbol=f"C{i}USDT", market=f"C{i}-USDT-PERP") for i in range(600)]
    polls = [p for p in binance.polls(many) if p.url.endswith("/fapi/v1/openInterest")]
    assert len(polls) == 600
    per_minute = sum(p.weight * 60.0 / p.interval for p in polls)
    assert per_minute <= 2400 / 2
    assert all(p.interval >= 60 for p in polls)


def test_binance_funding_interval_comes_from_funding_info_and_rides_on_the_mark_event():
    [funding] = [p for p in binance.polls([]) if p.url.endswith("/fapi/v1/fundingInfo")]
    assert funding.interval >= 3600 and funding.first_within is not None and funding.first_within <= 10
    p = BinanceParser()
    marks = (
        '{"stream":"!markPrice@arr@1s","data":[{"e":"markPriceUpdate","E":1700000000000,"s":"LPTUSDT",'
        '"p":"10","i":"10","P":"10","r":"0.0004","T":1700003600000},{"e":"markPriceUpdate","E":1700000000000,'
        '"s":"BTCUSDT","p":"60000","i":"60000","P":"60000","r":"0.0001","T":1700003600000}]}'
    )
    assert {e.symbol: e.funding_interval_h for e in p.parse(marks, 1.0)} == {"LPTUSDT": 8.0, "BTCUSDT": 8.0}
    # the documented answer lists only symbols off the 8 h default
    info = [
        {
            "symbol": "LPTUSDT",
            "adjustedFundingRateCap": "0.02000000",
            "adjustedFundingRateFloor": "-0.02000000",
            "fundingIntervalHours": 4,
            "disclaimer": False,
        },
        {"symbol": "SUSHIUSDT", "fundingIntervalHours": 1},
    ]
    assert p.parse_rest("/fapi/v1/fundingInfo", {}, info, 2.0) == []
    by_symbol = {e.symbol: e for e in p.parse(marks, 3.0)}
    assert by_symbol["LPTUSDT"].funding_interval_h == 4.0 and by_symbol["BTCUSDT"].funding_interval_h == 8.0
    # the engine reads every rate on one 8 h horizon: 0.04 % per 4 h is 0.08 % per 8 h
    from core.config import Config
    from core.market_state import apply_price, new_market_state

    st = new_market_state("LPT-USDT-PERP", Config())
    apply_price(st, by_symbol["LPTUSDT"])
    assert abs(st.funding_rate - 0.0008) < 1e-12
    with pytest.raises(ParseError):
        p.parse_rest("/fapi/v1/fundingInfo", {}, {"code": -1003, "msg": "Too many requests"}, 4.0)
