"""Gate USDT-settled perpetual futures (API v4): public liquidations, mark price, funding, open interest.

``futures.public_liquidates`` with the ``!all`` payload covers every USDT contract. Since Gate's
change of 2026-08-20 a push holds ALL liquidation orders of one contract in an aggregation period
(1 s by default, earlier when 20 are buffered); before it, at most one per contract per second
was pushed. Each row: ``price`` (the liquidation ORDER's price), ``size`` (the order's size in
CONTRACTS, signed: negative is a sell, i.e. a LONG position was closed), ``time`` (ms since
2026-08-20, seconds before), ``contract``. Base quantity = |size| × the contract's
``quanto_multiplier`` from ``GET /futures/usdt/contracts``; a liquidation on a contract the parser
was not given raises ``ParseError("unknown_instrument")`` rather than being sized by a guess.

Sources: gate.com/docs/developers/futures/ws (changelog 2026-08-20; "Public liquidates order"
channel, push example with signed ``size``), gate REST v4 ``FuturesLiquidate``/``Contract`` models
(gateio/gateapi-python docs); peer normalisers read ``size < 0`` as a long liquidated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from core.events import LONG, SHORT, Event, Liquidation, MarkPrice, OpenInterest
from core.feeds.base import ParseError, RestPoll, VenueConnection
from core.feeds.symbols import gate_market
from core.feeds.wire import (
    decode,
    finite_product,
    items,
    lookup,
    maybe_number,
    maybe_positive,
    number,
    obj,
    positive,
    text,
)
from core.instruments import Instrument

VENUE = "gate"
REST_BASE = "https://api.gateio.ws/api/v4"
CONTRACTS_PATH = "/futures/usdt/contracts"
INSTRUMENTS_URL = f"{REST_BASE}{CONTRACTS_PATH}"
WS_URL = "wss://fx-ws.gateio.ws/v4/ws/usdt"
CONTRACTS_PER_CONNECTION = 200  # tickers are subscribed per contract; spread them out
CONTRACTS_PER_FRAME = 50
CONTRACTS_POLL_S = 3600.0  # funding intervals and multipliers change rarely
DEFAULT_FUNDING_INTERVAL_H = 8.0
_SECONDS_BEFORE_MS = 10**11  # a "time" below this is unix seconds (Gate's pre-2026-08-20 pushes)
_QUIET = dict.fromkeys(("subscribe", "unsubscribe"), True)


def _row_time(row: dict, ts_recv: float) -> float:
    for key in ("time_ms", "time"):
        t = maybe_number(row.get(key), key)
        if t is not None and t > 0:
            return t / 1000.0 if t >= _SECONDS_BEFORE_MS else t
    return ts_recv


class GateParser:
    """Keeps per contract the multiplier (to size liquidations and open interest) and the funding
    interval, from the instrument list and the hourly contracts poll."""

    venue = VENUE

    def __init__(self, instruments: Iterable[Instrument] | None = None) -> None:
        self._instruments = {i.symbol: i for i in instruments or () if i.venue == VENUE}
        self._funding_interval_h: dict[str, float] = {}
        self._by_channel: dict[str, Callable[[Any, float, float], list[Event]]] = {
            "futures.public_liquidates": self._liquidations,
            "futures.tickers": self._tickers,
        }

    def parse(self, raw: str | bytes, ts_recv: float) -> list[Event]:
        msg = obj(decode(raw), "frame")
        channel = msg.get("channel")
        if channel == "futures.pong":
            return []
        if msg.get("error"):
            err = msg["error"]
            detail = f"{err.get('code')} {err.get('message')}" if isinstance(err, dict) else str(err)
            raise ParseError("venue_error", detail[:120])
        event = msg.get("event")
        if lookup(_QUIET, event):
            return []
        handler = lookup(self._by_channel, channel)
        if handler is None or event != "update":
            raise ParseError("unknown_stream", f"{channel}/{event}"[:40])
        result = msg.get("result")
        rows = result if isinstance(result, list) else [result]  # tickers come as a list or one object
        frame_ts = _row_time(msg, ts_recv)
        return [ev for row in rows for ev in handler(obj(row, "result[]"), frame_ts, ts_recv)]

    def parse_rest(self, path: str, params: dict, body: Any, ts_recv: float) -> list[Event]:
        """The hourly ``GET /futures/usdt/contracts``: funding intervals (and any new multipliers)."""
        if not path.endswith(CONTRACTS_PATH):
            raise ParseError("unknown_rest", path[:80])
        if isinstance(body, (str, bytes)):
            body = decode(body)
        if isinstance(body, dict):
            raise ParseError("venue_error", str(body.get("message", body.get("label")))[:120])
        for row in items(body, "contracts"):
            if isinstance(row, dict) and isinstance(row.get("name"), str):
                hours = _funding_interval_h(row)
                if hours is not None:
                    self._funding_interval_h[row["name"]] = hours
        for inst in parse_instruments(body):
            self._instruments[inst.symbol] = inst
        return []

    # --- channels ------------------------------------------------------------------------------

    def _liquidations(self, row: dict, frame_ts: float, ts_recv: float) -> list[Event]:
        contract = text(row, "contract")
        size = number(row, "size")
        if size == 0:
            raise ParseError("bad_number", "size 0")
        inst = self._instruments.get(contract)
        if inst is None:
            raise ParseError("unknown_instrument", contract[:40])
        price = positive(row, "price")
        qty = finite_product(abs(size), inst.contract_value, "qty")
        usd = finite_product(qty, price, "usd")
        side = LONG if size < 0 else SHORT  # the liquidation order sells (size < 0) to close a long
        return [Liquidation(VENUE, inst.market, contract, side, price, qty, usd, _row_time(row, frame_ts), ts_recv)]

    def _tickers(self, row: dict, frame_ts: float, ts_recv: float) -> list[Event]:
        contract = text(row, "contract")
        mark = maybe_positive(row.get("mark_price"), "mark_price")
        if mark is None:
            return []
        market = self._market(contract)
        out: list[Event] = [
            MarkPrice(
                VENUE,
                market,
                contract,
                mark,
                funding_rate=maybe_number(row.get("funding_rate"), "funding_rate"),
                next_funding_ts=None,
                ts_event=frame_ts,
                ts_recv=ts_recv,
                index=maybe_positive(row.get("index_price"), "index_price"),
                funding_interval_h=self._funding_interval_h.get(contract, DEFAULT_FUNDING_INTERVAL_H),
            )
        ]
        contracts = maybe_number(row.get("total_size"), "total_size")  # open interest, in contracts
        inst = self._instruments.get(contract)
        if contracts is not None and inst is not None:
            if contracts < 0:
                raise ParseError("bad_number", "total_size < 0")
            oi_qty = contracts * inst.contract_value
            out.append(OpenInterest(VENUE, market, contract, oi_qty * mark, frame_ts, ts_recv, oi_qty=oi_qty))
        return out

    def _market(self, contract: str) -> str:
        inst = self._instruments.get(contract)
        return inst.market if inst else gate_market(contract)


# --- instruments, connections, polls ---------------------------------------------------------


def _funding_interval_h(row: dict) -> float | None:
    try:
        seconds = maybe_positive(row.get("funding_interval"), "funding_interval")
    except ParseError:
        return None
    return seconds / 3600.0 if seconds else None


def parse_instruments(body: Any) -> list[Instrument]:
    """``GET /futures/usdt/contracts`` → perpetual contracts not being delisted, with their multiplier."""
    if isinstance(body, (str, bytes)):
        body = decode(body)
    out: list[Instrument] = []
    for row in items(body, "contracts"):
        if not isinstance(row, dict) or row.get("in_delisting") is True or row.get("type", "direct") != "direct":
            continue
        try:
            name = text(row, "name")
            multiplier = positive(row, "quanto_multiplier")
            min_contracts = maybe_positive(row.get("order_size_min"), "order_size_min") or 1.0
            out.append(
                Instrument(
                    venue=VENUE,
                    symbol=name,
                    market=gate_market(name),
                    contract_kind="linear",
                    contract_value=multiplier,
                    tick_size=maybe_positive(row.get("order_price_round"), "order_price_round") or 0.01,
                    lot_size=multiplier,
                    min_qty=min_contracts * multiplier,
                    max_leverage=maybe_positive(row.get("leverage_max"), "leverage_max") or 100.0,
                )
            )
        except ParseError:
            continue
    return out


def _frame(channel: str, payload: list[str]) -> str:
    # "time" is refreshed by the runner at each send (VenueConnection.fresh_time)
    return orjson.dumps({"time": 0, "channel": channel, "event": "subscribe", "payload": payload}).decode()


def connections(instruments: Iterable[Instrument]) -> list[VenueConnection]:
    """Liquidations of every contract on one connection (``!all``); tickers per contract, spread
    over connections of ≤200 contracts. Gate's application ping is ``futures.ping``."""
    common = dict(
        venue=VENUE,
        url=WS_URL,
        ping_frame=orjson.dumps({"time": 0, "channel": "futures.ping"}).decode(),
        ping_interval=15.0,
        stale_after=60.0,
        fresh_time=True,
        # without it Gate sends sizes as integers, truncating fractional contracts
        headers=(("X-Gate-Size-Decimal", "1"),),
    )
    out = [VenueConnection(name="liquidations", subscribe=(_frame("futures.public_liquidates", ["!all"]),), **common)]
    contracts = sorted({i.symbol for i in instruments if i.venue == VENUE})
    for c, start in enumerate(range(0, len(contracts), CONTRACTS_PER_CONNECTION), 1):
        chunk = contracts[start : start + CONTRACTS_PER_CONNECTION]
        frames = tuple(
            _frame("futures.tickers", chunk[i : i + CONTRACTS_PER_FRAME])
            for i in range(0, len(chunk), CONTRACTS_PER_FRAME)
        )
        out.append(VenueConnection(name=f"tickers-{c}", subscribe=frames, **common))
    return out


def polls(instruments: Iterable[Instrument]) -> list[RestPoll]:
    """The contracts list again each hour, for funding intervals (``funding_interval``, seconds)."""
    return [RestPoll(VENUE, INSTRUMENTS_URL, {}, interval=CONTRACTS_POLL_S, weight=1, first_within=5.0)]
