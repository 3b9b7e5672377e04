"""Instrument filters: sizes floored to the step, prices to the tick, too-small orders refused."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.brokers.filters import (
    SymbolFilters,
    floor_qty,
    fmt,
    parse_binance_exchange_info,
    parse_bybit_instruments,
    prepare_qty,
    round_price,
)
from core.feeds.symbols import binance_market, bybit_market

F = SymbolFilters(
    "BTCUSDT",
    "BTC-USDT-PERP",
    Decimal("0.10"),
    Decimal("0.001"),
    Decimal("0.001"),
    Decimal("120"),
    Decimal("100"),
    125.0,
)


def test_floor_and_tick_rounding_and_formatting():
    assert fmt(floor_qty(0.3, Decimal("0.1"))) == "0.3"  # 0.3/0.1 = 2.9999… must not floor to 0.2
    assert fmt(floor_qty(0.0109999, Decimal("0.001"))) == "0.01"
    assert fmt(floor_qty(12.0, Decimal("1"))) == "12"
    assert fmt(round_price(59_310.04, Decimal("0.10"))) == "59310"
    assert fmt(round_price(59_310.05, Decimal("0.10"))) == "59310.1"
    assert fmt(round_price(0.123456, Decimal("0.0001"))) == "0.1235"


@given(
    st.floats(min_value=0.001, max_value=1000, allow_nan=False), st.sampled_from(["0.001", "0.01", "0.1", "1", "0.005"])
)
def test_floored_qty_is_a_step_multiple_never_above_the_input(qty, step):
    s = Decimal(step)
    q = floor_qty(qty, s)
    assert q % s == 0 and float(q) <= qty * (1 + 1e-9) and qty - float(q) < float(s) * (1 + 1e-6)


def test_prepare_refuses_with_reasons():
    assert prepare_qty(F, 0.0004, 60_000, False).reason.startswith("qty 0.0004 rounds to 0")
    assert "below the minimum 100" in prepare_qty(F, 0.0015, 60_000, False).reason
    assert "maximum 120" in prepare_qty(F, 200, 60_000, False).reason
    assert prepare_qty(F, 0.0015, 60_000, True).qty == Decimal("0.001")  # closing dust is allowed
    assert prepare_qty(F, 0.0109, 60_000, False).qty == Decimal("0.010")


def test_parse_binance_exchange_info_uses_filters_not_precision():
    info = {
        "symbols": [
            {
                "symbol": "BTCUSDT",
                "status": "TRADING",
                "contractType": "PERPETUAL",
                "pricePrecision": 2,
                "quantityPrecision": 3,
                "filters": [
                    {"filterType": "PRICE_FILTER", "tickSize": "0.10"},
                    {"filterType": "LOT_SIZE", "stepSize": "0.001", "minQty": "0.001", "maxQty": "1000"},
                    {"filterType": "MARKET_LOT_SIZE", "stepSize": "0.001", "minQty": "0.001", "maxQty": "120"},
                    {"filterType": "MIN_NOTIONAL", "notional": "100"},
                ],
            },
            {"symbol": "BTCUSDT_260327", "status": "TRADING", "contractType": "CURRENT_QUARTER", "filters": []},
            {"symbol": "OLDUSDT", "status": "SETTLING", "contractType": "PERPETUAL", "filters": []},
        ]
    }
    out = parse_binance_exchange_info(info, binance_market)
    assert list(out) == ["BTCUSDT"]
    f = out["BTCUSDT"]
    assert (f.tick_size, f.qty_step, f.max_qty, f.min_notional, f.market) == (
        Decimal("0.10"),
        Decimal("0.001"),
        Decimal("120"),
        Decimal("100"),
        "BTC-USDT-PERP",
    )


def test_parse_bybit_instruments():
    res = {
        "list": [
            {
                "symbol": "ETHUSDT",
                "status": "Trading",
                "contractType": "LinearPerpetual",
                "leverageFilter": {"maxLeverage": "100.00"},
                "priceFilter": {"tickSize": "0.01"},
                "lotSizeFilter": {
                    "qtyStep": "0.01",
                    "minOrderQty": "0.01",
                    "maxOrderQty": "7240",
                    "maxMktOrderQty": "1000",
                    "minNotionalValue": "5",
                },
            },
            {"symbol": "ETHUSDT-26JUN26", "status": "Trading", "contractType": "LinearFutures"},
        ]
    }
    out = parse_bybit_instruments(res, bybit_market)
    f = out["ETHUSDT"]
    assert list(out) == ["ETHUSDT"] and f.max_qty == Decimal("1000") and f.max_leverage == 100.0
    ins = f.instrument("bybit")
    assert ins.lot_size == 0.01 and ins.min_notional == 5.0 and ins.market == "ETH-USDT-PERP"
