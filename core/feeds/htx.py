"""HTX (Huobi) USDT-margined perpetual swaps: public liquidation orders.

One wildcard subscription, ``public.*.liquidation_orders`` on the linear-swap notification
endpoint, covers every USDT swap. Frames arrive GZIP-compressed (binary); the runner inflates
them (``VenueConnection.gzip``) and records the text. The server pings with
``{"op":"ping","ts":…}`` and closes connections that do not answer ``{"op":"pong","ts":…}``.

Each row: ``direction`` is the liquidation ORDER's direction (``sell`` ⇒ a long was closed),
``offset`` ``close``; ``volume`` in contracts, ``amount`` in base coin, ``trade_turnover`` in
USDT, ``price`` the order price, ``created_at`` ms. So no contract multiplier is needed: a real
BTC-USDT row reads volume 227, amount 0.227, turnover 5300.56 at price 23350.5.

Funding and mark price are not taken from HTX (liquidations only).

Sources: HTX USDT-M docs "[General] Subscribe Liquidation Orders (no authentication) (sub)"
(mirror rosssaunders/coincise ``docs/htx/…/get_general_subscribe_liquidation_orders_no_authentication_sub.md``);
tardis-node ``src/mappers/huobi.ts`` (HuobiLiquidationsMapper) and its captured frame in
``test/mappers.test.ts`` (2020-12-17, BTC-USDT).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from core.events import LONG, SHORT, Event, Liquidation
from core.feeds.base import ParseError, VenueConnection
from core.feeds.symbols import htx_market
from core.feeds.wire import decode, finite_product, items, lookup, maybe_positive, ms_to_s, obj, positive, text
from core.instruments import Instrument

VENUE = "htx"
INSTRUMENTS_URL = "https://api.hbdm.com/linear-swap-api/v1/swap_contract_info"
WS_URL = "wss://api.hbdm.com/linear-swap-notification"
TOPIC = "public.*.liquidation_orders"

_ORDER_DIRECTION_TO_POSITION = {"sell": LONG, "buy": SHORT}
_QUIET_OPS = dict.fromkeys(("sub", "unsub", "pong"), True)


class HtxParser:
    venue = VENUE

    def __init__(self, instruments: Iterable[Instrument] | None = None) -> None:
        self._markets = {i.symbol: i.market for i in instruments or () if i.venue == VENUE}

    def parse(self, raw: str | bytes, ts_recv: float) -> list[Event]:
        msg = obj(decode(raw), "frame")
        op = msg.get("op")
        if op == "ping":
            return []  # answered by auto_reply
        if op != "notify":
            code = msg.get("err-code")
            if code not in (None, 0):
                raise ParseError("venue_error", f"{code} {msg.get('err-msg')}"[:120])
            if lookup(_QUIET_OPS, op) or op == "close":
                return []
            raise ParseError("unknown_stream", f"op {op}"[:40])
        topic = text(msg, "topic")
        if not topic.endswith(".liquidation_orders"):
            raise ParseError("unknown_stream", topic[:40])
        frame_ts = ms_to_s(msg.get("ts"), "ts") or ts_recv
        return [self._liquidation(obj(row, "data[]"), frame_ts, ts_recv) for row in items(msg.get("data"), "data")]

    def _liquidation(self, row: dict, frame_ts: float, ts_recv: float) -> Liquidation:
        code = text(row, "contract_code")
        side = lookup(_ORDER_DIRECTION_TO_POSITION, row.get("direction"))
        if side is None:
            raise ParseError("bad_side", str(row.get("direction"))[:20])
        price, qty = positive(row, "price"), positive(row, "amount")
        usd = maybe_positive(row.get("trade_turnover"), "trade_turnover") or finite_product(qty, price, "usd")
        ts_event = ms_to_s(row.get("created_at"), "created_at") or frame_ts
        return Liquidation(
            VENUE, self._markets.get(code) or htx_market(code), code, side, price, qty, usd, ts_event, ts_recv
        )


def auto_reply(raw: str | bytes) -> str | None:
    """``{"op":"pong","ts":…}`` for the server's ``{"op":"ping","ts":…}``; None otherwise."""
    if isinstance(raw, (bytes, bytearray)):
        if b'"ping"' not in raw:
            return None
    elif not isinstance(raw, str) or '"ping"' not in raw:
        return None
    try:
        msg = decode(raw)
    except ParseError:
        return None
    if isinstance(msg, dict) and msg.get("op") == "ping":
        return orjson.dumps({"op": "pong", "ts": msg.get("ts")}).decode()
    return None


# --- instruments and connections -----------------------------------------------------------


def parse_instruments(body: Any) -> list[Instrument]:
    """``GET /linear-swap-api/v1/swap_contract_info`` → listed USDT perpetual swaps."""
    if isinstance(body, (str, bytes)):
        body = decode(body)
    out: list[Instrument] = []
    for row in items(obj(body, "body").get("data"), "data"):
        if (
            not isinstance(row, dict)
            or row.get("business_type", "swap") != "swap"
            or row.get("contract_status", 1) != 1
        ):
            continue
        try:
            code = text(row, "contract_code")
            size = positive(row, "contract_size")  # base coin per contract
            out.append(
                Instrument(
                    venue=VENUE,
                    symbol=code,
                    market=htx_market(code),
                    contract_value=size,
                    tick_size=maybe_positive(row.get("price_tick"), "price_tick") or 0.01,
                    lot_size=size,
                    min_qty=size,
                )
            )
        except ParseError:
            continue
    return out


def connections(instruments: Iterable[Instrument] = ()) -> list[VenueConnection]:
    """One wildcard subscription; the server pings every few seconds, so silence means trouble."""
    sub = orjson.dumps({"op": "sub", "cid": "liquidations", "topic": TOPIC}).decode()
    return [
        VenueConnection(
            venue=VENUE, name="liquidations", url=WS_URL, subscribe=(sub,), ping_frame=None, stale_after=60.0, gzip=True
        )
    ]
