"""Venue symbol → canonical market name; never raises."""

import pytest

from core.feeds import symbols


@pytest.mark.parametrize(
    "fn, symbol, market",
    [
        (symbols.binance_market, "BTCUSDT", "BTC-USDT-PERP"),
        (symbols.binance_market, "1000PEPEUSDT", "1000PEPE-USDT-PERP"),
        (symbols.binance_market, "ETHUSDC", "ETH-USDC-PERP"),
        (symbols.bybit_market, "BTCUSDT", "BTC-USDT-PERP"),
        (symbols.bybit_market, "1000PEPEUSDT", "1000PEPE-USDT-PERP"),
        (symbols.bybit_market, "SOLUSDC", "SOL-USDC-PERP"),
        (symbols.bybit_market, "BTCPERP", "BTC-USDC-PERP"),
        (symbols.okx_market, "BTC-USDT-SWAP", "BTC-USDT-PERP"),
        (symbols.okx_market, "BTC-USD-SWAP", "BTC-USD-PERP"),
        (symbols.okx_market, "ETH-USDC-SWAP", "ETH-USDC-PERP"),
        (symbols.bitmex_market, "XBTUSD", "BTC-USD-PERP"),
        (symbols.bitmex_market, "XBTUSDT", "BTC-USDT-PERP"),
        (symbols.bitmex_market, "ETHUSDT", "ETH-USDT-PERP"),
        (symbols.deribit_market, "BTC-PERPETUAL", "BTC-USD-PERP"),
        (symbols.deribit_market, "ETH_USDC-PERPETUAL", "ETH-USDC-PERP"),
        (symbols.hyperliquid_market, "BTC", "BTC-USDC-PERP"),
    ],
)
def test_perpetual_symbol_maps_to_canonical_market(fn, symbol, market):
    assert fn(symbol) == market


@pytest.mark.parametrize(
    "fn, symbol",
    [
        (symbols.binance_market, "BTCUSDT_251226"),
        (symbols.okx_market, "BTC-USD-251226"),
        (symbols.bitmex_market, "XBTZ24"),
        (symbols.deribit_market, "BTC-27DEC24"),
        (symbols.binance_market, "USDT"),
    ],
)
def test_unrecognised_shape_comes_back_whole_and_upper_cased(fn, symbol):
    assert fn(symbol) == symbol.upper()


@pytest.mark.parametrize("junk", ["", "-", "__", "💥USDT", None, 42, "a" * 500])
def test_junk_symbols_never_raise(junk):
    for venue in symbols.MARKET_OF_SYMBOL:
        assert isinstance(symbols.venue_market(venue, junk), str)


def test_deribit_underscore_marks_a_linear_contract():
    assert symbols.deribit_is_linear("ETH_USDC-PERPETUAL")
    assert not symbols.deribit_is_linear("BTC-PERPETUAL")


def test_unknown_venue_falls_back_to_the_symbol():
    assert symbols.venue_market("kraken", "pf_xbtusd") == "PF_XBTUSD"
