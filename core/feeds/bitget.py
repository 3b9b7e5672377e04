"""Bitget USDT-M perpetual futures: public liquidations (UTA v3 websocket), mark, funding, open interest.

The ``liquidation`` topic (``{"instType":"usdt-futures","topic":"liquidation"}``, one subscription
for every pair) is a SNAPSHOT: once a second, per pair, only the largest long and the largest
short liquidation of the previous second ("at most 2 records … 1 for long, 1 for short"); it
covers Unified and Classic accounts. So counts and volume are lower bounds.

``side`` is the POSITION side (tardis-node: "Bitget side is position side"): ``buy`` = a long was
liquidated. ``amount`` is the QUOTE (USDT) notional: in real frames (tardis-node's 2026-04-28
capture) amount / price is a whole order size — APEUSDT 13.70319 / 0.1649 = 83.1 APE, IPUSDT
143.330431857868 / 0.500280739469 = 286.5 IP. Base qty = amount / price.

Sources: bitget.com/api-doc/uta/websocket/public/Liquidation-Channel; tardis-node
``src/mappers/bitget.ts`` (BitgetV3LiquidationsMapper); ``GET /api/v2/mix/market/contracts``
(``fundInterval`` hours, ``sizeMultiplier``, ``pricePlace``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from core.events import LONG, SHORT, Event, Liquidation, MarkPrice, OpenInterest
from core.feeds.base import ParseError, RestPoll, VenueConnection
from core.feeds.symbols import bitget_market
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
    subscribe_frames,
    text,
)
from core.instruments import Instrument

VENUE = "bitget"
REST_BASE = "https://api.bitget.com"
CONTRACTS_PATH = "/api/v2/mix/market/contracts"
INSTRUMENTS_URL = f"{REST_BASE}{CONTRACTS_PATH}?productType=USDT-FUTURES"
CONTRACTS_POLL_S = 3600.0
WS_URL = "wss://ws.bitget.com/v3/ws/public"
INST_TYPE = "usdt-futures"
ARGS_PER_FRAME = 50
SYMBOLS_PER_CONNECTION = 200
DEFAULT_FUNDING_INTERVAL_H = 8.0

_POSITION_SIDE = {"buy": LONG, "sell": SHORT}
_QUIET = dict.fromkeys(("subscribe", "unsubscribe", "login"), True)


class BitgetParser:
    venue = VENUE

    def __init__(self, instruments: Iterable[Instrument] | None = None) -> None:
        self._markets = {i.symbol: i.market for i in instruments or () if i.venue == VENUE}
        self._funding_interval_h: dict[str, float] = {}  # from the hourly contracts poll (fundInterval)
        self._by_topic: dict[str, Callable[[dict, float, float], list[Event]]] = {
            "liquidation": self._liquidation,
            "ticker": self._ticker,
        }

    def parse(self, raw: str | bytes, ts_recv: float) -> list[Event]:
        if raw == "pong" or raw == b"pong":  # reply to our text "ping"
            return []
        msg = obj(decode(raw), "frame")
        event = msg.get("event")
        if event is not None:
            if event == "error":
                raise ParseError("venue_error", f"{msg.get('code')} {msg.get('msg')}"[:120])
            if lookup(_QUIET, event):
                return []
            raise ParseError("unknown_stream", f"event {event}"[:40])
        arg = obj(msg.get("arg"), "arg")
        handler = lookup(self._by_topic, arg.get("topic"))
        if handler is None:
            raise ParseError("unknown_stream", str(arg.get("topic"))[:40])
        frame_ts = ms_to_s(msg.get("ts"), "ts") or ts_recv
        symbol = arg.get("symbol")
        return [
            ev
            for row in items(msg.get("data"), "data")
            for ev in handler(_with_symbol(obj(row, "data[]"), symbol), frame_ts, ts_recv)
        ]

    def parse_rest(self, path: str, params: dict, body: Any, ts_recv: float) -> list[Event]:
        """The hourly contracts list: each symbol's funding interval (``fundInterval``, hours)."""
        if not path.endswith(CONTRACTS_PATH):
            raise ParseError("unknown_rest", path[:80])
        if isinstance(body, (str, bytes)):
            body = decode(body)
        d = obj(body, "body")
        if d.get("code") not in (None, "00000"):
            raise ParseError("venue_error", f"{d.get('code')} {d.get('msg')}"[:120])
        for row in items(d.get("data"), "data"):
            if isinstance(row, dict) and isinstance(row.get("symbol"), str):
                try:
                    hours = maybe_positive(row.get("fundInterval"), "fundInterval")
                except ParseError:
                    continue
                if hours is not None:
                    self._funding_interval_h[row["symbol"]] = hours
        return []

    def _liquidation(self, row: dict, frame_ts: float, ts_recv: float) -> list[Event]:
        symbol = text(row, "symbol")
        side = lookup(_POSITION_SIDE, row.get("side"))
        if side is None:
            raise ParseError("bad_side", str(row.get("side"))[:20])
        price, usd = positive(row, "price"), positive(row, "amount")
        qty = finite_ratio(usd, price, "qty")
        ts_event = ms_to_s(row.get("ts"), "ts") or frame_ts
        return [Liquidation(VENUE, self._market(symbol), symbol, side, price, qty, usd, ts_event, ts_recv)]

    def _ticker(self, row: dict, frame_ts: float, ts_recv: float) -> list[Event]:
        symbol = text(row, "symbol")
        mark = maybe_positive(row.get("markPrice"), "markPrice")
        if mark is None:
            return []
        market = self._market(symbol)
        out: list[Event] = [
            MarkPrice(
                VENUE,
                market,
                symbol,
                mark,
                funding_rate=maybe_number(row.get("fundingRate"), "fundingRate"),
                next_funding_ts=ms_to_s(row.get("nextFundingTime"), "nextFundingTime"),
                ts_event=frame_ts,
                ts_recv=ts_recv,
                index=maybe_positive(row.get("indexPrice"), "indexPrice"),
                funding_interval_h=self._funding_interval_h.get(symbol, DEFAULT_FUNDING_INTERVAL_H),
            )
        ]
        oi = maybe_number(row.get("openInterest"), "openInterest")  # base coin
        if oi is not None:
            if oi < 0:
                raise ParseError("bad_number", "openInterest < 0")
            out.append(
                OpenInterest(VENUE, market, symbol, finite_product(oi, mark, "oi_usd"), frame_ts, ts_recv, oi_qty=oi)
            )
        return out

    def _market(self, symbol: str) -> str:
        return self._markets.get(symbol) or bitget_market(symbol)


