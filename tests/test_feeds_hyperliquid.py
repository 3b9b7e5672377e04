"""Hyperliquid parser: funding, mark and open interest only (no public liquidation stream)."""

from pathlib import Path

import orjson
import pytest

from core.events import Liquidation, MarkPrice, OpenInterest
from core.feeds import hyperliquid
from core.feeds.base import ParseError
from core.feeds.registry import LIQUIDATION_COVERAGE

FIXTURES = Path(__file__).parent / "fixtures" / "venues"
TS = 1_800_000_100.0


def frame(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text().strip()


def parse(name: str):
    return hyperliquid.HyperliquidParser().parse(frame(name), TS)


def test_hyperliquid_asset_ctx_gives_mark_with_hourly_funding():
    mark, _ = parse("hyperliquid_active_asset_ctx")
    assert isinstance(mark, MarkPrice)
    assert (mark.market, mark.symbol, mark.mark) == ("BTC-USDC-PERP", "BTC", 95020.0)
    assert (mark.funding_rate, mark.funding_interval_h) == (0.0000125, 1.0)
    assert mark.index == 95010.0


def test_hyperliquid_next_funding_is_the_next_whole_hour():
    mark, _ = parse("hyperliquid_active_asset_ctx")
    assert mark.next_funding_ts == 1_800_003_600.0


def test_hyperliquid_open_interest_is_coins_times_mark():
    _, oi = parse("hyperliquid_active_asset_ctx")
    assert isinstance(oi, OpenInterest)
    assert oi.oi_qty == pytest.approx(12345.678)
    assert oi.oi_usd == pytest.approx(12345.678 * 95020.0)


def test_hyperliquid_never_produces_liquidations():
    assert not any(isinstance(e, Liquidation) for e in parse("hyperliquid_active_asset_ctx"))
    assert LIQUIDATION_COVERAGE["hyperliquid"].startswith("none")


@pytest.mark.parametrize("name", ["hyperliquid_pong", "hyperliquid_subscription_response"])
def test_hyperliquid_pong_and_subscription_response_give_nothing(name):
    assert parse(name) == []


@pytest.mark.parametrize(
    "raw, reason",
    [
        ('{"channel":"error","data":"Invalid subscription"}', "venue_error"),
        ('{"channel":"trades","data":[]}', "unknown_stream"),
        (
            '{"channel":"activeAssetCtx","data":{"coin":"BTC","ctx":{"funding":"0.0001","openInterest":"1"}}}',
            "missing_field",
        ),
        ('{"channel":"activeAssetCtx","data":{"coin":"BTC","ctx":{"markPx":"-5"}}}', "bad_number"),
        ('{"channel":"activeAssetCtx","data":{"coin":"BTC","ctx":[]}}', "bad_type"),
        ("[1,2,3]", "bad_type"),
    ],
)
def test_hyperliquid_malformed_frame_raises_parse_error_with_reason(raw, reason):
    with pytest.raises(ParseError) as err:
        hyperliquid.HyperliquidParser().parse(raw, TS)
    assert err.value.reason == reason


def test_hyperliquid_meta_lists_live_perpetuals_with_size_steps():
    btc, kpepe = hyperliquid.parse_instruments(frame("hyperliquid_meta"))
    assert (btc.symbol, btc.market, btc.lot_size, btc.max_leverage) == ("BTC", "BTC-USDC-PERP", 1e-5, 40.0)
    assert (kpepe.symbol, kpepe.lot_size) == ("kPEPE", 1.0)


def test_hyperliquid_connection_subscribes_each_coin_and_pings_every_50s():
    [conn] = hyperliquid.connections(hyperliquid.parse_instruments(frame("hyperliquid_meta")))
    subs = [orjson.loads(f)["subscription"] for f in conn.subscribe]
    assert subs == [{"type": "activeAssetCtx", "coin": "BTC"}, {"type": "activeAssetCtx", "coin": "kPEPE"}]
    assert (conn.ping_frame, conn.ping_interval) == ('{"method":"ping"}', 50.0)
