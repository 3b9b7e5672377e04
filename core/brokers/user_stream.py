"""The venues' private (user-data) websockets: exchange-side exit fills as they happen.

`UserStream` keeps one private connection alive: open (Binance: obtain a listenKey; Bybit: sign
an auth frame), subscribe, answer heartbeats, reconnect with backoff. A venue `StreamSession`
turns frames into `StreamFill`s — one per order that reached its final filled state — and the
broker matches them against the stop/take-profit it placed (`LiveBroker.on_stream_fill`). The
REST watcher stays the fallback and the periodic check; the broker dedupes by exchange order id.

Binance USDⓈ-M: POST /fapi/v1/listenKey (API key header, unsigned) → since the 2026 route split
wss://fstream.binance.com/private/ws?listenKey=<key>&events=ORDER_TRADE_UPDATE/ACCOUNT_UPDATE/ALGO_UPDATE
(the key as a query parameter; the old path form /private/ws/<key> connects and then stays silent);
PUT keeps the key alive (every 30 min here; -1125 = gone → reconnect with a new key); events
ORDER_TRADE_UPDATE, ALGO_UPDATE (a triggered algo order names the matching-engine order it became:
caid → ai), ACCOUNT_UPDATE, listenKeyExpired.

A stream can also be connected and silent. Every order change the broker learns over REST is
checked against what the stream delivered (`saw_order`); one the stream missed marks it silent:
counted, alerted, reconnected, and until a new session the REST watcher polls at its fast rate.
Bybit v5: wss://stream.bybit.com/v5/private; {"op":"auth","args":[key, expires, hex HMAC(secret,
"GET/realtime"+expires)]}, subscribe order+execution+position, {"op":"ping"} every 20 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import orjson
from websockets.asyncio.client import ClientConnection, connect

from core.brokers.signing import hmac_sha256_hex

log = logging.getLogger("liqhunt.broker.stream")
# the websockets library logs every frame at DEBUG (our auth frame carries the API key, the URL the
# listenKey): its logger for these connections stays at INFO whatever the root level is
_wire_log = logging.getLogger("liqhunt.broker.stream.wire")
_wire_log.setLevel(logging.INFO)


@dataclass(frozen=True)
class StreamFill:
    """One order completely filled, as the private stream reported it."""

    symbol: str
    exchange_id: str  # matching-engine order id: the dedupe key shared with the REST path
    client_id: str  # clientOrderId / orderLinkId of that order
    side: str  # "buy" | "sell"
    qty: float  # cumulative filled
    avg_price: float
    fee: float | None
    reduce_only: bool = False
    kind_hint: str = ""  # "stop" | "take_profit" | "" from the venue's own order type
    algo_client_id: str = ""  # Binance: the clientAlgoId of the conditional order that became it


@dataclass(frozen=True)
class ExitOrderGone:
    """A conditional order left the venue's book without filling (rejected at trigger, expired)."""

    client_id: str
    status: str


@dataclass(frozen=True)
class PositionUpdate:
    """The venue's own account of a position (one-way mode): signed size, 0 = flat."""

    symbol: str
    qty: float


class StreamAuthError(Exception):
    """The venue refused our credentials on the private stream."""


class StreamEnded(Exception):
    """The venue ended the session (listenKeyExpired): reconnect at once with a fresh session."""


class StreamSession(Protocol):
    name: str

    async def open_url(self) -> str: ...
    async def on_open(self, ws: ClientConnection) -> None: ...
    def handle(self, msg: Any) -> list[StreamFill | ExitOrderGone | PositionUpdate]: ...
    async def heartbeat(self, ws: ClientConnection) -> None: ...
    def saw_order(self, exchange_id: str) -> bool: ...
    def saw_client(self, client_id: str) -> bool: ...


class SeenOrders:
    """Exchange order ids the stream has mentioned, the most recent few thousand."""

    def __init__(self, keep: int = 4096) -> None:
        self._ids: dict[str, None] = {}
        self.keep = keep

    def add(self, oid: str) -> None:
        if oid:
            self._ids[oid] = None
            if len(self._ids) > self.keep:
                self._ids.pop(next(iter(self._ids)))

    def __contains__(self, oid: str) -> bool:
        return oid in self._ids


