"""HTX USDT-M swaps parser: liquidation orders (order direction, base `amount`), the ping/pong
heartbeat, subscription acks and errors, the contract list. The first fixture is tardis-node's
captured BTC-USDT frame (test/mappers.test.ts, 2020-12-17)."""

from pathlib import Path

import orjson
import pytest

from core.feeds import htx
from core.feeds.base import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "venues"
TS = 1_800_000_000.0


def frame(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text().strip()


def test_sell_direction_is_a_long_liquidated_sized_in_base_coin():
    [liq] = htx.HtxParser().parse(frame("htx_liquidation_orders"), TS)
    assert liq.side == "long" and liq.qty == 0.227 and liq.price == 23350.5
    assert liq.usd == pytest.approx(5300.5635) and liq.market == "BTC-USDT-PERP" and liq.ts_event == 1608226502.284


def test_buy_direction_is_a_short_liquidated():
    [liq] = htx.HtxParser().parse(frame("htx_liquidation_orders_buy"), TS)
    assert liq.side == "short" and liq.qty == 0.35 and liq.symbol == "ETH-USDT"


def test_ping_is_answered_with_the_same_ts_and_control_frames_give_nothing():
    assert orjson.loads(htx.auto_reply(frame("htx_ping"))) == {"op": "pong", "ts": "1592904821340"}
    assert htx.auto_reply(frame("htx_liquidation_orders")) is None
    p = htx.HtxParser()
    assert p.parse(frame("htx_ping"), TS) == [] and p.parse(frame("htx_sub_ack"), TS) == []
    with pytest.raises(ParseError) as exc:
        p.parse(frame("htx_sub_error"), TS)
    assert exc.value.reason == "venue_error"


def test_contract_list_keeps_listed_swaps_only():
    [btc] = htx.parse_instruments(frame("htx_contract_info"))
    assert btc.symbol == "BTC-USDT" and btc.market == "BTC-USDT-PERP" and btc.contract_value == 0.001


def test_one_wildcard_subscription_on_a_gzip_connection():
    [conn] = htx.connections([])
    assert conn.gzip and conn.url == "wss://api.hbdm.com/linear-swap-notification"
    assert orjson.loads(conn.subscribe[0])["topic"] == "public.*.liquidation_orders"
