"""Bybit v5 linear: all liquidations, tickers (mark, funding, open interest).

``allLiquidation.{SYMBOL}`` pushes every liquidation, batched every 500 ms. Its ``S`` is the
POSITION side — the opposite convention to Binance: "Buy" means a long was liquidated. The
retired ``liquidation.{SYMBOL}`` topic (≤1/s/symbol) uses the same position-side meaning and is
still accepted so old recordings replay.

Open interest: since 2026-06-11 ``openInterest``/``openInterestValue`` count both sides and
``singleOpenInterest``/``singleOpenInterestValue`` carry the one-sided figure the heatmap wants
(a 2026-08 capture shows exactly 2×). When the single-side fields are present they are used.
When they are absent (recordings before that date) ``openInterestValue`` is used unhalved:
there is no evidence it was two-sided before the single fields existed, and halving a
one-sided number would be a silent 50 % error. This is the one ambiguity in this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from core.events import LONG, SHORT, Event, Liquidation, MarkPrice, OpenInterest
from core.feeds import fast_paths
from core.feeds.base import ParseError, VenueConnection
from core.feeds.symbols import bybit_market
from core.feeds.wire import (
    decode,
    finite_product,
    finite_ratio,
    items,
    lookup,
    maybe_number,
    maybe_positive,
    ms_to_s,
    obj,
    positive,
    text,
)
from core.instruments import Instrument

VENUE = "bybit"
INSTRUMENTS_URL = "https://api.bybit.com/v5/market/instruments-info?category=linear&limit=1000"
WS_URL = "wss://stream.bybit.com/v5/public/linear"

_POSITION_SIDE = {"Buy": LONG, "Sell": SHORT}
_MARK_FIELDS = ("markPrice", "fundingRate", "nextFundingTime", "fundingIntervalHour")
_OI_FIELDS = ("openInterest", "openInterestValue", "singleOpenInterest", "singleOpenInterestValue")
_POSITIVE_FIELDS = ("markPrice", "indexPrice", "fundingIntervalHour")
MARKET_MEMO = 8192  # symbols whose market a parser remembers
TOPICS_PER_FRAME = 10
TOPICS_PER_CONNECTION = 200


class BybitParser:
    """Keeps the merged ``tickers`` state per symbol, since deltas carry only changed fields."""

    venue = VENUE

    def __init__(self, instruments: Iterable[Instrument] | None = None) -> None:
        self._instruments = {i.symbol: i for i in instruments or () if i.venue == VENUE}
        self._tickers: dict[str, dict] = {}
        self._market_memo: dict[str, str] = {}  # symbol -> market, read by the fast paths first
        self._by_topic: dict[str, Callable[[dict, float], list[Event]]] = {
            "allLiquidation": self._all_liquidation,
            "liquidation": self._legacy_liquidation,
            "tickers": self._ticker,
        }

    def parse(self, raw: str | bytes, ts_recv: float) -> list[Event]:
        fast = fast_paths.bybit(self, raw, ts_recv)  # the usual liquidation batch shape
        if fast is not None:
            return fast
        msg = obj(decode(raw), "frame")
        if "topic" not in msg:
            if "op" in msg or "ret_msg" in msg:  # pong, subscribe response
                if msg.get("success") is False:
                    raise ParseError("venue_error", str(msg.get("ret_msg"))[:120])
                return []
            raise ParseError("unknown_stream", "no topic")
        topic = msg["topic"]
        if not isinstance(topic, str):
            raise ParseError("bad_type", "topic")
        handler = self._by_topic.get(topic.split(".", 1)[0])
        if handler is None:
            raise ParseError("unknown_stream", topic[:40])
        return handler(msg, ts_recv)

    # --- liquidations ------------------------------------------------------------------------

    def _all_liquidation(self, msg: dict, ts_recv: float) -> list[Event]:
        return [
            self._liquidation(obj(row, "data[]"), "s", "S", "v", "p", "T", ts_recv)
            for row in items(msg.get("data"), "data")
        ]

    def _legacy_liquidation(self, msg: dict, ts_recv: float) -> list[Event]:
        row = obj(msg.get("data"), "data")
        return [self._liquidation(row, "symbol", "side", "size", "price", "updatedTime", ts_recv)]

    def _liquidation(
        self, row: dict, k_sym: str, k_side: str, k_size: str, k_price: str, k_time: str, ts_recv: float
    ) -> Liquidation:
        symbol = text(row, k_sym)
        side = lookup(_POSITION_SIDE, row.get(k_side))
        if side is None:
            raise ParseError("bad_side", str(row.get(k_side))[:20])
        size, price = positive(row, k_size), positive(row, k_price)
        market = self._market(symbol)
        if market.endswith("-USD-PERP"):  # inverse contract: size is USD
            usd, qty = size, finite_ratio(size, price, "qty")
        else:
            usd, qty = finite_product(size, price, "usd"), size
        ts_event = ms_to_s(row.get(k_time), k_time) or ts_recv
        return Liquidation(VENUE, market, symbol, side, price, qty, usd, ts_event, ts_recv)

    # --- tickers -------------------------------------------------------------------------------

    def _ticker(self, msg: dict, ts_recv: float) -> list[Event]:
        data = obj(msg.get("data"), "data")
        symbol = text(data, "symbol")
        _check_fields(data)  # junk must not be merged into the state, where it would stick
        previous = self._tickers.get(symbol, {})
        # A snapshot replaces the state (e.g. after a reconnect); a delta is merged into it.
        if msg.get("type") == "snapshot":
            state, changed = dict(data), set(data)
        else:
            state = {**previous, **data}
            changed = {k for k in data if previous.get(k) != data[k]}
        ts_event = ms_to_s(msg.get("ts"), "ts") or ts_recv
        events: list[Event] = []
        market = self._market(symbol)
        mark = maybe_positive(state.get("markPrice"), "markPrice")
        if mark is not None and changed.intersection(_MARK_FIELDS):
            interval = maybe_positive(state.get("fundingIntervalHour"), "fundingIntervalHour")
            events.append(
                MarkPrice(
                    VENUE,
                    market,
                    symbol,
                    mark,
                    funding_rate=maybe_number(state.get("fundingRate"), "fundingRate"),
                    next_funding_ts=ms_to_s(state.get("nextFundingTime"), "nextFundingTime"),
                    ts_event=ts_event,
                    ts_recv=ts_recv,
                    index=maybe_positive(state.get("indexPrice"), "indexPrice"),
                    funding_interval_h=interval or 8.0,
                )
            )
        if changed.intersection(_OI_FIELDS):
            oi = self._open_interest(state, symbol, market, ts_event, ts_recv)
            if oi is not None:
                events.append(oi)
        self._tickers[symbol] = state  # only after every field parsed: a bad frame leaves no trace
        return events

    def _open_interest(
        self, state: dict, symbol: str, market: str, ts_event: float, ts_recv: float
    ) -> OpenInterest | None:
        usd = maybe_number(state.get("singleOpenInterestValue"), "singleOpenInterestValue")
        qty_key = "singleOpenInterest"
        if usd is None:
            usd = maybe_number(state.get("openInterestValue"), "openInterestValue")
            qty_key = "openInterest"
        if usd is None:
            return None
        if usd < 0:
            raise ParseError("bad_number", "open interest < 0")
        qty = maybe_number(state.get(qty_key), qty_key)
        return OpenInterest(
            VENUE, market, symbol, usd, ts_event, ts_recv, oi_qty=qty if qty is not None and qty >= 0 else None
        )

    def _market(self, symbol: str) -> str:
        market = self._market_memo.get(symbol)
        if market is None:
            inst = self._instruments.get(symbol)
            market = inst.market if inst else bybit_market(symbol)
            if len(self._market_memo) < MARKET_MEMO:  # bounded: made-up symbols cannot grow it
                self._market_memo[symbol] = market
        return market


def _check_fields(data: dict) -> None:
    for key in _POSITIVE_FIELDS:
        if key in data:
            maybe_positive(data[key], key)
    for key in ("fundingRate", "nextFundingTime"):
        if key in data:
            maybe_number(data[key], key)
    for key in _OI_FIELDS:
        if key in data and (maybe_number(data[key], key) or 0.0) < 0:
            raise ParseError("bad_number", f"{key} < 0")


# --- instruments and connections -----------------------------------------------------------


def parse_instruments(body: Any) -> list[Instrument]:
    """``GET /v5/market/instruments-info?category=linear`` → trading linear perpetuals.

    The endpoint pages with ``nextPageCursor``; the caller concatenates pages. Bad rows are skipped.
    """
    if isinstance(body, (str, bytes)):
        body = decode(body)
    result = obj(obj(body, "body").get("result"), "result")
    out: list[Instrument] = []
    for row in items(result.get("list"), "list"):
        if not isinstance(row, dict) or row.get("contractType") != "LinearPerpetual" or row.get("status") != "Trading":
            continue
        try:
            symbol = text(row, "symbol")
            base, quote = row.get("baseCoin"), row.get("quoteCoin")
            market = (
                f"{base}-{quote}-PERP".upper()
                if isinstance(base, str) and isinstance(quote, str) and base and quote
                else bybit_market(symbol)
            )
            price_f = row.get("priceFilter") if isinstance(row.get("priceFilter"), dict) else {}
            lot_f = row.get("lotSizeFilter") if isinstance(row.get("lotSizeFilter"), dict) else {}
            out.append(
                Instrument(
                    venue=VENUE,
                    symbol=symbol,
                    market=market,
                    tick_size=maybe_positive(price_f.get("tickSize")) or 0.01,
                    lot_size=maybe_positive(lot_f.get("qtyStep")) or 0.001,
                    min_qty=maybe_positive(lot_f.get("minOrderQty")) or 0.0,
                    min_notional=maybe_positive(lot_f.get("minNotionalValue")) or 0.0,
                )
            )
        except ParseError:
            continue
    return out


def _subscribe_frame(topics: list[str], n: int) -> str:
    return orjson.dumps({"req_id": f"sub{n}", "op": "subscribe", "args": topics}).decode()


def connections(instruments: Iterable[Instrument]) -> list[VenueConnection]:
    """Two topics per symbol (no wildcard exists), ≤10 per subscribe frame, ≤200 per connection."""
    symbols = sorted({i.symbol for i in instruments if i.venue == VENUE})
    topics = [t for s in symbols for t in (f"allLiquidation.{s}", f"tickers.{s}")]
    out = []
    for c, start in enumerate(range(0, len(topics), TOPICS_PER_CONNECTION), 1):
        conn_topics = topics[start : start + TOPICS_PER_CONNECTION]
        frames = tuple(
            _subscribe_frame(conn_topics[i : i + TOPICS_PER_FRAME], i // TOPICS_PER_FRAME + 1)
            for i in range(0, len(conn_topics), TOPICS_PER_FRAME)
        )
        out.append(
            VenueConnection(
                venue=VENUE,
                name=f"linear-{c}",
                url=WS_URL,
                subscribe=frames,
                ping_frame='{"op":"ping"}',
                ping_interval=20.0,
                stale_after=60.0,
            )
        )
    return out