def _f(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return 0.0


def _kind_of(order_type: str) -> str:
    t = order_type.upper().replace("_", "")
    if t.startswith("TAKEPROFIT"):
        return "take_profit"
    if t.startswith("STOP"):
        return "stop"
    return ""


class UserStream:
    """Connect, read, heartbeat, reconnect. Never raises out of the task except cancellation."""

    def __init__(
        self,
        session: StreamSession,
        on_fill: Callable[[StreamFill], None],
        on_alert: Callable[[str], None],
        *,
        backoff: tuple[float, float] = (1.0, 30.0),
        open_timeout: float = 10.0,
        redact: Callable[[str], str] = lambda s: s,
        on_gone: Callable[[ExitOrderGone], None] | None = None,
        on_position: Callable[[PositionUpdate], None] | None = None,
    ) -> None:
        self.session = session
        self._on_fill = on_fill
        self._on_gone = on_gone
        self._on_position = on_position
        self._alert = on_alert
        self.backoff = backoff
        self.open_timeout = open_timeout
        self._redact = redact
        self.connected = asyncio.Event()
        self.sessions = 0  # successful opens, for health and tests
        self.failures = 0
        self.events = 0  # frames that parsed, over all sessions
        self.confirmed = 0  # REST-seen order changes the stream had reported too
        self.silent_misses = 0  # ... and the ones it had not: each one ends the session
        self.silent = False  # missed an order change; cleared when it delivers one REST also saw
        self._ws: ClientConnection | None = None
        self._closing: set[asyncio.Task] = set()
        self._task: asyncio.Task | None = None
        self._rng = random.Random()

    @property
    def healthy(self) -> bool:
        """Connected and not caught missing an order change: the REST watcher may slow down."""
        return self.connected.is_set() and not self.silent

    @property
    def state(self) -> str:
        return "silent" if self.silent else "up" if self.connected.is_set() else "down"

    def mark_silent(self, why: str) -> None:
        """REST showed an order change this stream never delivered: count it, log it, reconnect."""
        self.silent_misses += 1
        self.silent = True
        log.warning(
            "%s private stream silent: %s; reconnecting, exits polled meanwhile", self.session.name, self._redact(why)
        )
        ws = self._ws
        if ws is not None:  # ends this session; run() reconnects after its backoff
            closing = asyncio.get_running_loop().create_task(ws.close())
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"user-stream-{self.session.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.connected.clear()

    async def run(self) -> None:
        delay = self.backoff[0]
        while True:
            started = time.monotonic()
            planned = False
            try:
                await self._session_once()
                why = "closed by the venue"
            except asyncio.CancelledError:
                raise
            except StreamEnded as e:
                why, planned = str(e), True
            except StreamAuthError as e:
                self.failures += 1
                self._alert(
                    f"{self.session.name} private stream: authentication refused ({e}); "
                    "exits are still watched by polling"
                )
                delay = self.backoff[1]  # credentials do not fix themselves: retry slowly
                why = "auth refused"
            except Exception as e:  # network, protocol, listenKey REST failure: retry
                self.failures += 1
                why = f"{type(e).__name__}: {e}"
            self.connected.clear()
            log.warning(
                "%s private stream down (%s); polling covers exits meanwhile", self.session.name, self._redact(why)
            )
            if planned:
                continue
            if time.monotonic() - started > 60:
                delay = self.backoff[0]  # it had been up for a while: start the backoff again
            await asyncio.sleep(delay * (0.8 + 0.4 * self._rng.random()))
            delay = min(delay * 2, self.backoff[1])

    async def _beat(self, ws: ClientConnection) -> None:
        try:
            await self.session.heartbeat(ws)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a keepalive that fails ends the session; the loop reconnects
            log.warning("%s private stream heartbeat failed: %s", self.session.name, type(e).__name__)
            await ws.close()

    async def _session_once(self) -> None:
        url = await self.session.open_url()
        async with connect(
            url, open_timeout=self.open_timeout, max_size=2**22, ping_interval=20, ping_timeout=20, logger=_wire_log
        ) as ws:
            await self.session.on_open(ws)
            self.sessions += 1  # `silent` stays set: a new session is trusted once it delivers an order change
            self._ws = ws
            self.connected.set()
            beat = asyncio.create_task(self._beat(ws))
            try:
                async for raw in ws:
                    try:
                        msg = orjson.loads(raw)
                    except orjson.JSONDecodeError:
                        continue
                    self.events += 1
                    for item in self.session.handle(msg):
                        if isinstance(item, StreamFill):
                            self._on_fill(item)
                        elif isinstance(item, ExitOrderGone) and self._on_gone is not None:
                            self._on_gone(item)
                        elif isinstance(item, PositionUpdate) and self._on_position is not None:
                            self._on_position(item)
            finally:
                self._ws = None
                beat.cancel()
                with contextlib.suppress(BaseException):
                    await beat


# -- Binance USDⓈ-M ---------------------------------------------------------------------------
BINANCE_EVENTS = ("ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "ALGO_UPDATE")


class BinanceSession:
    name = "binance"

    def __init__(
        self, base_ws_url: str, obtain_key: Callable, keepalive: Callable, keepalive_s: float = 1800.0
    ) -> None:
        self.base_ws_url = base_ws_url.rstrip("/")
        self._obtain = obtain_key  # async () -> listenKey
        self._keepalive = keepalive  # async (listenKey) -> None
        self.keepalive_s = keepalive_s
        self.listen_key = ""
        self._algo_of_order: dict[str, str] = {}  # matching-engine order id -> clientAlgoId
        self._filled: dict[str, StreamFill] = {}  # order id -> fill (until its algo is known)
        self._fees: dict[str, float] = {}  # order id -> commission summed over partial fills
        self.seen = SeenOrders()
        self.seen_clients = SeenOrders()  # client order ids, for resolving an unknown send outcome
        self.positions: dict[str, float] = {}  # symbol -> signed size, from ACCOUNT_UPDATE (one-way mode)

    async def open_url(self) -> str:
        """The 2026 private route takes the key and the events as query parameters."""
        self.listen_key = await self._obtain()
        return f"{self.base_ws_url}?listenKey={quote(self.listen_key, safe='')}&events={'/'.join(BINANCE_EVENTS)}"

    def saw_order(self, exchange_id: str) -> bool:
        return exchange_id in self.seen

    def saw_client(self, client_id: str) -> bool:
        return client_id in self.seen_clients

    async def on_open(self, ws: ClientConnection) -> None:
        return None  # the listenKey in the URL is the subscription

    async def heartbeat(self, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self.keepalive_s)
            await self._keepalive(self.listen_key)

    def handle(self, msg: Any) -> list[StreamFill | ExitOrderGone | PositionUpdate]:
        if isinstance(msg, dict) and "data" in msg and "stream" in msg:
            msg = msg["data"]  # combined-stream envelope
        if not isinstance(msg, dict):
            return []
        e = msg.get("e")
        if e == "listenKeyExpired":
            raise StreamEnded("listenKey expired")
        if e == "ACCOUNT_UPDATE":
            out: list[StreamFill | ExitOrderGone | PositionUpdate] = []
            for p in (msg.get("a") or {}).get("P") or []:
                if isinstance(p, dict) and p.get("ps", "BOTH") == "BOTH":
                    self.positions[str(p.get("s", ""))] = _f(p.get("pa"))
                    out.append(PositionUpdate(str(p.get("s", "")), _f(p.get("pa"))))
            return out
        o = msg.get("o") or {}
        if e == "ALGO_UPDATE":
            ai, caid = str(o.get("ai") or ""), str(o.get("caid") or "")
            status = str(o.get("X") or "")
            if caid and status in ("REJECTED", "EXPIRED"):
                return [ExitOrderGone(caid, status.lower())]
            if ai and caid:
                self._algo_of_order[ai] = caid
                f = self._filled.pop(ai, None)
                if f is not None:
                    return [_with_algo(f, caid)]
            return []
        if e != "ORDER_TRADE_UPDATE":
            return []
        oid = str(o.get("i", ""))
        self.seen.add(oid)
        self.seen_clients.add(str(o.get("c", "")))
        if o.get("x") == "TRADE":
            self._fees[oid] = self._fees.get(oid, 0.0) + _f(o.get("n"))
        if o.get("X") != "FILLED":
            return []
        fill = StreamFill(
            str(o.get("s", "")),
            oid,
            str(o.get("c", "")),
            "buy" if o.get("S") == "BUY" else "sell",
            _f(o.get("z")),
            _f(o.get("ap")) or _f(o.get("L")),
            self._fees.pop(oid, None),
            bool(o.get("R")) or bool(o.get("cp")),
            _kind_of(str(o.get("ot") or o.get("o") or "")),
            self._algo_of_order.pop(oid, ""),
        )
        if not fill.algo_client_id:
            self._filled[oid] = fill
            if len(self._filled) > 256:
                self._filled.pop(next(iter(self._filled)))
        return [fill]


def _with_algo(f: StreamFill, caid: str) -> StreamFill:
    return StreamFill(
        f.symbol, f.exchange_id, f.client_id, f.side, f.qty, f.avg_price, f.fee, f.reduce_only, f.kind_hint, caid
    )


# -- Bybit v5 ---------------------------------------------------------------------------------
def bybit_fee(d: dict, settle_coin: str = "USDT") -> float | None:
    """Bybit linear: `cumFeeDetail` ({coin: fee}) replaced the deprecated `cumExecFee`; the fee in
    the settle coin is what the P&L needs. `cumExecFee` only when the detail is absent; None when
    neither is there yet."""
    detail = d.get("cumFeeDetail")
    if isinstance(detail, dict) and detail:
        if settle_coin in detail:
            return _f(detail[settle_coin])
        log.warning("bybit fee charged in %s, not %s: recorded as 0", ",".join(map(str, detail)), settle_coin)
        return 0.0
    fee = d.get("cumExecFee")
    return _f(fee) if fee not in (None, "") else None


def bybit_ws_auth_args(api_key: str, secret: str, expires_ms: int) -> list:
    return [api_key, expires_ms, hmac_sha256_hex(secret, f"GET/realtime{expires_ms}")]


class BybitSession:
    name = "bybit"

    def __init__(self, url: str, api_key: str, secret: str, now_ms: Callable[[], int], ping_s: float = 20.0) -> None:
        self.url = url
        self._key, self._secret = api_key, secret
        self._now_ms = now_ms
        self.ping_s = ping_s
        self._execs: dict[str, list[float]] = {}  # orderId -> [qty, notional, fee]
        self._seen_exec: set[str] = set()
        self.seen = SeenOrders()
        self.seen_clients = SeenOrders()

    async def open_url(self) -> str:
        return self.url

    def saw_order(self, exchange_id: str) -> bool:
        return exchange_id in self.seen

    def saw_client(self, client_id: str) -> bool:
        return client_id in self.seen_clients

    async def on_open(self, ws: ClientConnection) -> None:
        expires = self._now_ms() + 10_000
        await ws.send(
            orjson.dumps(
                {"req_id": "auth", "op": "auth", "args": bybit_ws_auth_args(self._key, self._secret, expires)}
            ).decode()
        )
        reply = orjson.loads(await asyncio.wait_for(ws.recv(), 10.0))
        if reply.get("op") != "auth" or not reply.get("success"):
            raise StreamAuthError(str(reply.get("ret_msg") or "refused"))
        await ws.send(
            orjson.dumps({"req_id": "sub", "op": "subscribe", "args": ["order", "execution", "position"]}).decode()
        )

    async def heartbeat(self, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self.ping_s)
            await ws.send('{"op":"ping"}')

    def handle(self, msg: Any) -> list[StreamFill | ExitOrderGone | PositionUpdate]:
        if not isinstance(msg, dict):
            return []
        topic = str(msg.get("topic", ""))
        out: list[StreamFill | ExitOrderGone | PositionUpdate] = []
        for d in msg.get("data") or []:
            if not isinstance(d, dict) or d.get("category", "linear") != "linear":
                continue
            if topic == "position" and d.get("positionIdx", 0) == 0:
                sign = 1.0 if d.get("side") == "Buy" else -1.0 if d.get("side") == "Sell" else 0.0
                out.append(PositionUpdate(str(d.get("symbol", "")), sign * _f(d.get("size"))))
                continue
            if topic in ("order", "execution"):
                self.seen.add(str(d.get("orderId", "")))
                self.seen_clients.add(str(d.get("orderLinkId", "")))
            if topic == "order":
                qty = _f(d.get("cumExecQty"))
                if d.get("orderStatus") in ("Filled", "PartiallyFilledCanceled") and qty > 0:
                    out.append(
                        StreamFill(
                            str(d.get("symbol", "")),
                            str(d.get("orderId", "")),
                            str(d.get("orderLinkId", "")),
                            "buy" if d.get("side") == "Buy" else "sell",
                            qty,
                            _f(d.get("avgPrice")),
                            bybit_fee(d),
                            bool(d.get("reduceOnly")),
                            _kind_of(str(d.get("stopOrderType") or "")),
                        )
                    )
            elif topic == "execution":
                xid = str(d.get("execId", ""))
                if xid in self._seen_exec or d.get("execType", "Trade") != "Trade":
                    continue
                self._seen_exec.add(xid)
                oid = str(d.get("orderId", ""))
                acc = self._execs.setdefault(oid, [0.0, 0.0, 0.0])
                q = _f(d.get("execQty"))
                acc[0] += q
                acc[1] += q * _f(d.get("execPrice"))
                acc[2] += _f(d.get("execFee"))
                if d.get("leavesQty") in ("0", 0, "0.0", "0.000") and acc[0] > 0:
                    self._execs.pop(oid, None)
                    out.append(
                        StreamFill(
                            str(d.get("symbol", "")),
                            oid,
                            str(d.get("orderLinkId", "")),
                            "buy" if d.get("side") == "Buy" else "sell",
                            acc[0],
                            acc[1] / acc[0],
                            acc[2],
                            False,
                            _kind_of(str(d.get("stopOrderType") or "")),
                        )
                    )
        if len(self._seen_exec) > 4096:
            self._seen_exec.clear()
        return out
