"""Fast paths for the frame shapes that are nearly all of the traffic: liquidations and marks.

A venue parser reads every field through the `wire` helpers, which accept every shape a venue
has ever sent (numbers or strings, "" and 0 for "unknown", old topic names) and raise a
`ParseError` with a reason for anything else. That generality costs most of a parser's time.
Here each usual shape is read with direct field access and the same checks: a string of at
most 40 characters that `float` reads as a finite number, a price and a size > 0, a positive
integer millisecond time, a known side. Anything else — an unusual but valid shape as much as a
bad value — returns None, and the caller runs its general path, which decides (and raises with
its reason) exactly as before. So a frame gives the same events, or the same error, either way;
tests/test_feeds_fast_paths.py checks that against the general path on generated frames.

Each function takes the parser (for its symbol → market lookup and its per-symbol state) and the
decoded frame, and returns the events or None.
"""

from __future__ import annotations

from core.events import LONG, SHORT, Liquidation, MarkPrice

_INF = float("inf")
_MAX_NUMBER_CHARS = 40  # as core.feeds.wire: longer "numbers" go to the general path (which refuses them)
_BINANCE_ORDER_SIDE = {"SELL": LONG, "BUY": SHORT}  # the ORDER side: a SELL closed a long
_BYBIT_POSITION_SIDE = {"Buy": LONG, "Sell": SHORT}  # the POSITION side
_BINANCE_FUNDING_INTERVAL_H = 8.0  # core.feeds.binance.DEFAULT_FUNDING_INTERVAL_H (symbols fundingInfo does not list)


def _positive(v: object) -> float:
    """A decimal string read as a finite number > 0; 0.0 when the general path must decide."""
    if type(v) is not str or not 0 < len(v) <= _MAX_NUMBER_CHARS:
        return 0.0
    try:
        f = float(v)
    except ValueError:
        return 0.0
    return f if 0.0 < f < _INF else 0.0


def binance(parser, msg: object, ts_recv: float) -> list | None:
    """``!forceOrder@arr`` (a filled force order) and ``!markPrice@arr`` on the combined stream."""
    if type(msg) is not dict or "stream" not in msg:
        return None
    data = msg.get("data")
    if type(data) is dict:
        return _binance_force_order(parser, data, ts_recv)
    if type(data) is list:
        return _binance_marks(parser, data, ts_recv)
    return None


def _binance_force_order(parser, d: dict, ts_recv: float) -> list | None:
    o = d.get("o")
    if d.get("e") != "forceOrder" or type(o) is not dict:
        return None
    symbol, side_s, t_ms, ap, z = o.get("s"), o.get("S"), o.get("T"), o.get("ap"), o.get("z")
    if (
        type(symbol) is not str
        or not symbol
        or type(side_s) is not str
        or type(t_ms) is not int
        or t_ms <= 0
        or type(ap) is not str
        or type(z) is not str
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
    return [Liquidation("binance", parser._market(symbol), symbol, side, price, qty, usd, t_ms / 1000.0, ts_recv)]


def _binance_marks(parser, rows: list, ts_recv: float) -> list | None:
    """Every row of ``!markPrice@arr``; a row in any other shape sends the whole frame to the
    general path (rows already read changed nothing the general path would not change too)."""
    out = []
    marks, intervals = parser._marks, parser._funding_interval_h
    for d in rows:
        if type(d) is not dict or d.get("e") != "markPriceUpdate":
            return None
        symbol, p, r, t_next, t_ev, i = d.get("s"), d.get("p"), d.get("r"), d.get("T"), d.get("E"), d.get("i")
        if type(symbol) is not str or not symbol or type(t_next) is not int or type(t_ev) is not int or t_ev <= 0:
            return None
        mark = _positive(p)
        if not mark:
            return None  # a zero mark (settling contracts) or a bad one: the general path skips or refuses it
        if r == "":
            funding = None
        elif type(r) is str and len(r) <= _MAX_NUMBER_CHARS:
            try:
                funding = float(r)
            except ValueError:
                return None
            if not -_INF < funding < _INF:
                return None
        else:
            return None
        index = _positive(i)
        if not index:
            return None  # "0" / "" index (unknown) and bad ones alike: the general path decides
        marks[symbol] = mark
        out.append(
            MarkPrice(
                "binance",
                parser._market(symbol),
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


def bybit(parser, msg: object, ts_recv: float) -> list | None:
    """``allLiquidation.SYMBOL`` batches (linear contracts: size in base units)."""
    if type(msg) is not dict:
        return None
    topic = msg.get("topic")
    rows = msg.get("data")
    if type(topic) is not str or not topic.startswith("allLiquidation.") or type(rows) is not list:
        return None
    out = []
    last_symbol = market = ""
    for row in rows:
        if type(row) is not dict:
            return None
        symbol, side_s, t_ms, v, p = row.get("s"), row.get("S"), row.get("T"), row.get("v"), row.get("p")
        if (
            type(symbol) is not str
            or not symbol
            or type(side_s) is not str
            or type(t_ms) is not int
            or t_ms <= 0
            or type(v) is not str
            or type(p) is not str
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
            last_symbol, market = symbol, parser._market(symbol)
            if market.endswith("-USD-PERP"):
                return None  # inverse contracts (size in USD) keep the general path
        out.append(Liquidation("bybit", market, symbol, side, price, size, usd, t_ms / 1000.0, ts_recv))
    return out
