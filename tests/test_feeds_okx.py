"""OKX v5 parser: liquidation orders (order side, contracts → base/USD), funding, mark, OI."""

from pathlib import Path

import orjson
import pytest

from core.events import Liquidation, MarkPrice, OpenInterest
from core.feeds import okx
from core.feeds.base import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "venues"
TS = 1_800_000_000.0


def frame(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text().strip()


INSTRUMENTS = okx.parse_instruments(frame("okx_instruments"))


def parse(name: str, parser=None):
    return (parser or okx.OkxParser(INSTRUMENTS)).parse(frame(name), TS)


def test_okx_buy_order_is_a_short_liquidation():
    [liq] = parse("okx_liquidation_orders")
    assert isinstance(liq, Liquidation)
    assert liq.side == "short"


def test_okx_sell_order_in_one_way_mode_is_a_long_liquidation():
    net_sell, _, _ = parse("okx_liquidation_orders_several")
    assert net_sell.side == "long"


def test_okx_hedge_mode_pos_side_names_the_liquidated_position():
    _, hedged, _ = parse("okx_liquidation_orders_several")
    assert hedged.side == "long"


def test_okx_frame_with_several_details_and_instruments_gives_every_liquidation():
    events = parse("okx_liquidation_orders_several")
    assert [(e.symbol, e.side) for e in events] == [
        ("BTC-USDT-SWAP", "long"),
        ("BTC-USDT-SWAP", "long"),
        ("BTC-USD-SWAP", "short"),
    ]


def test_okx_linear_contracts_convert_to_base_qty_with_ct_val():
    [liq] = parse("okx_liquidation_orders")  # IOST-USDT-SWAP: ctVal 1000 IOST
    assert (liq.market, liq.price) == ("IOST-USDT-PERP", 0.007831)
    assert liq.qty == pytest.approx(13 * 1000)
    assert liq.usd == pytest.approx(13 * 1000 * 0.007831)
    assert liq.ts_event == pytest.approx(1692266434.010)


def test_okx_btc_linear_swap_contract_is_a_hundredth_of_a_coin():
    net_sell, _, _ = parse("okx_liquidation_orders_several")
    assert net_sell.qty == pytest.approx(0.3)
    assert net_sell.usd == pytest.approx(0.3 * 26000.5)


def test_okx_inverse_contracts_are_usd_and_qty_is_usd_over_price():
    *_, inverse = parse("okx_liquidation_orders_several")  # BTC-USD-SWAP: ctVal 100 USD
    assert inverse.market == "BTC-USD-PERP"
    assert inverse.usd == pytest.approx(2000.0)
    assert inverse.qty == pytest.approx(2000.0 / 26010)


def test_okx_liquidation_on_an_unknown_instrument_is_refused_not_guessed():
    with pytest.raises(ParseError) as err:
        okx.OkxParser().parse(frame("okx_liquidation_orders"), TS)
    assert err.value.reason == "unknown_instrument"


def test_okx_mark_price_frame_carries_the_latest_funding():
    parser = okx.OkxParser(INSTRUMENTS)
    assert parse("okx_funding_rate", parser) == []  # no mark yet
    [mark] = parse("okx_mark_price", parser)
    assert isinstance(mark, MarkPrice)
    assert (mark.market, mark.mark) == ("BTC-USDT-PERP", 37355.6)
    assert mark.funding_rate == pytest.approx(0.0001875391284828)
    assert mark.next_funding_ts == pytest.approx(1700726400.0)
    assert mark.funding_interval_h == pytest.approx(4.0)


def test_okx_funding_frame_after_a_mark_gives_a_mark_event():
    parser = okx.OkxParser(INSTRUMENTS)
    parse("okx_mark_price", parser)
    [mark] = parse("okx_funding_rate", parser)
    assert mark.mark == 37355.6 and mark.funding_rate == pytest.approx(0.0001875391284828)


def test_okx_open_interest_uses_oi_usd():
    [oi] = parse("okx_open_interest")
    assert isinstance(oi, OpenInterest)
    assert (oi.oi_usd, oi.oi_qty) == (pytest.approx(827852066.12), pytest.approx(22161.1301))


def test_okx_open_interest_without_oi_usd_is_coins_times_mark():
    parser = okx.OkxParser(INSTRUMENTS)
    assert parse("okx_open_interest_no_usd", parser) == []  # no mark yet
    parse("okx_mark_price", parser)
    [oi] = parse("okx_open_interest_no_usd", parser)
    assert oi.oi_usd == pytest.approx(22161.1301 * 37355.6)


def test_okx_text_pong_gives_nothing():
    assert okx.OkxParser().parse("pong", TS) == []


def test_okx_subscribe_event_gives_nothing():
    assert parse("okx_subscribe_event") == []


def test_okx_error_event_is_counted_as_a_venue_error():
    with pytest.raises(ParseError) as err:
        parse("okx_error_event")
    assert err.value.reason == "venue_error"


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("ping", "bad_json"),
        ('{"arg":{"channel":"books"},"data":[]}', "unknown_stream"),
        (
            '{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[{"instId":"BTC-USDT-SWAP",'
            '"instType":"SWAP","details":[{"bkPx":"1","side":"hold","posSide":"net","sz":"1","ts":"1"}]}]}',
            "bad_side",
        ),
        (
            '{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[{"instId":"BTC-USDT-SWAP",'
            '"instType":"SWAP","details":[{"bkPx":"0","side":"sell","posSide":"net","sz":"1","ts":"1"}]}]}',
            "bad_number",
        ),
        (
            '{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[{"instId":"BTC-USDT-SWAP",'
            '"instType":"SWAP","details":[{"side":"sell","posSide":"net","sz":"1","ts":"1"}]}]}',
            "missing_field",
        ),
        ('{"arg":{"channel":"mark-price","instId":"BTC-USDT-SWAP"},"data":{"markPx":"1"}}', "bad_type"),
    ],
)
def test_okx_malformed_frame_raises_parse_error_with_reason(raw, reason):
    with pytest.raises(ParseError) as err:
        okx.OkxParser(INSTRUMENTS).parse(raw, TS)
    assert err.value.reason == reason


def test_okx_instruments_carry_contract_value_and_kind():
    by_id = {i.symbol: i for i in INSTRUMENTS}
    assert set(by_id) == {"BTC-USDT-SWAP", "BTC-USD-SWAP", "IOST-USDT-SWAP"}  # suspended one dropped
    linear, inverse = by_id["BTC-USDT-SWAP"], by_id["BTC-USD-SWAP"]
    assert (linear.contract_kind, linear.contract_value, linear.lot_size, linear.tick_size) == (
        "linear",
        0.01,
        pytest.approx(0.0001),
        0.1,
    )
    assert (inverse.contract_kind, inverse.contract_value, inverse.lot_size) == ("inverse", 100.0, 1.0)


def test_okx_connections_subscribe_liquidations_once_and_markets_in_chunks():
    liquidations, markets = okx.connections(INSTRUMENTS)
    assert orjson.loads(liquidations.subscribe[0])["args"] == [{"channel": "liquidation-orders", "instType": "SWAP"}]
    args = [a for f in markets.subscribe for a in orjson.loads(f)["args"]]
    assert {a["channel"] for a in args} == {"funding-rate", "mark-price", "open-interest"}
    assert len(args) == 9
    assert all(c.ping_frame == "ping" and c.ping_interval < 30 for c in (liquidations, markets))
