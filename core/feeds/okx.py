"""OKX v5 perpetual swaps: liquidation orders, funding, mark price, open interest.

``liquidation-orders`` (one subscription for every swap) is a sample: OKX says it "doesn't
represent the total number of liquidations". ``side`` is the ORDER side (sell ⇒ a long was
closed); ``posSide`` names the position directly in hedge mode and is "net" otherwise.

``sz`` is in CONTRACTS, so a liquidation needs the instrument's contract value: linear swaps
(USDT/USDC) have ``ctVal`` in base coin, inverse swaps (``-USD-SWAP``) in USD. The parser is
built with the instrument list; a liquidation on an instrument it does not know raises
``ParseError("unknown_instrument")`` — counted by the runner, never sized by a guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from core.events import LONG, SHORT, Event, Liquidation, MarkPrice, OpenInterest
from core.feeds.base import ParseError, VenueConnection
from core.feeds.symbols import okx_market
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

VENUE = "okx"
INSTRUMENTS_URL = "https://www.okx.com/api/v5/public/instruments?instType=SWAP"
WS_URL = "wss://ws.okx.com:8443/ws/v5/public"

_ORDER_SIDE_TO_POSITION = {"sell": LONG, "buy": SHORT}
_POS_SIDE = {"long": LONG, "short": SHORT}
_QUIET_EVENTS = dict.fromkeys(("subscribe", "unsubscribe", "channel-conn-count", "notice", "login"), True)
ARGS_PER_FRAME = 30
INSTRUMENTS_PER_CONNECTION = 100  # 3 channels each; far below the 480 subscribes/hour limit
CONNECTS_PER_S = 3.0  # OKX: 3 connection requests per second per IP
# A liquidation row stamped this much before our subscription was acknowledged is a replay of an
# earlier one (OKX's first push after a (re)subscribe can carry them), not a new liquidation.
# The slack covers clock offset between OKX and us; replays are typically minutes old.
REPLAY_SLACK_S = 1.0


class OkxParser:
    """Remembers per instrument the latest mark and funding, because OKX sends them on separate
    channels while a `MarkPrice` event carries both."""

    venue = VENUE

    def __init__(self, instruments: Iterable[Instrument] | None = None) -> None:
        self._instruments = {i.symbol: i for i in instruments or () if i.venue == VENUE}
        self._marks: dict[str, float] = {}
        self._funding: dict[str, tuple[float | None, float | None, float]] = {}
        self._liquidations_since: float | None = None  # receive time of the latest liquidation-orders ack
        self._row_drops: dict[str, int] = {}
        self._by_channel: dict[str, Callable[[dict, float], list[Event]]] = {
            "liquidation-orders": self._liquidations,
            "funding-rate": self._funding_rate,
            "mark-price": self._mark_price,
            "open-interest": self._open_interest,
        }

    def parse(self, raw: str | bytes, ts_recv: float) -> list[Event]:
        if raw == "pong" or raw == b"pong":  # reply to our text "ping"; not JSON
            return []
        msg = obj(decode(raw), "frame")
        event = msg.get("event")
        if event is not None:
            # Errors (bad channel, rate limit) are counted so a broken subscription is visible.
            if event == "error":
                raise ParseError("venue_error", f"{msg.get('code')} {msg.get('msg')}"[:120])
            if lookup(_QUIET_EVENTS, event):
                if (
                    event == "subscribe"
                    and isinstance(msg.get("arg"), dict)
                    and msg["arg"].get("channel") == "liquidation-orders"
                ):
                    self._liquidations_since = ts_recv  # what came before this is not news
                return []
            raise ParseError("unknown_stream", f"event {event}"[:40])
        channel = obj(msg.get("arg"), "arg").get("channel")
        handler = lookup(self._by_channel, channel)
        if handler is None:
            raise ParseError("unknown_stream", str(channel)[:40])
        events = [ev for row in items(msg.get("data"), "data") for ev in handler(obj(row, "data[]"), ts_recv)]
        if channel == "liquidation-orders" and self._liquidations_since is not None:
            cutoff = self._liquidations_since - REPLAY_SLACK_S
            fresh = [ev for ev in events if ev.ts_event >= cutoff]
            if events and not fresh:
                # counted by the runner as dropped("replayed"); never fed to the windows
                raise ParseError("replayed", f"{len(events)} liquidation(s) from before the subscription")
            if len(fresh) < len(events):
                self._row_drops["replayed"] = self._row_drops.get("replayed", 0) + len(events) - len(fresh)
            return fresh
        return events

    def take_row_drops(self) -> dict[str, int]:
        """Rows removed from the last frames that otherwise parsed (replays mixed with new rows)."""
        out, self._row_drops = self._row_drops, {}
        return out

    # --- liquidations ------------------------------------------------------------------------

    def _liquidations(self, row: dict, ts_recv: float) -> list[Event]:
        if row.get("instType", "SWAP") != "SWAP":
            return []  # MARGIN/FUTURES are not subscribed; their sz units differ
        inst_id = text(row, "instId")
        details = items(row.get("details"), "details")
        if not details:
            return []
        inst = self._instruments.get(inst_id)
        if inst is None:
            raise ParseError("unknown_instrument", inst_id[:40])
        return [self._liquidation(obj(d, "details[]"), inst, ts_recv) for d in details]

    def _liquidation(self, d: dict, inst: Instrument, ts_recv: float) -> Liquidation:
        side = lookup(_POS_SIDE, d.get("posSide")) or lookup(_ORDER_SIDE_TO_POSITION, d.get("side"))
        if side is None:
            raise ParseError("bad_side", f"{d.get('side')}/{d.get('posSide')}"[:20])
        contracts, price = positive(d, "sz"), positive(d, "bkPx")
        if inst.contract_kind == "inverse":  # ctVal is USD per contract
            usd = finite_product(contracts, inst.contract_value, "usd")
            qty = finite_ratio(usd, price, "qty")
        else:  # ctVal is base coin per contract
            qty = finite_product(contracts, inst.contract_value, "qty")
            usd = finite_product(qty, price, "usd")
        ts_event = ms_to_s(d.get("ts"), "ts") or ts_recv
        return Liquidation(VENUE, inst.market, inst.symbol, side, price, qty, usd, ts_event, ts_recv)

    # --- funding, mark, open interest ---------------------------------------------------------

    def _funding_rate(self, row: dict, ts_recv: float) -> list[Event]:
        inst_id = text(row, "instId")
        rate = maybe_number(row.get("fundingRate"), "fundingRate")
        # `fundingTime` is when the current rate settles; `nextFundingTime` the settlement after.
        settles = ms_to_s(row.get("fundingTime"), "fundingTime")
        following = ms_to_s(row.get("nextFundingTime"), "nextFundingTime")
        interval_h = 8.0
        if settles is not None and following is not None and following > settles:
            interval_h = (following - settles) / 3600.0
        self._funding[inst_id] = (rate, settles or following, interval_h)
        mark = self._marks.get(inst_id)
        if mark is None:
            return []  # nothing to price yet; the next mark-price frame carries this funding
        return [self._mark_event(inst_id, mark, ms_to_s(row.get("ts"), "ts") or ts_recv, ts_recv)]

    def _mark_price(self, row: dict, ts_recv: float) -> list[Event]:
        inst_id = text(row, "instId")
        mark = positive(row, "markPx")
        self._marks[inst_id] = mark
        return [self._mark_event(inst_id, mark, ms_to_s(row.get("ts"), "ts") or ts_recv, ts_recv)]

    def _mark_event(self, inst_id: str, mark: float, ts_event: float, ts_recv: float) -> MarkPrice:
        rate, next_ts, interval_h = self._funding.get(inst_id, (None, None, 8.0))
        return MarkPrice(
            VENUE,
            self._market(inst_id),
            inst_id,
            mark,
            funding_rate=rate,
            next_funding_ts=next_ts,
            ts_event=ts_event,
            ts_recv=ts_recv,
            funding_interval_h=interval_h,
        )

    def _open_interest(self, row: dict, ts_recv: float) -> list[Event]:
        inst_id = text(row, "instId")
        coins = maybe_number(row.get("oiCcy"), "oiCcy")
        usd = maybe_number(row.get("oiUsd"), "oiUsd")
        mark = self._marks.get(inst_id)
        if usd is None and coins is not None and mark is not None:
            usd = coins * mark
        if usd is None:
            return []
        if usd < 0 or (coins is not None and coins < 0) or not math.isfinite(usd):
            raise ParseError("bad_number", "open interest")
        ts_event = ms_to_s(row.get("ts"), "ts") or ts_recv
        return [OpenInterest(VENUE, self._market(inst_id), inst_id, usd, ts_event, ts_recv, oi_qty=coins)]

    def _market(self, inst_id: str) -> str:
        inst = self._instruments.get(inst_id)
        return inst.market if inst else okx_market(inst_id)


# --- instruments and connections -----------------------------------------------------------


def parse_instruments(body: Any) -> list[Instrument]:
    """``GET /api/v5/public/instruments?instType=SWAP`` → live swaps with their contract value."""
    if isinstance(body, (str, bytes)):
        body = decode(body)
    out: list[Instrument] = []
    for row in items(obj(body, "body").get("data"), "data"):
        if not isinstance(row, dict) or row.get("instType") != "SWAP" or row.get("state", "live") != "live":
            continue
        try:
            inst_id = text(row, "instId")
            kind = row.get("ctType")
            if kind not in ("linear", "inverse"):
                continue
            ct_val = positive(row, "ctVal") * (maybe_positive(row.get("ctMult"), "ctMult") or 1.0)
            lot = maybe_positive(row.get("lotSz"), "lotSz") or 1.0
            min_sz = maybe_positive(row.get("minSz"), "minSz") or 0.0
            # Instrument.lot_size is base units for linear contracts, contracts for inverse.
            scale = ct_val if kind == "linear" else 1.0
            out.append(
                Instrument(
                    venue=VENUE,
                    symbol=inst_id,
                    market=okx_market(inst_id),
                    contract_kind=kind,
                    contract_value=ct_val,
                    tick_size=maybe_positive(row.get("tickSz"), "tickSz") or 0.01,
                    lot_size=lot * scale,
                    min_qty=min_sz * scale,
                    max_leverage=maybe_positive(row.get("lever"), "lever") or 100.0,
                )
            )
        except ParseError:
            continue
    return out


def connections(instruments: Iterable[Instrument]) -> list[VenueConnection]:
    """Liquidations on their own connection (one arg covers every swap); per-instrument
    funding/mark/OI channels spread over connections of ≤100 instruments."""
    common = dict(venue=VENUE, url=WS_URL, ping_frame="ping", ping_interval=20.0, stale_after=60.0)
    out = [
        VenueConnection(
            name="liquidations",
            subscribe=subscribe_frames([{"channel": "liquidation-orders", "instType": "SWAP"}], ARGS_PER_FRAME),
            **common,
        )
    ]
    inst_ids = sorted({i.symbol for i in instruments if i.venue == VENUE})
    for c, start in enumerate(range(0, len(inst_ids), INSTRUMENTS_PER_CONNECTION), 1):
        args = [
            {"channel": ch, "instId": inst_id}
            for inst_id in inst_ids[start : start + INSTRUMENTS_PER_CONNECTION]
            for ch in ("mark-price", "funding-rate", "open-interest")
        ]
        out.append(VenueConnection(name=f"markets-{c}", subscribe=subscribe_frames(args, ARGS_PER_FRAME), **common))
    return out
