"""Fast paths for the frame shapes that are nearly all of the traffic: liquidations and marks.

A venue parser reads every field through the `wire` helpers, which accept every shape a venue
has ever sent (numbers or strings, "" and 0 for "unknown", old topic names) and raise a
`ParseError` with a reason for anything else. That generality costs most of a parser's time.
Here each usual shape is decoded straight into typed msgspec Structs (no dict per object, the
JSON types checked while decoding) and read with the same checks: a string of at most 40
characters that `float` reads as a finite number, a price and a size > 0, a positive integer
millisecond time, a known side. Anything else — an unusual but valid shape as much as a bad value
— returns None, and the caller decodes the frame with orjson and runs its general path, which
decides (and raises with its reason) exactly as before. So a frame gives the same events, or the
same error, either way; tests/test_feeds_fast_paths.py checks that against the general path on
generated frames.

Why the schemas forbid unknown keys and bound every integer: msgspec skips an unknown key's value
without converting it and reads integers of any size, where orjson (the general path) refuses
``1e400`` and integers of 400 digits and reads integers past 64 bits as floats. A frame one
accepts and the other refuses would then give events on one path and a ``bad_json`` on the other.
So only the keys each venue documents (and those seen in 2026 captures: Binance's ``ps``/``st``)
are declared, and integers outside ±2⁶² go to the general path (checked while decoding, so a
duplicate key's overridden value is checked too). A venue adding a key costs speed
(its frames take the general path), never correctness.

Each function takes the parser (for its symbol → market lookup and its per-symbol state) and the
raw frame, and returns the events or None.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from core.events import LONG, SHORT, Liquidation, MarkPrice
from core.feeds.wire import MAX_FRAME_CHARS

_INF = float("inf")
_MAX_NUMBER_CHARS = 40  # as core.feeds.wire: longer "numbers" go to the general path (which refuses them)
_BINANCE_ORDER_SIDE = {"SELL": LONG, "BUY": SHORT}  # the ORDER side: a SELL closed a long
_BYBIT_POSITION_SIDE = {"Buy": LONG, "Sell": SHORT}  # the POSITION side
_BINANCE_FUNDING_INTERVAL_H = 8.0  # core.feeds.binance.DEFAULT_FUNDING_INTERVAL_H (symbols fundingInfo does not list)
_INT_BOUND = 2**62  # integers beyond ± this take the general path (see the module docstring)


# -- the usual shapes as typed schemas. A key that is absent reads None (the checks below send the
# frame to the general path, as a missing field did); unused keys are declared so that their type
# is checked, and every integer is bounded.
_Text = str | None
# bounded while decoding, so that even a duplicate key's overridden value is checked
_Int = Annotated[int, msgspec.Meta(gt=-_INT_BOUND, lt=_INT_BOUND)] | None


class _BinanceOrder(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    s: _Text = None
    S: _Text = None
    T: _Int = None
    ap: _Text = None
    z: _Text = None
    o: _Text = None
    f: _Text = None
    q: _Text = None
    p: _Text = None
    X: _Text = None
    l: _Text = None  # noqa: E741 (Binance's key)
    ps: _Text = None
    st: _Int = None


class _BinanceForceOrder(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    o: _BinanceOrder
    e: _Text = None
    E: _Int = None


class _BinanceMarkRow(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    e: _Text = None
    E: _Int = None
    s: _Text = None
    p: _Text = None
    r: _Text = None
    T: _Int = None
    i: _Text = None
    P: _Text = None


class _BinanceFrame(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    stream: str
    data: _BinanceForceOrder | list[_BinanceMarkRow]


class _BybitLiquidationRow(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    T: _Int = None
    s: _Text = None
    S: _Text = None
    v: _Text = None
    p: _Text = None


class _BybitLiquidations(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    topic: str
    data: list[_BybitLiquidationRow]
    type: _Text = None
    ts: _Int = None


_BINANCE_FRAME = msgspec.json.Decoder(_BinanceFrame)
_BYBIT_LIQUIDATIONS = msgspec.json.Decoder(_BybitLiquidations)


def _typed(decoder: msgspec.json.Decoder, raw: object):
    """The frame in the decoder's schema, or None: not text, too long, another shape, bad JSON."""
    if type(raw) is not str or len(raw) > MAX_FRAME_CHARS:
        return None  # bytes (msgspec would not check their UTF-8 as orjson does) and oversized frames
    try:
        return decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError, UnicodeError):  # ValidationError is a DecodeError
        return None


