"""The supported venues and what each offers: parser, connections, polls, instrument loading.

The composition root and replay look venues up here instead of importing venue modules by
name, so a venue's optional parts (REST polls, heartbeat replies, a POST body for its
instrument list) have one uniform shape with neutral defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from core.events import Event
from core.feeds import binance, bitget, bitmex, bybit, deribit, gate, htx, hyperliquid, okx
from core.feeds.base import ParseError, RestPoll, VenueConnection, VenueParser
from core.instruments import Instrument

_MODULES: dict[str, ModuleType] = {
    "binance": binance,
    "bybit": bybit,
    "okx": okx,
    "bitmex": bitmex,
    "deribit": deribit,
    "hyperliquid": hyperliquid,
    "gate": gate,
    "bitget": bitget,
    "htx": htx,
}
_PARSERS: dict[str, type] = {
    "binance": binance.BinanceParser,
    "bybit": bybit.BybitParser,
    "okx": okx.OkxParser,
    "bitmex": bitmex.BitmexParser,
    "deribit": deribit.DeribitParser,
    "hyperliquid": hyperliquid.HyperliquidParser,
    "gate": gate.GateParser,
    "bitget": bitget.BitgetParser,
    "htx": htx.HtxParser,
}
VENUES: tuple[str, ...] = tuple(_MODULES)  # every parser: replay and normalise accept all of these

# Venues that no longer exist: their parsers stay so old recordings replay, but nothing connects to them.
RETIRED: dict[str, str] = {
    "bitmex": "BitMEX closed on 2026-09-23 04:00 UTC (its closure notice of 2026-07-23); "
    "its parser stays so old recordings still replay",
}
LIVE_VENUES: tuple[str, ...] = tuple(v for v in VENUES if v not in RETIRED)
# `liqhunt run` without --venues: every live venue with a public liquidation feed (Hyperliquid has none)
DEFAULT_VENUES: tuple[str, ...] = ("binance", "bybit", "okx", "deribit", "gate", "bitget")


def retired_reason(venue: str) -> str | None:
    """Why `venue` cannot be connected to live, or None if it can."""
    return RETIRED.get(venue)


LIQUIDATION_COVERAGE: dict[str, str] = {
    "binance": "at most one liquidation per symbol per second is published: counts and volume are lower bounds",
    "bybit": "all liquidations (allLiquidation), batched every 500 ms",
    "okx": "a sample: OKX says the liquidation-orders channel does not represent the total",
    "bitmex": "engine orders as they rest in the book, counted once on insert at their size then",
    "deribit": "every liquidation trade, read from the public trade flag",
    "hyperliquid": "none: Hyperliquid publishes no public liquidation stream (funding and OI only)",
    "gate": "every liquidation order since Gate's 2026-08-20 change (batched per contract each second, "
    "or at 20 orders); before it, at most one per contract per second",
    "bitget": "a snapshot: per pair each second only the largest long and the largest short liquidation, "
    "so counts and volume are lower bounds",
    "htx": "liquidation orders of every USDT swap (one wildcard topic); HTX does not say whether it throttles them",
}


def _no_polls(instruments: Iterable[Instrument]) -> list[RestPoll]:
    return []


def _no_reply(raw: str | bytes) -> str | None:
    return None


@dataclass(frozen=True)
class VenueApi:
    """A venue's pure parts. ``instruments_body`` is None for a GET, else the JSON body to POST."""

    name: str
    connections: Callable[[Iterable[Instrument]], list[VenueConnection]]
    polls: Callable[[Iterable[Instrument]], list[RestPoll]]
    instruments_url: str
    instruments_body: dict | None
    parse_instruments: Callable[[Any], list[Instrument]]
    auto_reply: Callable[[str | bytes], str | None]
    connects_per_s: float | None = None  # the venue's limit on new connections per second per IP

    # The module-style names, so callers can write venue_module(v).INSTRUMENTS_URL.
    @property
    def INSTRUMENTS_URL(self) -> str:  # noqa: N802
        return self.instruments_url


def _check(venue: str) -> ModuleType:
    module = _MODULES.get(venue) if isinstance(venue, str) else None
    if module is None:
        raise ValueError(f"unknown venue {venue!r}; supported: {', '.join(VENUES)}")
    return module


def venue_module(venue: str) -> VenueApi:
    m = _check(venue)
    return VenueApi(
        name=venue,
        connections=m.connections,
        polls=getattr(m, "polls", _no_polls),
        instruments_url=m.INSTRUMENTS_URL,
        instruments_body=getattr(m, "INSTRUMENTS_BODY", None),
        parse_instruments=m.parse_instruments,
        auto_reply=getattr(m, "auto_reply", _no_reply),
        connects_per_s=getattr(m, "CONNECTS_PER_S", None),
    )


def make_parser(venue: str, instruments: Iterable[Instrument] | None = None) -> VenueParser:
    """A fresh parser; instruments of other venues are ignored, so one shared list can be passed."""
    _check(venue)
    return _PARSERS[venue]([i for i in instruments or () if i.venue == venue])


def parse_recorded(parser: VenueParser, msg: object, ts: float) -> list[Event]:
    """Replay one recorded message: a websocket frame as received (str), or a REST poll answer
    ``{"rest": "<path>", "params": {...}, "body": <json>}``."""
    if isinstance(msg, (str, bytes)):
        return parser.parse(msg, ts)
    if isinstance(msg, dict) and isinstance(msg.get("rest"), str) and "body" in msg:
        parse_rest = getattr(parser, "parse_rest", None)
        if parse_rest is None:
            raise ParseError("unknown_rest", f"{parser.venue} polls no REST endpoint")
        params = msg.get("params") if isinstance(msg.get("params"), dict) else {}
        return parse_rest(msg["rest"], params, msg["body"], ts)
    raise ParseError("bad_record", type(msg).__name__)
