"""Deribit perpetuals: liquidations read from the public trade flag, plus mark/funding/OI.

Deribit has no liquidation channel; a public trade caused by a liquidation carries
``liquidation``: "T" (the taker was liquidated), "M" (the maker was), "MT" (both). ``direction``
is the TAKER's side, so a long was liquidated when ("T", sell) or ("M", buy). "MT" closed one long
and one short, each of the trade's size, and gives two events.

``amount`` is USD for inverse perpetuals (``BTC-PERPETUAL``) and base coin for linear USDC ones
(``ETH_USDC-PERPETUAL``); so is ``open_interest`` on the ticker. Every trade also yields a `Trade`.

The server's ``heartbeat``/``test_request`` must be answered or it closes the connection:
`auto_reply` gives the frame to send back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from core.events import LONG, SHORT, Event, Liquidation, MarkPrice, OpenInterest, Trade
from core.feeds.base import ParseError, VenueConnection
from core.feeds.symbols import deribit_is_linear, deribit_market
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

VENUE = "deribit"
INSTRUMENTS_URL = "https://www.deribit.com/api/v2/public/get_instruments?currency=any&kind=future&expired=false"
WS_URL = "wss://www.deribit.com/ws/api/v2"
HEARTBEAT_S = 30
CHANNELS_PER_FRAME = 50

# (liquidation flag, taker direction) → sides of the positions that were liquidated
_LIQUIDATED = {
    ("T", "sell"): (LONG,),
    ("T", "buy"): (SHORT,),
    ("M", "buy"): (LONG,),
    ("M", "sell"): (SHORT,),
    ("MT", "buy"): (LONG, SHORT),
    ("MT", "sell"): (LONG, SHORT),
}
_DIRECTIONS = {"buy": "buy", "sell": "sell"}
_TEST_REPLY = '{"jsonrpc":"2.0","id":9000,"method":"public/test","params":{}}'


class DeribitParser:
    venue = VENUE

    def __init__(self, instruments: Iterable[Instrument] | None = None) -> None:
        self._instruments = {i.symbol: i for i in instruments or () if i.venue == VENUE}
        self._by_channel: dict[str, Callable[[Any, float], list[Event]]] = {
            "trades": self._trades,
            "ticker": self._ticker,
        }

    def parse(self, raw: str | bytes, ts_recv: float) -> list[Event]:
        msg = obj(decode(raw), "frame")
        method = msg.get("method")
        if method == "subscription":
            params = obj(msg.get("params"), "params")
            channel = params.get("channel")
            if not isinstance(channel, str):
                raise ParseError("missing_field", "channel")
            handler = self._by_channel.get(channel.split(".", 1)[0])
            if handler is None:
                raise ParseError("unknown_stream", channel[:40])
            return handler(params.get("data"), ts_recv)
        if method == "heartbeat":
            return []  # answered by auto_reply
        if "error" in msg:
            raise ParseError("venue_error", str(msg["error"])[:120])
        if "result" in msg or "id" in msg:
            return []  # responses to our own requests (subscribe, set_heartbeat, test)
        raise ParseError("unknown_stream", str(method)[:40])

    # --- trades -------------------------------------------------------------------------------

    def _trades(self, data: Any, ts_recv: float) -> list[Event]:
        events: list[Event] = []
        for trade in items(data, "data"):
            events.extend(self._trade(obj(trade, "data[]"), ts_recv))
        return events

    def _trade(self, t: dict, ts_recv: float) -> list[Event]:
        name = text(t, "instrument_name")
        direction = t.get("direction")
        if lookup(_DIRECTIONS, direction) is None:
            raise ParseError("bad_side", str(direction)[:20])
        price, amount = positive(t, "price"), positive(t, "amount")
        if self._is_linear(name):
            qty, usd = amount, finite_product(amount, price, "usd")
        else:
            usd, qty = amount, finite_ratio(amount, price, "qty")
        ts_event = ms_to_s(t.get("timestamp"), "timestamp") or ts_recv
        market = self._market(name)
        events: list[Event] = [Trade(VENUE, market, name, price, qty, direction, ts_event, ts_recv)]
        flag = t.get("liquidation")
        if flag is not None:
            sides = _LIQUIDATED.get((flag, direction)) if isinstance(flag, str) else None
            if sides is None:
                raise ParseError("bad_side", f"liquidation {flag}"[:20])
            events.extend(Liquidation(VENUE, market, name, side, price, qty, usd, ts_event, ts_recv) for side in sides)
        return events

    # --- ticker -------------------------------------------------------------------------------

    def _ticker(self, data: Any, ts_recv: float) -> list[Event]:
        d = obj(data, "data")
        name = text(d, "instrument_name")
        mark = positive(d, "mark_price")
        ts_event = ms_to_s(d.get("timestamp"), "timestamp") or ts_recv
        market = self._market(name)
        # funding_8h is the rate over the last 8 h, which matches MarkPrice's per-interval rate;
        # current_funding is the instantaneous value and only the fallback.
        rate = maybe_number(d.get("funding_8h"), "funding_8h")
        if rate is None:
            rate = maybe_number(d.get("current_funding"), "current_funding")
        events: list[Event] = [
            MarkPrice(
                VENUE,
                market,
                name,
                mark,
                funding_rate=rate,
                next_funding_ts=None,
                ts_event=ts_event,
                ts_recv=ts_recv,
                index=maybe_positive(d.get("index_price"), "index_price"),
                funding_interval_h=8.0,
            )
        ]
        oi = maybe_number(d.get("open_interest"), "open_interest")
        if oi is not None and oi >= 0:
            if self._is_linear(name):
                qty, usd = oi, oi * mark
            else:
                usd, qty = oi, oi / mark
            if usd < float("inf"):
                events.append(OpenInterest(VENUE, market, name, usd, ts_event, ts_recv, oi_qty=qty))
        return events

    def _is_linear(self, name: str) -> bool:
        inst = self._instruments.get(name)
        return inst.contract_kind == "linear" if inst else deribit_is_linear(name)

    def _market(self, name: str) -> str:
        inst = self._instruments.get(name)
        return inst.market if inst else deribit_market(name)


def auto_reply(raw: str | bytes) -> str | None:
    """The ``public/test`` frame answering a heartbeat ``test_request``; None for every other frame."""
    # Cheap pre-check: this runs on every frame, and heartbeats are rare.
    if isinstance(raw, (bytes, bytearray)):
        if b"test_request" not in raw:
            return None
    elif not isinstance(raw, str) or "test_request" not in raw:
        return None
    try:
        msg = decode(raw)
    except ParseError:
        return None
    if (
        isinstance(msg, dict)
        and msg.get("method") == "heartbeat"
        and isinstance(msg.get("params"), dict)
        and msg["params"].get("type") == "test_request"
    ):
        return _TEST_REPLY
    return None


# --- instruments and connections -----------------------------------------------------------


def parse_instruments(body: Any) -> list[Instrument]:
    """``public/get_instruments`` (REST or JSON-RPC answer) → active perpetual futures."""
    if isinstance(body, (str, bytes)):
        body = decode(body)
    rows = body.get("result") if isinstance(body, dict) else body
    out = []
    for row in items(rows, "result"):
        if (
            not isinstance(row, dict)
            or row.get("kind") != "future"
            or row.get("settlement_period") != "perpetual"
            or row.get("is_active") is False
        ):
            continue
        try:
            name = text(row, "instrument_name")
            linear = row.get("instrument_type") == "linear" if "instrument_type" in row else deribit_is_linear(name)
            size = positive(row, "contract_size")
            min_amount = maybe_positive(row.get("min_trade_amount"), "min_trade_amount") or 0.0
            out.append(
                Instrument(
                    venue=VENUE,
                    symbol=name,
                    market=deribit_market(name),
                    contract_kind="linear" if linear else "inverse",
                    contract_value=size,
                    tick_size=maybe_positive(row.get("tick_size"), "tick_size") or 0.5,
                    # amounts trade in USD steps (inverse) or coin steps (linear); inverse lots are in
                    # contracts of `contract_size` USD
                    lot_size=size if linear else 1.0,
                    min_qty=min_amount if linear else min_amount / size,
                    max_leverage=maybe_positive(row.get("max_leverage"), "max_leverage") or 50.0,
                )
            )
        except ParseError:
            continue
    return out


def _rpc(method: str, params: dict, request_id: int) -> str:
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}).decode()


def connections(instruments: Iterable[Instrument]) -> list[VenueConnection]:
    """One connection: heartbeat first, then trade and ticker channels per perpetual.

    ``100ms`` channels because the ``raw`` interval needs an authorised connection.
    """
    names = sorted({i.symbol for i in instruments if i.venue == VENUE})
    if not names:
        return []
    channels = [c for n in names for c in (f"trades.{n}.100ms", f"ticker.{n}.100ms")]
    frames = [_rpc("public/set_heartbeat", {"interval": HEARTBEAT_S}, 1)]
    frames += [
        _rpc("public/subscribe", {"channels": channels[i : i + CHANNELS_PER_FRAME]}, 2 + i // CHANNELS_PER_FRAME)
        for i in range(0, len(channels), CHANNELS_PER_FRAME)
    ]
    return [
        VenueConnection(
            venue=VENUE,
            name="public",
            url=WS_URL,
            subscribe=tuple(frames),
            ping_frame=None,
            stale_after=2.5 * HEARTBEAT_S,
        )
    ]