def _positive(v: object) -> float:
    """A decimal string read as a finite number > 0; 0.0 when the general path must decide."""
    if type(v) is not str or not 0 < len(v) <= _MAX_NUMBER_CHARS:
        return 0.0
    try:
        f = float(v)
    except ValueError:
        return 0.0
    return f if 0.0 < f < _INF else 0.0


def binance(parser, raw: object, ts_recv: float) -> list | None:
    """``!forceOrder@arr`` (a filled force order) and ``!markPrice@arr`` on the combined stream."""
    frame = _typed(_BINANCE_FRAME, raw)
    if frame is None:
        return None
    data = frame.data
    if type(data) is list:
        return _binance_marks(parser, data, ts_recv)
    return _binance_force_order(parser, data, ts_recv)


def _binance_force_order(parser, d: _BinanceForceOrder, ts_recv: float) -> list | None:
    o = d.o
    symbol, side_s, t_ms, ap, z = o.s, o.S, o.T, o.ap, o.z
    if (
        d.e != "forceOrder"
        or not symbol
        or side_s is None
        or t_ms is None
        or t_ms <= 0
        or ap is None
        or z is None
        or len(ap) > _MAX_NUMBER_CHARS
        or len(z) > _MAX_NUMBER_CHARS
    ):
        return None
    side = _BINANCE_ORDER_SIDE.get(side_s)
    try:  # what traded: the average fill price and the filled quantity ("" fails here too)
        price, qty = float(ap), float(z)
    except ValueError:
        return None
    usd = price * qty
    if side is None or not (0.0 < price < _INF and 0.0 < qty < _INF and usd < _INF):
        return None
    market = parser._market_memo.get(symbol) or parser._market(symbol)
    return [Liquidation("binance", market, symbol, side, price, qty, usd, t_ms / 1000.0, ts_recv)]


def _binance_marks(parser, rows: list[_BinanceMarkRow], ts_recv: float) -> list | None:
    """Every row of ``!markPrice@arr``; a row in any other shape sends the whole frame to the
    general path (rows already read changed nothing the general path would not change too)."""
    out = []
    marks, intervals = parser._marks, parser._funding_interval_h
    for d in rows:
        symbol, p, r, t_next, t_ev = d.s, d.p, d.r, d.T, d.E
        if d.e != "markPriceUpdate" or not symbol or t_next is None or t_ev is None or t_ev <= 0:
            return None
        mark = _positive(p)
        if not mark:
            return None  # a zero mark (settling contracts) or a bad one: the general path skips or refuses it
        if r == "":
            funding = None
        elif r is not None and len(r) <= _MAX_NUMBER_CHARS:
            try:
                funding = float(r)
            except ValueError:
                return None
            if not -_INF < funding < _INF:
                return None
        else:
            return None
        index = _positive(d.i)
        if not index:
            return None  # "0" / "" index (unknown) and bad ones alike: the general path decides
        marks[symbol] = mark
        out.append(
            MarkPrice(
                "binance",
                parser._market_memo.get(symbol) or parser._market(symbol),
                symbol,
                mark,
                funding,
                t_next / 1000.0 if t_next > 0 else None,
                t_ev / 1000.0,
                ts_recv,
                index=index,
                funding_interval_h=intervals.get(symbol, _BINANCE_FUNDING_INTERVAL_H),
            )
        )
    return out


def bybit(parser, raw: object, ts_recv: float) -> list | None:
    """``allLiquidation.SYMBOL`` batches (linear contracts: size in base units)."""
    frame = _typed(_BYBIT_LIQUIDATIONS, raw)
    if frame is None or not frame.topic.startswith("allLiquidation."):
        return None
    out = []
    last_symbol = market = ""
    for row in frame.data:
        symbol, side_s, t_ms, v, p = row.s, row.S, row.T, row.v, row.p
        if (
            not symbol
            or side_s is None
            or t_ms is None
            or t_ms <= 0
            or v is None
            or p is None
            or len(v) > _MAX_NUMBER_CHARS
            or len(p) > _MAX_NUMBER_CHARS
        ):
            return None
        side = _BYBIT_POSITION_SIDE.get(side_s)
        try:
            size, price = float(v), float(p)
        except ValueError:
            return None
        usd = size * price
        if side is None or not (0.0 < size < _INF and 0.0 < price < _INF and usd < _INF):
            return None
        if symbol != last_symbol:  # a batch is one symbol's: look its market up once
            last_symbol, market = symbol, parser._market_memo.get(symbol) or parser._market(symbol)
            if market.endswith("-USD-PERP"):
                return None  # inverse contracts (size in USD) keep the general path
        out.append(Liquidation("bybit", market, symbol, side, price, size, usd, t_ms / 1000.0, ts_recv))
    return out
