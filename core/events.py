"""The one normalised event model every source produces: venues, simulator and replay.

Times are unix seconds (float). Venue milliseconds are converted in parsers.
A liquidation's `side` is always the side of the *position that was liquidated*
(`long` / `short`); order sides (`buy` / `sell`) are only used for our own orders
and for trade aggressors.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import MISSING, asdict, fields
from typing import ClassVar, Literal

import msgspec

Side = Literal["long", "short"]
OrderSide = Literal["buy", "sell"]
LONG: Side = "long"
SHORT: Side = "short"

VENUES = ("binance", "bybit", "okx", "bitmex", "deribit", "hyperliquid", "gate", "bitget", "htx", "sim")


def market_name(base: str, quote: str = "USDT") -> str:
    """Canonical market name, e.g. ``market_name("BTC") == "BTC-USDT-PERP"``."""
    return f"{base.upper()}-{quote.upper()}-PERP"


def base_asset(market: str) -> str:
    """``"BTC-USDT-PERP" -> "BTC"``; names that are not canonical come back whole."""
    return market.split("-", 1)[0]


def short_name(market: str) -> str:
    """Compact label for narrow screens: the base asset, plus the quote when it is not USDT."""
    parts = market.split("-")
    if len(parts) == 3 and parts[1] != "USDT":
        return f"{parts[0]}/{parts[1]}"
    return parts[0]


def opposite(side: Side) -> Side:
    return SHORT if side == LONG else LONG


# Events are frozen msgspec Structs, not frozen dataclasses: one is built per liquidation and per
# mark on the hot path, and a Struct is built ~15× faster (a frozen dataclass's __init__ goes
# through object.__setattr__ per field). gc=False: they hold only strings and numbers, so they can
# never be part of a reference cycle, and leaving them untracked keeps them from triggering and
# lengthening cyclic collections. Constructors (positional and keyword), field names, equality,
# hashing, repr and immutability are as before.
_EVENT_STRUCT = {"frozen": True, "gc": False}


def _dataclass_compatible(cls):
    """Give a Struct the field table of an equivalent frozen dataclass, so `dataclasses.fields`,
    `asdict` and `replace` keep working on events (the journal, recordings and tests use them)."""
    spec = []
    for f in msgspec.structs.fields(cls):
        if f.default is msgspec.NODEFAULT:
            spec.append((f.name, f.type))
        else:
            spec.append((f.name, f.type, dataclasses.field(default=f.default)))
    twin = dataclasses.make_dataclass(cls.__name__, spec, frozen=True)
    cls.__dataclass_fields__ = twin.__dataclass_fields__
    cls.__dataclass_params__ = twin.__dataclass_params__
    return cls


@_dataclass_compatible
class Liquidation(msgspec.Struct, **_EVENT_STRUCT):
    """A forced close of a leveraged position."""

    kind: ClassVar[str] = "liquidation"
    venue: str
    market: str
    symbol: str  # the venue's own symbol, e.g. BTCUSDT or XBTUSD
    side: Side  # the position that was liquidated
    price: float
    qty: float  # base-asset quantity
    usd: float  # notional in USD
    ts_event: float  # exchange time
    ts_recv: float  # our receive time


@_dataclass_compatible
class MarkPrice(msgspec.Struct, **_EVENT_STRUCT):
    kind: ClassVar[str] = "mark"
    venue: str
    market: str
    symbol: str
    mark: float
    funding_rate: float | None  # fraction per funding interval, e.g. 0.0001 = 0.01 %
    next_funding_ts: float | None
    ts_event: float
    ts_recv: float
    index: float | None = None
    # Hours between funding settlements, from the venue: Binance GET /fapi/v1/fundingInfo
    # (fundingIntervalHours; unlisted symbols 8), Bybit fundingIntervalHour, OKX nextFundingTime −
    # fundingTime, Gate contract funding_interval, Bitget fundingRateInterval, Hyperliquid 1,
    # Deribit 8. `funding_rate` is per THIS interval: rate × 8 / funding_interval_h is the 8-hour
    # equivalent the funding score compares (core.market_state), and a funding charge on a held
    # position is rate × notional at each settlement, every funding_interval_h hours.
    funding_interval_h: float = 8.0


@_dataclass_compatible
class OpenInterest(msgspec.Struct, **_EVENT_STRUCT):
    kind: ClassVar[str] = "open_interest"
    venue: str
    market: str
    symbol: str
    oi_usd: float
    ts_event: float
    ts_recv: float
    oi_qty: float | None = None  # base-asset quantity, where the venue gives it


@_dataclass_compatible
class Trade(msgspec.Struct, **_EVENT_STRUCT):
    """A public trade / price tick. `aggressor` is the taker's order side."""

    kind: ClassVar[str] = "trade"
    venue: str
    market: str
    symbol: str
    price: float
    qty: float
    aggressor: OrderSide
    ts_event: float
    ts_recv: float


Event = Liquidation | MarkPrice | OpenInterest | Trade
EVENT_TYPES: dict[str, type] = {
    "liquidation": Liquidation,
    "mark": MarkPrice,
    "open_interest": OpenInterest,
    "trade": Trade,
}


class EventError(ValueError):
    """A dict that is not a valid normalised event; the message names the field."""


def event_to_dict(ev: Event) -> dict:
    """The normalised JSON form: ``kind`` first, then every field. Also the ``sim`` recording format."""
    d: dict[str, object] = {"kind": ev.kind}
    d.update(asdict(ev))
    d["ts"] = ev.ts_recv
    return d


_FLOAT_FIELDS = {"price", "qty", "usd", "mark", "oi_usd", "ts_event", "ts_recv"}


def event_from_dict(d: dict) -> Event:
    """Inverse of :func:`event_to_dict`; raises :class:`EventError` naming the bad field."""
    if not isinstance(d, dict):
        raise EventError("event is not an object")
    kind = d.get("kind")
    cls = EVENT_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise EventError(f"unknown kind {kind!r}")
    kwargs = {}
    for f in fields(cls):
        name = f.name
        if name in d:
            kwargs[name] = d[name]
        elif name == "ts_recv" and "ts" in d:
            kwargs[name] = d["ts"]
        elif f.default is MISSING and f.default_factory is MISSING:
            raise EventError(f"{kind}: missing field {name!r}")
    for name in _FLOAT_FIELDS & kwargs.keys():
        v = kwargs[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise EventError(f"{kind}: field {name!r} must be a finite number, got {v!r}")
        kwargs[name] = float(v)
    if cls is Liquidation:
        if kwargs["side"] not in (LONG, SHORT):
            raise EventError(f"liquidation: side must be 'long' or 'short', got {kwargs['side']!r}")
        if kwargs["usd"] < 0 or kwargs["qty"] < 0 or kwargs["price"] <= 0:
            raise EventError("liquidation: price must be > 0 and qty/usd >= 0")
    if cls is Trade and kwargs["aggressor"] not in ("buy", "sell"):
        raise EventError(f"trade: aggressor must be 'buy' or 'sell', got {kwargs['aggressor']!r}")
    for name in ("venue", "market", "symbol"):
        if not isinstance(kwargs.get(name), str):
            raise EventError(f"{kind}: field {name!r} must be a string")
    return cls(**kwargs)
