"""BitMEX: the ``liquidation`` table (engine orders resting in the book) and ``instrument`` table.

A liquidation order is counted ONCE, when it is ``insert``-ed, sized by its ``leavesQty`` at that
moment; ``update`` (shrinking as it fills) and ``delete`` (gone) add nothing. ``side`` is the ORDER
side: "Sell" means a long is being closed. There is no timestamp, so ``ts_event = ts_recv``.

The ``partial`` that follows every (re)subscribe lists orders that were already resting before
this connection; it is NOT emitted, because after a reconnect those orders were usually already
counted on their insert. Their orderIDs are remembered so a repeated insert is not counted.

``leavesQty`` is in contracts. XBTUSD is inverse with 1 contract = 1 USD, known without
metadata. Other symbols need the instrument's size, which the parser takes from the constructor
or learns from the ``instrument`` table's partial rows (same shape as ``/instrument/active``).
Quanto contracts (e.g. ETHUSD, valued in XBT per USD of price) have no fixed base size and are
not supported: their liquidations raise ``ParseError("unknown_instrument")``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from core.events import LONG, SHORT, Event, Liquidation, MarkPrice, OpenInterest
from core.feeds.base import ParseError, VenueConnection
from core.feeds.symbols import bitmex_asset_market
from core.feeds.wire import (
    decode,
    finite_product,
    finite_ratio,
    items,
    lookup,
    maybe_number,
    maybe_positive,
    obj,
    positive,
    text,
)
from core.instruments import Instrument

VENUE = "bitmex"
INSTRUMENTS_URL = "https://www.bitmex.com/api/v1/instrument/active"
WS_URL = "wss://ws.bitmex.com/realtime"
PERPETUAL_TYP = "FFWCSX"
SEEN_ORDER_IDS = 50_000

XBTUSD = Instrument(
    venue=VENUE,
    symbol="XBTUSD",
    market="BTC-USD-PERP",
    contract_kind="inverse",
    contract_value=1.0,
    tick_size=0.1,
    lot_size=100.0,
)

_ORDER_SIDE_TO_POSITION = {"Sell": LONG, "Buy": SHORT}
_USD_QUOTES = frozenset({"USD", "USDT", "USDC"})
_MARK_FIELDS = ("markPrice", "fundingRate", "fundingTimestamp", "fundingInterval")
_EPOCH_2000 = datetime(2000, 1, 1, tzinfo=UTC)


class BitmexParser:
    venue = VENUE

    def __init__(self, instruments: Iterable[Instrument] | None = None) -> None:
        self._instruments: dict[str, Instrument] = {XBTUSD.symbol: XBTUSD}
        self._instruments.update({i.symbol: i for i in instruments or () if i.venue == VENUE})
        self._seen: OrderedDict[str, None] = OrderedDict()  # bounded LRU of liquidation orderIDs
        self._rows: dict[str, dict] = {}  # merged instrument-table state per symbol
        self._by_table: dict[str, Callable[[str, list, float], list[Event]]] = {
            "liquidation": self._liquidation_table,
            "instrument": self._instrument_table,
        }

    def parse(self, raw: str | bytes, ts_recv: float) -> list[Event]:
        if raw == "pong" or raw == b"pong":
            return []
        msg = obj(decode(raw), "frame")
        if "table" not in msg:
            if "error" in msg:
                raise ParseError("venue_error", str(msg["error"])[:120])
            return []  # welcome banner ("info"), subscribe success, unsubscribe
        handler = lookup(self._by_table, msg["table"])
        if handler is None:
            raise ParseError("unknown_stream", str(msg["table"])[:40])
        action = msg.get("action")
        if not isinstance(action, str):
            raise ParseError("missing_field", "action")
        return handler(action, items(msg.get("data"), "data"), ts_recv)

    # --- liquidations ------------------------------------------------------------------------

    def _liquidation_table(self, action: str, rows: list, ts_recv: float) -> list[Event]:
        if action not in ("insert", "partial"):
            return []  # update/delete describe orders already counted
        events: list[Event] = []
        new_ids: list[str] = []
        for row in rows:
            row = obj(row, "data[]")
            order_id = text(row, "orderID")
            if order_id in self._seen or order_id in new_ids:
                continue
            new_ids.append(order_id)
            if action == "insert":
                events.append(self._liquidation(row, ts_recv))
        for order_id in new_ids:  # committed only once the whole frame parsed
            self._remember(order_id)
        return events

    def _liquidation(self, row: dict, ts_recv: float) -> Liquidation:
        symbol = text(row, "symbol")
        side = lookup(_ORDER_SIDE_TO_POSITION, row.get("side"))
        if side is None:
            raise ParseError("bad_side", str(row.get("side"))[:20])
        price, contracts = positive(row, "price"), positive(row, "leavesQty")
        inst = self._instruments.get(symbol)
        if inst is None:
            raise ParseError("unknown_instrument", symbol[:40])
        if inst.contract_kind == "inverse":  # contract_value is USD per contract
            usd = finite_product(contracts, inst.contract_value, "usd")
            qty = finite_ratio(usd, price, "qty")
        else:
            qty = finite_product(contracts, inst.contract_value, "qty")
            usd = finite_product(qty, price, "usd")
        return Liquidation(VENUE, inst.market, symbol, side, price, qty, usd, ts_recv, ts_recv)

    def _remember(self, order_id: str) -> None:
        self._seen[order_id] = None
        if len(self._seen) > SEEN_ORDER_IDS:
            self._seen.popitem(last=False)

    # --- instrument table ----------------------------------------------------------------------

    def _instrument_table(self, action: str, rows: list, ts_recv: float) -> list[Event]:
        if action == "delete":
            return []
        events: list[Event] = []
        updates: dict[str, dict] = {}
        for row in rows:
            row = obj(row, "data[]")
            symbol = text(row, "symbol")
            _check_fields(row)  # junk must not be merged into the state
            previous = updates.get(symbol) or ({} if action == "partial" else self._rows.get(symbol, {}))
            state = {**previous, **row}
            if "typ" in row:
                learned = instrument_from_row(state)
                if learned is not None:
                    self._instruments.setdefault(symbol, learned)
            inst = self._instruments.get(symbol)
            if inst is not None:  # indices, dated futures and quantos are ignored
                changed = {k for k in row if previous.get(k) != row[k]}
                events.extend(self._instrument_events(inst, state, changed, ts_recv))
            updates[symbol] = state
        self._rows.update(updates)
        return events

    def _instrument_events(self, inst: Instrument, state: dict, changed: set, ts_recv: float) -> list[Event]:
        mark = maybe_positive(state.get("markPrice"), "markPrice")
        if mark is None:
            return []
        ts_event = _iso_to_s(state.get("timestamp"), "timestamp") or ts_recv
        events: list[Event] = []
        if changed.intersection(_MARK_FIELDS):
            interval_ts = _iso_to_s(state.get("fundingInterval"), "fundingInterval")
            interval_h = (interval_ts - _EPOCH_2000.timestamp()) / 3600 if interval_ts else 0.0
            events.append(
                MarkPrice(
                    VENUE,
                    inst.market,
                    inst.symbol,
                    mark,
                    funding_rate=maybe_number(state.get("fundingRate"), "fundingRate"),
                    next_funding_ts=_iso_to_s(state.get("fundingTimestamp"), "fundingTimestamp"),
                    ts_event=ts_event,
                    ts_recv=ts_recv,
                    index=maybe_positive(state.get("indicativeSettlePrice"), "indicativeSettlePrice"),
                    funding_interval_h=interval_h if interval_h > 0 else 8.0,
                )
            )
        if "openInterest" in changed:
            contracts = maybe_number(state.get("openInterest"), "openInterest")
            if contracts is not None and contracts >= 0:
                if inst.contract_kind == "inverse":
                    usd = contracts * inst.contract_value
                    qty = usd / mark
                else:
                    qty = contracts * inst.contract_value
                    usd = qty * mark
                if math.isfinite(usd) and math.isfinite(qty):
                    events.append(OpenInterest(VENUE, inst.market, inst.symbol, usd, ts_event, ts_recv, oi_qty=qty))
        return events


_TIME_FIELDS = ("timestamp", "fundingTimestamp", "fundingInterval")


def _check_fields(row: dict) -> None:
    for key in ("markPrice", "indicativeSettlePrice"):
        if key in row:
            maybe_positive(row[key], key)
    for key in ("fundingRate", "openInterest"):
        if key in row:
            maybe_number(row[key], key)
    for key in _TIME_FIELDS:
        if key in row:
            _iso_to_s(row[key], key)


def _iso_to_s(value: Any, key: str) -> float | None:
    """BitMEX ISO-8601 times (``2024-11-25T04:00:00.000Z``) to unix seconds."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ParseError("bad_time", key)
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ParseError("bad_time", key) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    ts = dt.timestamp()
    return ts if ts > 0 else None


