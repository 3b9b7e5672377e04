"""Venue symbol → canonical market name (``BTC-USDT-PERP``).

Pure functions that never raise: a symbol whose shape is not a known perpetual (a dated future,
an index, a typo) comes back upper-cased and whole, which `core.events.base_asset` also passes
through unchanged. Parsers prefer an `Instrument.market` when instrument metadata is loaded; these
functions are the fallback and agree with it for every listed perpetual.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps

from core.events import market_name


def _memo(fn: Callable[[str], str]) -> Callable[[object], str]:
    """Symbols repeat on every frame: remember the answer per string (bounded); anything that is
    not a string still gets the function's own never-raising answer."""
    cached = lru_cache(maxsize=8192)(fn)

    @wraps(fn)
    def call(symbol: object) -> str:
        return cached(symbol) if isinstance(symbol, str) else fn(symbol)  # type: ignore[arg-type]

    return call


# Longest first so "BTCUSDT" is not read as "BTCUS" + "DT"-style accidents with "USD".
_BINANCE_QUOTES = ("FDUSD", "USDT", "USDC", "BUSD")
_BYBIT_QUOTES = ("USDT", "USDC", "USD")
_BITMEX_QUOTES = ("USDT", "USDC", "USD", "EUR")


def _fallback(symbol: object) -> str:
    return symbol.upper() if isinstance(symbol, str) else ""


def _split_suffix(symbol: str, quotes: tuple[str, ...]) -> tuple[str, str] | None:
    for quote in quotes:
        base = symbol[: -len(quote)]
        if symbol.endswith(quote) and base.isalnum():
            return base, quote
    return None


@_memo
def binance_market(symbol: str) -> str:
    """``BTCUSDT`` → BTC-USDT-PERP, ``1000PEPEUSDT`` → 1000PEPE-USDT-PERP, ``ETHUSDC`` → ETH-USDC-PERP.

    Dated contracts (``BTCUSDT_251226``) are not perpetuals and come back whole.
    """
    if not isinstance(symbol, str):
        return ""
    split = _split_suffix(symbol.upper(), _BINANCE_QUOTES)
    return market_name(*split) if split else _fallback(symbol)


@_memo
def bybit_market(symbol: str) -> str:
    """``BTCUSDT`` → BTC-USDT-PERP; USDC perpetuals are ``BTCPERP`` (older) or ``BTCUSDC`` → BTC-USDC-PERP."""
    if not isinstance(symbol, str):
        return ""
    s = symbol.upper()
    if s.endswith("PERP") and s[:-4].isalnum():
        return market_name(s[:-4], "USDC")
    split = _split_suffix(s, _BYBIT_QUOTES)
    return market_name(*split) if split else _fallback(symbol)


@_memo
def okx_market(inst_id: str) -> str:
    """``BTC-USDT-SWAP`` → BTC-USDT-PERP, ``BTC-USD-SWAP`` → BTC-USD-PERP."""
    if not isinstance(inst_id, str):
        return ""
    parts = inst_id.upper().split("-")
    if len(parts) == 3 and parts[2] == "SWAP" and parts[0].isalnum() and parts[1].isalnum():
        return market_name(parts[0], parts[1])
    return _fallback(inst_id)


def _bitmex_asset(asset: str) -> str:
    return "BTC" if asset == "XBT" else asset


@_memo
def bitmex_market(symbol: str) -> str:
    """``XBTUSD`` → BTC-USD-PERP, ``ETHUSDT`` → ETH-USDT-PERP (BitMEX spells bitcoin XBT)."""
    if not isinstance(symbol, str):
        return ""
    split = _split_suffix(symbol.upper(), _BITMEX_QUOTES)
    if split is None:
        return _fallback(symbol)
    base, quote = split
    return market_name(_bitmex_asset(base), quote)


def bitmex_asset_market(underlying: str, quote: str) -> str:
    """From an instrument row's ``underlying``/``quoteCurrency`` (``XBT``, ``USD``)."""
    return market_name(_bitmex_asset(underlying.upper()), quote.upper())


@_memo
def deribit_market(instrument_name: str) -> str:
    """``BTC-PERPETUAL`` → BTC-USD-PERP (inverse), ``ETH_USDC-PERPETUAL`` → ETH-USDC-PERP (linear)."""
    if not isinstance(instrument_name, str):
        return ""
    s = instrument_name.upper()
    if not s.endswith("-PERPETUAL"):
        return _fallback(instrument_name)
    pair = s[: -len("-PERPETUAL")]
    base, _, quote = pair.partition("_")
    if not base.isalnum() or (quote and not quote.isalnum()):
        return _fallback(instrument_name)
    return market_name(base, quote or "USD")


def deribit_is_linear(instrument_name: str) -> bool:
    """Deribit names linear (stablecoin-settled) contracts ``BASE_QUOTE-…``; inverse ones have no underscore."""
    return isinstance(instrument_name, str) and "_" in instrument_name


@_memo
def hyperliquid_market(coin: str) -> str:
    """``BTC`` → BTC-USDC-PERP: Hyperliquid perpetuals are quoted and settled in USDC."""
    if not isinstance(coin, str) or not coin:
        return ""
    return market_name(coin, "USDC")


@_memo
def gate_market(contract: str) -> str:
    """``BTC_USDT`` → BTC-USDT-PERP (Gate names futures contracts BASE_QUOTE)."""
    if not isinstance(contract, str):
        return ""
    base, sep, quote = contract.upper().partition("_")
    if sep and base.isalnum() and quote.isalnum():
        return market_name(base, quote)
    return _fallback(contract)


@_memo
def bitget_market(symbol: str) -> str:
    """``BTCUSDT`` → BTC-USDT-PERP (Bitget USDT-M futures use the plain pair)."""
    if not isinstance(symbol, str):
        return ""
    split = _split_suffix(symbol.upper(), ("USDT", "USDC"))
    return market_name(*split) if split else _fallback(symbol)


@_memo
def htx_market(contract_code: str) -> str:
    """``BTC-USDT`` → BTC-USDT-PERP (HTX swaps); dated ``BTC-USDT-240628`` comes back whole."""
    if not isinstance(contract_code, str):
        return ""
    parts = contract_code.upper().split("-")
    if len(parts) == 2 and parts[0].isalnum() and parts[1].isalnum():
        return market_name(parts[0], parts[1])
    return _fallback(contract_code)


MARKET_OF_SYMBOL = {
    "binance": binance_market,
    "bybit": bybit_market,
    "okx": okx_market,
    "bitmex": bitmex_market,
    "deribit": deribit_market,
    "hyperliquid": hyperliquid_market,
    "gate": gate_market,
    "bitget": bitget_market,
    "htx": htx_market,
}


def venue_market(venue: str, symbol: str) -> str:
    """Canonical market for any supported venue's symbol; unknown venues get the symbol upper-cased."""
    fn = MARKET_OF_SYMBOL.get(venue)
    return fn(symbol) if fn else _fallback(symbol)
