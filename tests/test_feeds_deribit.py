"""Deribit parser: liquidations from the trade flag (T/M/MT × taker direction), ticker, heartbeat."""

from pathlib import Path

import orjson
import pytest

from core.events import Liquidation, MarkPrice, OpenInterest, Trade
from core.feeds import deribit
from core.feeds.base import ParseError
from core.feeds.registry import venue_module

FIXTURES = Path(__file__).parent / "fixtures" / "venues"
TS = 1_800_000_000.0


def frame(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text().strip()


def parse(name: str, parser=None):
    return (parser or deribit.DeribitParser()).parse(frame(name), TS)


def liquidations(events):
    return [e for e in events if isinstance(e, Liquidation)]


def trade_frame(liquidation: str | None, direction: str) -> str:
    trade = {
        "trade_id": "1",
        "timestamp": 1590484156350,
        "price": 9000.0,
        "instrument_name": "BTC-PERPETUAL",
        "direction": direction,
        "amount": 900,
    }
    if liquidation is not None:
        trade["liquidation"] = liquidation
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "method": "subscription",
            "params": {"channel": "trades.BTC-PERPETUAL.100ms", "data": [trade]},
        }
    ).decode()


@pytest.mark.parametrize(
    "flag, direction, side",
    [
        ("T", "sell", "long"),
        ("T", "buy", "short"),
        ("M", "buy", "long"),
        ("M", "sell", "short"),
    ],
)
def test_deribit_liquidated_side_follows_flag_and_taker_direction(flag, direction, side):
    [liq] = liquidations(deribit.DeribitParser().parse(trade_frame(flag, direction), TS))
    assert liq.side == side


def test_deribit_taker_sell_liquidation_is_a_long_liquidation():
    taker_sell, maker_sell = liquidations(parse("deribit_trades_liquidations"))
    assert taker_sell.side == "long"
    assert maker_sell.side == "short"


def test_deribit_mt_liquidation_gives_one_long_and_one_short():
    events = liquidations(parse("deribit_trades_mt"))
    assert sorted(e.side for e in events) == ["long", "short"]
    assert all(e.qty == pytest.approx(1.5) for e in events)


def test_deribit_every_trade_also_gives_a_trade_event_with_the_taker_side():
    trades = [e for e in parse("deribit_trades_liquidations") if isinstance(e, Trade)]
    assert [t.aggressor for t in trades] == ["sell", "sell", "buy"]
    assert len(liquidations(parse("deribit_trades_liquidations"))) == 2  # the unflagged trade gives none


def test_deribit_inverse_amount_is_usd_and_qty_is_usd_over_price():
    liq = liquidations(parse("deribit_trades_liquidations"))[0]
    assert (liq.market, liq.symbol) == ("BTC-USD-PERP", "BTC-PERPETUAL")
    assert liq.usd == pytest.approx(10000.0)
    assert liq.qty == pytest.approx(10000 / 8950.0)
    assert liq.ts_event == pytest.approx(1590484156.350)


def test_deribit_linear_amount_is_base_coin_and_usd_is_amount_times_price():
    liq = liquidations(parse("deribit_trades_mt"))[0]
    assert liq.market == "ETH-USDC-PERP"
    assert liq.usd == pytest.approx(1.5 * 2000.0)


def test_deribit_ticker_gives_mark_with_8h_funding_and_inverse_open_interest_in_usd():
    mark, oi = parse("deribit_ticker")
    assert isinstance(mark, MarkPrice) and isinstance(oi, OpenInterest)
    assert (mark.mark, mark.funding_rate, mark.index) == (36040.29, 0.00019453, 36012.7)
    assert oi.oi_usd == pytest.approx(502097590.0)
    assert oi.oi_qty == pytest.approx(502097590 / 36040.29)


def test_deribit_linear_open_interest_is_coins_times_mark():
    _, oi = parse("deribit_ticker_linear")
    assert oi.oi_usd == pytest.approx(1234.5 * 2000.0)


def test_deribit_test_request_heartbeat_is_answered_with_public_test():
    reply = orjson.loads(deribit.auto_reply(frame("deribit_heartbeat_test_request")))
    assert reply["method"] == "public/test" and reply["jsonrpc"] == "2.0"


@pytest.mark.parametrize("name", ["deribit_heartbeat", "deribit_ticker", "deribit_subscribe_result"])
def test_deribit_other_frames_need_no_reply(name):
    assert deribit.auto_reply(frame(name)) is None


def test_deribit_auto_reply_is_reachable_through_the_registry():
    assert venue_module("deribit").auto_reply(frame("deribit_heartbeat_test_request")) is not None
    assert venue_module("binance").auto_reply(frame("deribit_heartbeat_test_request")) is None


@pytest.mark.parametrize("name", ["deribit_heartbeat_test_request", "deribit_heartbeat", "deribit_subscribe_result"])
def test_deribit_heartbeats_and_rpc_results_give_nothing(name):
    assert parse(name) == []


@pytest.mark.parametrize(
    "raw, reason",
    [
        (frame("deribit_error"), "venue_error"),
        (trade_frame("X", "sell"), "bad_side"),
        (trade_frame(None, "hold"), "bad_side"),
        (trade_frame("T", "sell").replace('"amount":900', '"amount":"lots"'), "bad_number"),
        (trade_frame("T", "sell").replace('"price":9000.0', '"price":0'), "bad_number"),
        (
            '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{}}}',
            "unknown_stream",
        ),
        (
            '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.BTC-PERPETUAL.100ms","data":[]}}',
            "bad_type",
        ),
    ],
)
def test_deribit_malformed_frame_raises_parse_error_with_reason(raw, reason):
    with pytest.raises(ParseError) as err:
        deribit.DeribitParser().parse(raw, TS)
    assert err.value.reason == reason


def test_deribit_instruments_keep_perpetual_futures_with_their_kind():
    by_name = {i.symbol: i for i in deribit.parse_instruments(frame("deribit_get_instruments"))}
    assert set(by_name) == {"BTC-PERPETUAL", "ETH_USDC-PERPETUAL"}
    assert (by_name["BTC-PERPETUAL"].contract_kind, by_name["BTC-PERPETUAL"].contract_value) == ("inverse", 10.0)
    assert (by_name["ETH_USDC-PERPETUAL"].contract_kind, by_name["ETH_USDC-PERPETUAL"].market) == (
        "linear",
        "ETH-USDC-PERP",
    )


def test_deribit_connection_sets_heartbeat_then_subscribes_trades_and_ticker():
    [conn] = deribit.connections(deribit.parse_instruments(frame("deribit_get_instruments")))
    first, *subscribes = [orjson.loads(f) for f in conn.subscribe]
    assert first["method"] == "public/set_heartbeat" and first["params"] == {"interval": 30}
    channels = [c for s in subscribes for c in s["params"]["channels"]]
    assert "trades.BTC-PERPETUAL.100ms" in channels and "ticker.ETH_USDC-PERPETUAL.100ms" in channels
    assert conn.url == "wss://www.deribit.com/ws/api/v2"