# --- instruments and connections -----------------------------------------------------------


def instrument_from_row(row: dict) -> Instrument | None:
    """One ``/instrument/active`` (or ``instrument`` table) row → Instrument, for perpetuals whose
    contract has a fixed size: inverse (USD per contract) or USD-quoted linear (base per contract)."""
    if row.get("typ") != PERPETUAL_TYP or row.get("isQuanto") is True:
        return None
    symbol, underlying, quote = row.get("symbol"), row.get("underlying"), row.get("quoteCurrency")
    if not all(isinstance(v, str) and v for v in (symbol, underlying, quote)):
        return None
    try:
        multiplier = maybe_number(row.get("multiplier"), "multiplier")
        if row.get("isInverse") is True:
            kind = "inverse"
            to_settle = maybe_number(row.get("underlyingToSettleMultiplier"), "underlyingToSettleMultiplier")
            value = abs(multiplier / to_settle) if multiplier and to_settle else None
        elif quote in _USD_QUOTES:
            kind = "linear"
            to_settle = maybe_number(row.get("quoteToSettleMultiplier"), "quoteToSettleMultiplier")
            to_position = maybe_number(row.get("underlyingToPositionMultiplier"), "underlyingToPositionMultiplier")
            value = (
                abs(multiplier / to_settle)
                if multiplier and to_settle
                else 1.0 / to_position
                if to_position and to_position > 0
                else None
            )
        else:
            return None
        if not value:
            return None
        lot = maybe_positive(row.get("lotSize"), "lotSize") or 1.0
        return Instrument(
            venue=VENUE,
            symbol=symbol,
            market=bitmex_asset_market(underlying, quote),
            contract_kind=kind,
            contract_value=value,
            tick_size=maybe_positive(row.get("tickSize"), "tickSize") or 0.5,
            lot_size=lot if kind == "inverse" else lot * value,
            min_qty=lot if kind == "inverse" else lot * value,
        )
    except ParseError:
        return None


def parse_instruments(body: Any) -> list[Instrument]:
    """``GET /api/v1/instrument/active`` → open perpetuals (typ FFWCSX), quantos excluded."""
    if isinstance(body, (str, bytes)):
        body = decode(body)
    out = []
    for row in items(body, "instruments"):
        if isinstance(row, dict) and row.get("state", "Open") == "Open":
            inst = instrument_from_row(row)
            if inst is not None:
                out.append(inst)
    return out


def connections(instruments: Iterable[Instrument] = ()) -> list[VenueConnection]:
    """One connection: both tables cover every symbol. BitMEX allows few new connections per hour."""
    return [
        VenueConnection(
            venue=VENUE,
            name="realtime",
            url=WS_URL,
            subscribe=('{"op":"subscribe","args":["liquidation","instrument"]}',),
            ping_frame="ping",
            ping_interval=5.0,
            stale_after=30.0,
        )
    ]
