"""Binance USDⓈ-M futures: force orders, mark price/funding, REST open interest.

Liquidations come from ``!forceOrder@arr``, a *snapshot* stream: at most the latest liquidation
per symbol per second is pushed, so counts and volume are lower bounds. ``o.S`` is the side of
the liquidation ORDER: SELL means a long position was closed.

Since 2026-04-23 these streams exist only on the ``/market`` route; a subscribe on another
route is acknowledged and then silent, so the URL below carries the route and the streams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from core.events import LONG, SHORT, Event, Liquidation, MarkPrice, OpenInterest
from core.feeds import fast_paths
from core.feeds.base import ParseError, RestPoll, VenueConnection
from core.feeds.symbols import binance_market
from core.feeds.wire import (
    decode,
    finite_product,
    items,
    lookup,
    maybe_number,
    maybe_positive,
    ms_to_s,
    number,
    obj,
    positive,
    text,
)
from core.instruments import Instrument

VENUE = "binance"
REST_BASE = "https://fapi.binance.com"
INSTRUMENTS_URL = f"{REST_BASE}/fapi/v1/exchangeInfo"
OPEN_INTEREST_PATH = "/fapi/v1/openInterest"
FUNDING_INFO_PATH = "/fapi/v1/fundingInfo"  # fundingIntervalHours of symbols not on 8 h (4 h, 1 h ...)
FUNDING_INFO_INTERVAL_S = 3600.0  # intervals change rarely; the endpoint shares 500 req / 5 min / IP
DEFAULT_FUNDING_INTERVAL_H = 8.0  # symbols the fundingInfo answer does not list pay every 8 h
MARKET_STREAM_URL = "wss://fstream.binance.com/market/stream?streams=!forceOrder@arr/!markPrice@arr@1s"

_ORDER_SIDE_TO_POSITION = {"SELL": LONG, "BUY": SHORT}
MARKET_MEMO = 8192  # symbols whose market a parser remembers
_WEIGHT_PER_MINUTE = 2400
_OI_SHARE_OF_BUDGET = 0.5  # leave the other half for brokers and instrument refreshes


class BinanceParser:
    """Stateful only in one way: it remembers the last mark per symbol, because the REST
    open-interest answer is in base units and needs a price to become USD."""

    venue = VENUE

    def __init__(self, instruments: Iterable[Instrument] | None = None) -> None:
        self._markets = {i.symbol: i.market for i in instruments or () if i.venue == VENUE}
        self._marks: dict[str, float] = {}
        self._market_memo: dict[str, str] = {}  # symbol -> market, read by the fast paths first
        self._funding_interval_h: dict[str, float] = {}  # from GET /fapi/v1/fundingInfo
        self._by_event: dict[str, Callable[[dict, float], list[Event]]] = {
            "forceOrder": self._force_order,
            "markPriceUpdate": self._mark_price,
        }

    def parse(self, raw: str | bytes, ts_recv: float) -> list[Event]:
        fast = fast_paths.binance(self, raw, ts_recv)  # the usual force-order and mark shapes
        if fast is not None:
            return fast
        msg = decode(raw)
        if isinstance(msg, dict) and "stream" in msg and "data" in msg:
            msg = msg["data"]  # combined-stream envelope
        elif isinstance(msg, dict) and "id" in msg and ("result" in msg or "error" in msg):
            if msg.get("error") is not None:
                raise ParseError("venue_error", str(msg["error"])[:120])
            return []  # SUBSCRIBE / LIST_SUBSCRIPTIONS acknowledgement
        if isinstance(msg, list):  # !markPrice@arr: one frame, every symbol
            events: list[Event] = []
            for payload in msg:
                events.extend(self._payload(payload, ts_recv))
            return events
        return self._payload(msg, ts_recv)

    def parse_rest(self, path: str, params: dict, body: Any, ts_recv: float) -> list[Event]:
        """A recorded or live REST answer; only open interest is polled."""
        if path.endswith(OPEN_INTEREST_PATH):
            return self.parse_open_interest(body, ts_recv)
        if path.endswith(FUNDING_INFO_PATH):
            self.parse_funding_info(body)
            return []
        raise ParseError("unknown_rest", path[:80])

    def parse_funding_info(self, body: Any) -> None:
        """``GET /fapi/v1/fundingInfo`` → per-symbol funding interval, carried on later mark events.

        The answer lists only symbols whose funding settings were adjusted, e.g.
        ``[{"symbol":"LPTUSDT","adjustedFundingRateCap":"0.02","adjustedFundingRateFloor":"-0.02",
        "fundingIntervalHours":4,"disclaimer":false}]``; every other symbol stays on 8 h."""
        if isinstance(body, (str, bytes)):
            body = decode(body)
        if isinstance(body, dict):
            raise ParseError("venue_error", str(body.get("msg", body.get("code")))[:120])
        intervals: dict[str, float] = {}
        for row in items(body, "fundingInfo"):
            if not isinstance(row, dict):
                continue
            hours = maybe_positive(row.get("fundingIntervalHours"), "fundingIntervalHours")
            symbol = row.get("symbol")
            if hours is not None and isinstance(symbol, str):
                intervals[symbol] = hours
        self._funding_interval_h = intervals

    def parse_open_interest(self, body: Any, ts_recv: float) -> list[Event]:
        """``GET /fapi/v1/openInterest`` → OpenInterest in USD at the last seen mark.

        Until a mark for the symbol has arrived on the websocket there is no price to value it
        at, and the answer gives [] rather than a guess (the next poll will have one).
        """
        if isinstance(body, (str, bytes)):
            body = decode(body)
        d = obj(body, "openInterest body")
        if "code" in d and "openInterest" not in d:
            raise ParseError("venue_error", str(d.get("msg", d["code"]))[:120])
        symbol = text(d, "symbol")
        qty = number(d, "openInterest")
        if qty < 0:
            raise ParseError("bad_number", "openInterest < 0")
        mark = self._marks.get(symbol)
        if mark is None:
            return []
        ts_event = ms_to_s(d.get("time"), "time") or ts_recv
        return [OpenInterest(VENUE, self._market(symbol), symbol, qty * mark, ts_event, ts_recv, oi_qty=qty)]

    # --- frames ---------------------------------------------------------------------------

    def _payload(self, payload: Any, ts_recv: float) -> list[Event]:
        d = obj(payload, "event")
        handler = lookup(self._by_event, d.get("e"))
        if handler is None:
            raise ParseError("unknown_stream", str(d.get("e"))[:40])
        return handler(d, ts_recv)

    def _force_order(self, d: dict, ts_recv: float) -> list[Event]:
        o = obj(d.get("o"), "o")
        symbol = text(o, "s")
        side = lookup(_ORDER_SIDE_TO_POSITION, o.get("S"))
        if side is None:
            raise ParseError("bad_side", str(o.get("S"))[:20])
        # Filled quantity at the average fill price is what actually traded; a force order
        # reported before any fill only has the order's own price and quantity.
        avg_price = maybe_positive(o.get("ap"), "ap")
        filled = maybe_positive(o.get("z"), "z")
        if avg_price is not None and filled is not None:
            price, qty = avg_price, filled
        else:
            price, qty = positive(o, "p"), positive(o, "q")
        usd = finite_product(price, qty, "usd")
        ts_event = ms_to_s(o.get("T"), "T") or ms_to_s(d.get("E"), "E") or ts_recv
        return [Liquidation(VENUE, self._market(symbol), symbol, side, price, qty, usd, ts_event, ts_recv)]

    def _mark_price(self, d: dict, ts_recv: float) -> list[Event]:
        symbol = text(d, "s")
        mark = maybe_positive(d.get("p"), "p")
        if mark is None:
            return []  # settling/delisted contracts in the array carry a zero mark
        self._marks[symbol] = mark
        # Dated contracts share the array with r "" and T 0: no funding, not an error.
        return [
            MarkPrice(
                VENUE,
                self._market(symbol),
                symbol,
                mark,
                funding_rate=maybe_number(d.get("r"), "r"),
                next_funding_ts=ms_to_s(d.get("T"), "T"),
                ts_event=ms_to_s(d.get("E"), "E") or ts_recv,
                ts_recv=ts_recv,
                index=maybe_positive(d.get("i"), "i"),
                funding_interval_h=self._funding_interval_h.get(symbol, DEFAULT_FUNDING_INTERVAL_H),
            )
        ]

    def _market(self, symbol: str) -> str:
        market = self._market_memo.get(symbol)
        if market is None:
            market = self._markets.get(symbol) or binance_market(symbol)
            if len(self._market_memo) < MARKET_MEMO:  # bounded: made-up symbols cannot grow it
                self._market_memo[symbol] = market
        return market


# --- instruments, connections, polls -------------------------------------------------------


def _filter(filters: list, name: str) -> dict:
    for f in filters:
        if isinstance(f, dict) and f.get("filterType") == name:
            return f
    return {}


def parse_instruments(body: Any) -> list[Instrument]:
    """``GET /fapi/v1/exchangeInfo`` → perpetuals that are trading. Malformed rows are skipped."""
    if isinstance(body, (str, bytes)):
        body = decode(body)
    out: list[Instrument] = []
    for row in items(obj(body, "exchangeInfo").get("symbols"), "symbols"):
        if not isinstance(row, dict) or row.get("contractType") != "PERPETUAL" or row.get("status") != "TRADING":
            continue
        try:
            symbol = text(row, "symbol")
            filters = row.get("filters") if isinstance(row.get("filters"), list) else []
            price_f, lot_f = _filter(filters, "PRICE_FILTER"), _filter(filters, "LOT_SIZE")
            base, quote = row.get("baseAsset"), row.get("quoteAsset")
            market = (
                f"{base}-{quote}-PERP".upper()
                if isinstance(base, str) and isinstance(quote, str) and base and quote
                else binance_market(symbol)
            )
            out.append(
                Instrument(
                    venue=VENUE,
                    symbol=symbol,
                    market=market,
                    tick_size=maybe_positive(price_f.get("tickSize")) or 0.01,
                    lot_size=maybe_positive(lot_f.get("stepSize")) or 0.001,
                    min_qty=maybe_positive(lot_f.get("minQty")) or 0.0,
                    min_notional=maybe_positive(_filter(filters, "MIN_NOTIONAL").get("notional")) or 0.0,
                )
            )
        except ParseError:
            continue
    return out


def connections(instruments: Iterable[Instrument] = ()) -> list[VenueConnection]:
    """One combined all-market connection; the server pings, the websocket library answers."""
    return [
        VenueConnection(
            venue=VENUE,
            name="market",
            url=MARKET_STREAM_URL,
            ping_frame=None,
            stale_after=30.0,  # markPrice@arr@1s ticks every second
            max_lifetime=23.5 * 3600,  # Binance cuts at 24 h; reconnect first, on our terms
        )
    ]


def polls(instruments: Iterable[Instrument]) -> list[RestPoll]:
    """Open interest has no stream: poll each perpetual, spread to stay within half the IP budget."""
    symbols = sorted({i.symbol for i in instruments if i.venue == VENUE})
    per_minute = _WEIGHT_PER_MINUTE * _OI_SHARE_OF_BUDGET
    interval = max(60.0, 60.0 * len(symbols) / per_minute)
    funding = RestPoll(
        VENUE, f"{REST_BASE}{FUNDING_INFO_PATH}", {}, interval=FUNDING_INFO_INTERVAL_S, weight=1, first_within=5.0
    )
    return [funding] + [
        RestPoll(VENUE, f"{REST_BASE}{OPEN_INTEREST_PATH}", {"symbol": s}, interval=interval, weight=1) for s in symbols
    ]