def _with_symbol(row: dict, symbol: Any) -> dict:
    # ticker rows carry no symbol of their own: it is in the frame's arg
    if "symbol" not in row and isinstance(symbol, str):
        return {**row, "symbol": symbol}
    return row


# --- instruments and connections -----------------------------------------------------------


def parse_instruments(body: Any) -> list[Instrument]:
    """``GET /api/v2/mix/market/contracts?productType=USDT-FUTURES`` → perpetuals trading normally."""
    if isinstance(body, (str, bytes)):
        body = decode(body)
    out: list[Instrument] = []
    for row in items(obj(body, "body").get("data"), "data"):
        if (
            not isinstance(row, dict)
            or row.get("symbolStatus", "normal") != "normal"
            or row.get("symbolType", "perpetual") != "perpetual"
        ):
            continue
        try:
            symbol = text(row, "symbol")
            base, quote = row.get("baseCoin"), row.get("quoteCoin")
            market = (
                f"{base}-{quote}-PERP".upper()
                if isinstance(base, str) and isinstance(quote, str) and base and quote
                else bitget_market(symbol)
            )
            place = maybe_number(row.get("pricePlace"), "pricePlace")
            out.append(
                Instrument(
                    venue=VENUE,
                    symbol=symbol,
                    market=market,
                    tick_size=10.0**-place if place is not None and 0 <= place <= 12 else 0.01,
                    lot_size=maybe_positive(row.get("sizeMultiplier"), "sizeMultiplier") or 0.001,
                    min_qty=maybe_positive(row.get("minTradeNum"), "minTradeNum") or 0.0,
                    min_notional=maybe_positive(row.get("minTradeUSDT"), "minTradeUSDT") or 0.0,
                    max_leverage=maybe_positive(row.get("maxLever"), "maxLever") or 100.0,
                )
            )
        except ParseError:
            continue
    return out


def connections(instruments: Iterable[Instrument]) -> list[VenueConnection]:
    """Liquidations of every USDT-M pair on one connection; tickers per symbol on others. Bitget
    expects the text "ping" at least every 30 s and answers "pong"."""
    common = dict(venue=VENUE, url=WS_URL, ping_frame="ping", ping_interval=25.0, stale_after=60.0)
    out = [
        VenueConnection(
            name="liquidations",
            subscribe=subscribe_frames([{"instType": INST_TYPE, "topic": "liquidation"}], ARGS_PER_FRAME),
            **common,
        )
    ]
    symbols = sorted({i.symbol for i in instruments if i.venue == VENUE})
    for c, start in enumerate(range(0, len(symbols), SYMBOLS_PER_CONNECTION), 1):
        args = [
            {"instType": INST_TYPE, "topic": "ticker", "symbol": s}
            for s in symbols[start : start + SYMBOLS_PER_CONNECTION]
        ]
        out.append(VenueConnection(name=f"tickers-{c}", subscribe=subscribe_frames(args, ARGS_PER_FRAME), **common))
    return out


def polls(instruments: Iterable[Instrument]) -> list[RestPoll]:
    """The contracts list again each hour, for funding intervals (some pairs pay every 4 h or 1 h)."""
    return [
        RestPoll(
            VENUE,
            f"{REST_BASE}{CONTRACTS_PATH}",
            {"productType": "USDT-FUTURES"},
            interval=CONTRACTS_POLL_S,
            weight=1,
            first_within=5.0,
        )
    ]
