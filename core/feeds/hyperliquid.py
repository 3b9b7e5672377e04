"""Hyperliquid perpetuals: funding, mark and open interest only.

Hyperliquid publishes NO public liquidation stream: liquidations are visible only per account
(``userFills``/``userEvents`` of a given user), and public ``trades`` carry no liquidation flag.
So this module never produces `Liquidation` events; it feeds funding/OI for the heatmap.

Markets are named ``BTC-USDC-PERP``: Hyperliquid perpetuals are quoted and settled in USDC.
Funding is paid every hour, on the hour, so ``funding_interval_h = 1`` and the next funding time
is the next whole hour after the frame arrived (the feed sends no timestamp).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from core.events import Event, MarkPrice, OpenInterest
from core.feeds.base import ParseError, VenueConnection
from core.feeds.symbols import hyperliquid_market
from core.feeds.wire import decode, items, lookup, maybe_number, maybe_positive, obj, positive, text
from core.instruments import Instrument

VENUE = "hyperliquid"
INSTRUMENTS_URL = "https://api.hyperliquid.xyz/info"
INSTRUMENTS_BODY = {"type": "meta"}  # the info endpoint is a POST with this JSON body
WS_URL = "wss://api.hyperliquid.xyz/ws"
MIN_ORDER_USD = 10.0
_QUIET_CHANNELS = frozenset({"pong", "subscriptionResponse"})


class HyperliquidParser:
    venue = VENUE

    def __init__(self, instruments: Iterable[Instrument] | None = None) -> None:
        self._markets = {i.symbol: i.market for i in instruments or () if i.venue == VENUE}
        self._by_channel: dict[str, Callable[[Any, float], list[Event]]] = {
            "activeAssetCtx": self._asset_ctx,
        }

    def parse(self, raw: str | bytes, ts_recv: float) -> list[Event]:
        msg = obj(decode(raw), "frame")
        channel = msg.get("channel")
        if isinstance(channel, str) and channel in _QUIET_CHANNELS:
            return []
        if channel == "error":
            raise ParseError("venue_error", str(msg.get("data"))[:120])
        handler = lookup(self._by_channel, channel)
        if handler is None:
            raise ParseError("unknown_stream", str(channel)[:40])
        return handler(msg.get("data"), ts_recv)

    def _asset_ctx(self, data: Any, ts_recv: float) -> list[Event]:
        d = obj(data, "data")
        coin = text(d, "coin")
        ctx = obj(d.get("ctx"), "ctx")
        mark = positive(ctx, "markPx")
        market = self._markets.get(coin) or hyperliquid_market(coin)
        next_hour = math.floor(ts_recv / 3600.0 + 1.0) * 3600.0 if math.isfinite(ts_recv) else None
        events: list[Event] = [
            MarkPrice(
                VENUE,
                market,
                coin,
                mark,
                funding_rate=maybe_number(ctx.get("funding"), "funding"),
                next_funding_ts=next_hour,
                ts_event=ts_recv,
                ts_recv=ts_recv,
                index=maybe_positive(ctx.get("oraclePx"), "oraclePx"),
                funding_interval_h=1.0,
            )
        ]
        coins = maybe_number(ctx.get("openInterest"), "openInterest")
        if coins is not None and coins >= 0 and math.isfinite(coins * mark):
            events.append(OpenInterest(VENUE, market, coin, coins * mark, ts_recv, ts_recv, oi_qty=coins))
        return events


def parse_instruments(body: Any) -> list[Instrument]:
    """``POST /info {"type":"meta"}`` → listed perpetuals.

    Prices follow a significant-figures rule rather than a fixed tick; ``tick_size`` is the
    finest step allowed (``10^-(6 - szDecimals)``), not a guarantee every price is valid.
    """
    if isinstance(body, (str, bytes)):
        body = decode(body)
    if isinstance(body, list) and body:  # metaAndAssetCtxs answers [meta, ctxs]
        body = body[0]
    out = []
    for row in items(obj(body, "meta").get("universe"), "universe"):
        if not isinstance(row, dict) or row.get("isDelisted") is True:
            continue
        try:
            coin = text(row, "name")
            decimals = maybe_number(row.get("szDecimals"), "szDecimals")
            decimals = int(decimals) if decimals is not None and 0 <= decimals <= 12 else 0
            out.append(
                Instrument(
                    venue=VENUE,
                    symbol=coin,
                    market=hyperliquid_market(coin),
                    tick_size=10.0 ** -(6 - decimals),
                    lot_size=10.0**-decimals,
                    min_qty=10.0**-decimals,
                    min_notional=MIN_ORDER_USD,
                    max_leverage=maybe_positive(row.get("maxLeverage"), "maxLeverage") or 20.0,
                )
            )
        except ParseError:
            continue
    return out


def connections(instruments: Iterable[Instrument]) -> list[VenueConnection]:
    """One connection, one ``activeAssetCtx`` subscription per coin; ping as the official SDK does."""
    coins = sorted({i.symbol for i in instruments if i.venue == VENUE})
    if not coins:
        return []
    frames = tuple(
        orjson.dumps({"method": "subscribe", "subscription": {"type": "activeAssetCtx", "coin": c}}).decode()
        for c in coins
    )
    return [
        VenueConnection(
            venue=VENUE,
            name="asset-ctx",
            url=WS_URL,
            subscribe=frames,
            ping_frame='{"method":"ping"}',
            ping_interval=50.0,
            stale_after=120.0,
        )
    ]
