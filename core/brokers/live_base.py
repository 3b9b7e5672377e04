"""LiveBroker: the venue-independent half of a real-money broker.

The engine calls `submit()` synchronously, so every order becomes an asyncio task on the running
loop; its outcome (a Fill with the venue's price and fee, or a Rejection with the reason) waits in
a list that `poll(now)` drains. The venue subclasses only speak HTTP: signing, endpoints, codes.

Safety rules implemented here, once, for both venues:
- every order carries a client order id; when the outcome of a send is unknown (timeout, dropped
  connection, 5xx, -1007) the order is looked up by that id, then in the venue's recent orders,
  fills and private stream, and resent only after two confirmed absences within the order's
  window, so a market order is never duplicated;
- a timestamp reject resyncs the clock with the venue and retries once (safe: nothing executed);
- rate limits are waited out, never hammered; an entry that cannot go out in time is refused;
- entries above the hard notional cap or outside the instrument filters are refused before sending;
  exits and flatten closes are reduce-only and never refused by caps, so we can always get out;
- stop-loss and take-profit live on the venue (they survive liqhunt dying); when one fires the
  watcher reports it as an exit Fill the engine adopts, and the other one is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx

from core.brokers.base import Fill, Order, Rejection
from core.brokers.exchange_exits import ExchangeExits
from core.brokers.filters import PreparedQty, SymbolFilters, fmt, prepare_qty
from core.brokers.flatten import Flattening
from core.brokers.keys import ApiKeys
from core.brokers.live_errors import (
    AUTH,
    BLOCKED,
    CLOCK,
    DUPLICATE,
    NOT_FOUND,
    RATE_LIMITED,
    REJECTED,
    UNKNOWN,
    NotReady,
    VenueError,
)
from core.brokers.live_types import (
    GATE_BUDGET_S,
    ExchangePosition,
    ExecReport,
    ExitKind,
    LiveSettings,
    TrackedExits,
)
from core.brokers.ratelimit import RateGate
from core.events import OrderSide
from core.instruments import Instrument
from core.positions import Position

log = logging.getLogger("liqhunt.broker")


class LiveBroker(ExchangeExits, Flattening):
    name = "live"
    venue = ""

    def __init__(
        self,
        keys: ApiKeys,
        base_url: str,
        settings: LiveSettings,
        *,
        now_fn: Callable[[], float] = time.time,
        price_of: Callable[[str], float | None] | None = None,
        on_alert: Callable[[str], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._keys = keys
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self.now_fn = now_fn
        self.price_of = price_of or (lambda market: None)
        self._on_alert = on_alert
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self.gate = RateGate()
        self.time_offset_ms = 0
        self.filters: dict[str, SymbolFilters] = {}  # by symbol
        self._symbol_of: dict[str, str] = {}  # market -> symbol
        self._ready: set[str] = set()
        self._ready_locks: dict[str, asyncio.Lock] = {}
        self._session = secrets.token_hex(3)  # client ids must not collide with a previous run's
        self._results: list[Fill | Rejection] = []
        self._tasks: set[asyncio.Task] = set()
        self._unsent: dict[str, Order] = {}
        self._busy: dict[str, int] = {}  # market -> orders in flight
        self.tracked: dict[str, TrackedExits] = {}  # market -> our position's exits
        self._last_close: dict[str, tuple[float, float, str]] = {}  # market -> (price, fee, exchange id)
        self.alerts: list[str] = []
        self._watcher: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flatten_seq = 0
        self._exit_seq = 0
        self.stream = None  # core.brokers.user_stream.UserStream when the private stream runs
        self._reported: set[str] = set()  # exchange order ids already reported as exit fills
        self._stream_checks: set[asyncio.Task] = set()  # "did the stream see this order?" timers
        # the private stream saw a position change we did not make: whoever reconciles (the
        # composition root's ReconcileLoop) should do so now, not at its next periodic pass
        self.reconcile_due = asyncio.Event()
        # held while exits are polled and while positions are reconciled, so the two never
        # interleave: a venue stop that fired is reported with its own price before a
        # reconciliation could mistake the flat position for one closed behind our back
        self.watch_lock = asyncio.Lock()

    # -- venue hooks (subclasses) -------------------------------------------------------------
    async def _server_time_ms(self) -> int:
        raise NotImplementedError

    async def _load_filters(self) -> dict[str, SymbolFilters]:
        raise NotImplementedError

    async def _prepare_symbol(self, symbol: str, leverage: float) -> None:
        raise NotImplementedError

    async def _send_market(
        self, symbol: str, side: OrderSide, qty: str, reduce_only: bool, client_id: str
    ) -> ExecReport:
        raise NotImplementedError

    async def _query_order(self, symbol: str, client_id: str) -> ExecReport:
        raise NotImplementedError

    # after _query_order found nothing: the order from recent orders / fills, True = confirmed absent, False = in doubt
    async def _find_unqueryable(self, symbol: str, client_id: str, sent_ms: int) -> ExecReport | bool:
        raise NotImplementedError

    async def _finalise(self, symbol: str, rep: ExecReport) -> ExecReport:
        raise NotImplementedError

    async def _place_exit(self, t: TrackedExits, kind: ExitKind, trigger: str, qty: str, client_id: str) -> ExecReport:
        raise NotImplementedError

    async def _query_exit(self, symbol: str, client_id: str) -> ExecReport:
        raise NotImplementedError

    async def _cancel_exit(self, symbol: str, client_id: str) -> None:
        raise NotImplementedError

    async def _cancel_all_symbol(self, symbol: str) -> None:
        raise NotImplementedError

    async def fetch_positions(self) -> list[ExchangePosition]:
        raise NotImplementedError

    async def account_summary(self) -> dict:
        raise NotImplementedError

    def _is_reduce_only_reject(self, err: VenueError) -> bool:
        raise NotImplementedError

    STREAM_URLS: dict[str, str] = {}  # REST base URL -> private websocket URL (venue defaults)

    def _make_user_stream(self, url: str):
        return None  # -> UserStream, venue subclasses

    def offline_summary(self) -> dict:
        """What the typed confirmation shows before any request: nothing here needs the network."""
        s = self.settings
        lev = {m: s.leverage_for(m) for m in s.markets}
        return {
            "venue": self.venue,
            "url": self.base_url,
            "key": self._keys.fingerprint(),
            "markets": ", ".join(s.markets) or "(as signals come)",
            "leverage to set": ", ".join(f"{m} {x:g}x" for m, x in lev.items()) or f"{s.default_leverage:g}x",
            "margin mode": s.margin_mode,
        }

    def stream_url(self) -> str:
        url = self.settings.stream_url
        return self.STREAM_URLS.get(self.base_url, "") if url is None else url

    # -- life cycle ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, keys={self._keys!r})"

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url, timeout=self.settings.request_timeout_s, transport=self._transport
            )
        return self._http

    async def start(self, watch: bool = True) -> None:
        """Sync the clock, load filters and prepare the configured markets; then watch exits."""
        self._loop = asyncio.get_running_loop()
        await self.sync_time()
        await self.load_filters()
        for market in self.settings.markets:
            await self.ensure_ready(market)
        if watch and self._watcher is None:
            self._watcher = asyncio.create_task(self._watch_loop())
        url = self.stream_url()
        if watch and url and self.stream is None:
            self.stream = self._make_user_stream(url)
            if self.stream is not None:
                self.stream.start()

    async def aclose(self) -> None:
        for t in list(self._stream_checks):
            t.cancel()
        await asyncio.gather(*self._stream_checks, return_exceptions=True)
        if self.stream is not None:
            await self.stream.stop()
            self.stream = None
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
            self._watcher = None
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every order, exit placement and cancel task has finished."""
        deadline = time.monotonic() + timeout
        while self._tasks:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("broker tasks still running")
            await asyncio.wait(set(self._tasks), timeout=left)

    def alert(self, msg: str) -> None:
        """Say it loudly (keys redacted): kept in `alerts`, logged, and passed to `on_alert`."""
        msg = self._keys.redact(msg)
        self.alerts.append(msg)
        log.warning("%s: %s", self.name, msg)
        if self._on_alert is not None:
            self._on_alert(msg)

    def _spawn(self, coro: Coroutine[Any, Any, Any], market: str = "") -> None:
        loop = self._loop or asyncio.get_running_loop()
        task = loop.create_task(coro)
        self._tasks.add(task)
        if market:
            self._busy[market] = self._busy.get(market, 0) + 1

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if market:
                self._busy[market] -= 1
            if not t.cancelled() and t.exception() is not None:
                self.alert(f"internal error: {type(t.exception()).__name__}: {t.exception()}")

        task.add_done_callback(done)

    # -- clock, filters, market preparation ---------------------------------------------------
    def timestamp_ms(self) -> int:
        return int(time.time() * 1000) + self.time_offset_ms

    async def sync_time(self) -> int:
        """Offset = venue time − our time at the midpoint of the round trip."""
        t0 = time.time() * 1000
        server = await self._server_time_ms()
        t1 = time.time() * 1000
        self.time_offset_ms = int(server - (t0 + t1) / 2)
        return self.time_offset_ms

    async def load_filters(self) -> None:
        self.filters = await self._load_filters()
        self._symbol_of = {f.market: s for s, f in self.filters.items()}

    def instruments(self) -> list[Instrument]:
        return [f.instrument(self.venue) for f in self.filters.values()]

    def symbol_for(self, market: str) -> str:
        sym = self._symbol_of.get(market)
        if sym is None:
            raise NotReady(f"{market} is not listed on {self.name}")
        return sym

    async def ensure_ready(self, market: str) -> str:
        """Leverage and margin mode set from config before the first trade on a market."""
        if not self.filters:
            await self.load_filters()
        sym = self.symbol_for(market)
        if sym in self._ready:
            return sym
        lock = self._ready_locks.setdefault(sym, asyncio.Lock())
        async with lock:
            if sym not in self._ready:
                lev = self.settings.leverage_for(market)
                max_lev = self.filters[sym].max_leverage
                if lev > max_lev:
                    raise NotReady(f"leverage {lev:g} above the maximum {max_lev:g} for {sym}")
                try:
                    await self._prepare_symbol(sym, lev)
                except VenueError as e:
                    raise NotReady(f"could not set leverage/margin on {sym}: {e}") from None
                self._ready.add(sym)
        return sym

    # -- private-stream health ----------------------------------------------------------------
    def expect_on_stream(self, exchange_id: str) -> None:
        """REST just showed this order change: the private stream must have delivered it (or do so
        within `stream_silence_s`), or it is connected but silent — the failure mode of a wrong
        route, which reconnecting fixes and polling covers meanwhile."""
        st = self.stream
        if st is None or not exchange_id or not st.connected.is_set():
            return
        loop = self._loop or asyncio.get_running_loop()
        task = loop.create_task(self._stream_saw(st, exchange_id))
        self._stream_checks.add(task)
        task.add_done_callback(self._stream_checks.discard)

    def stream_health(self) -> dict:
        """The private stream's counters, for the console and the journal: state up|down|silent|off."""
        st = self.stream
        if st is None:
            return {"state": "off"}
        return {
            "state": st.state,
            "sessions": st.sessions,
            "failures": st.failures,
            "events": st.events,
            "confirmed": st.confirmed,
            "silent_misses": st.silent_misses,
        }

    async def _stream_saw(self, st, exchange_id: str) -> None:
        sessions = st.sessions
        await asyncio.sleep(self.settings.stream_silence_s)
        if st.session.saw_order(exchange_id):
            st.confirmed += 1
            st.silent = False  # it delivers again: polling may slow down
        elif st.connected.is_set() and st.sessions == sessions:
            if not st.silent:
                self.alert(
                    f"{self.venue} private stream is connected but silent: order {exchange_id} changed on the "
                    f"venue (REST) and the stream had not reported it after {self.settings.stream_silence_s:g} s; "
                    f"reconnecting it, exits are polled every {self.settings.watch_interval_s:g} s meanwhile"
                )
            st.mark_silent(f"order {exchange_id} not delivered")

    # -- the Broker protocol ------------------------------------------------------------------
    def submit(self, order: Order) -> None:
        if self._loop is None:
            self._reject(order, f"{self.name} broker not started")
            return
        if order.intent == "entry":
            refusal = self._precheck_entry(order)
            if refusal:
                self._reject(order, refusal)
                return
            self._unsent[order.id] = order
        self._spawn(self._run_order(order), order.market)

    def poll(self, now: float) -> list[Fill | Rejection]:
        out, self._results = self._results, []
        return out

    def cancel_all(self, now: float) -> None:
        """Kill: entries not yet on the wire are cancelled (the engine drops them). Exchange-side
        stops stay until the position is closed, so nothing is left unprotected in between."""
        for order in self._unsent.values():
            order.status = "cancelled"
        self._unsent.clear()

    def on_position_opened(self, pos: Position) -> None:
        sym = self._symbol_of.get(pos.market, "")
        self._exit_seq += 1  # ids stay ≤ 36 chars (both venues' limit) and unique if exits are re-placed
        t = TrackedExits(
            pos.market,
            sym,
            pos.id,
            pos.side,
            pos.qty,
            f"lqh-{self._session}-x{self._exit_seq}sl",
            f"lqh-{self._session}-x{self._exit_seq}tp",
            pos.stop_price,
            pos.take_profit_price,
        )
        self.tracked[pos.market] = t
        self._spawn(self._place_exits(t), pos.market)

    def on_position_closed(self, pos: Position) -> None:
        t = self.tracked.get(pos.market)
        if t is not None and t.position_id == pos.id:
            del self.tracked[pos.market]
            self._spawn(self._cancel_exits(t), pos.market)

    # -- orders -------------------------------------------------------------------------------
    def _reject(self, order: Order, reason: str) -> None:
        order.status, order.reject_reason = "rejected", reason
        self._results.append(Rejection(order.id, order.market, self._keys.redact(reason), self.now_fn()))

    def _precheck_entry(self, order: Order) -> str:
        notional = order.qty * order.ref_price
        cap = self.settings.max_notional_per_trade_usd
        if notional > cap:  # defence in depth: the risk manager checks this too
            return f"notional {notional:,.0f} USD above the hard cap {cap:,.0f} USD"
        if order.qty <= 0:
            return "qty must be positive"
        return ""

    def client_id(self, order: Order) -> str:
        return f"lqh-{self._session}-{order.id}"

    async def _run_order(self, order: Order) -> None:
        try:
            sym = await self.ensure_ready(order.market)
            f = self.filters[sym]
            prep: PreparedQty = prepare_qty(f, order.qty, order.ref_price, order.reduce_only)
            if prep.qty is None:
                self._unsent.pop(order.id, None)
                self._reject(order, prep.reason)
                return
            if order.status == "cancelled":  # killed before it went out
                return
            self._unsent.pop(order.id, None)
            cid = self.client_id(order)
            wait = self.settings.max_entry_wait_s if order.intent == "entry" else self.settings.max_exit_wait_s
            GATE_BUDGET_S.set(wait)
            sent_ms = self.timestamp_ms()
            qty = fmt(prep.qty)
            rep = await self._idempotent(
                lambda: self._send_market(sym, order.side, qty, order.reduce_only, cid),
                lambda: self._query_order(sym, cid),
                max_wait_s=wait,
                absent=lambda: self._absent(sym, cid, sent_ms),
            )
            rep = await self._finalise(sym, rep)
        except NotReady as e:
            self._unsent.pop(order.id, None)
            self._reject(order, str(e))
            return
        except VenueError as e:
            if order.reduce_only and self._is_reduce_only_reject(e):
                await self._resolve_flat_exit(order, str(e))
                return
            if e.kind == UNKNOWN:
                self.alert(
                    f"{order.market} order {order.id} status unknown ({e}); reconciliation will adopt any position"
                )
            self._reject(order, str(e))
            return
        except Exception as e:  # a parsing surprise must still answer the engine, which waits on this order
            self.alert(f"{order.market} order {order.id}: internal error {type(e).__name__}: {e}")
            self._reject(order, f"internal error: {type(e).__name__}")
            return
        if rep.filled_qty <= 0:
            self._reject(order, f"not filled (venue status {rep.status})")
            return
        self._push_fill(order, rep)
        self.expect_on_stream(rep.exchange_id)

    def _push_fill(self, order: Order, rep: ExecReport, **extras) -> None:
        now = self.now_fn()
        ref = order.ref_price or rep.avg_price
        px = rep.avg_price
        slip = ((px - ref) / ref * 1e4 if order.side == "buy" else (ref - px) / ref * 1e4) if ref else 0.0
        order.status = "filled"
        self._results.append(
            Fill(
                order.id,
                order.market,
                order.side,
                rep.filled_qty,
                px,
                rep.fee or 0.0,
                now,
                slip,
                max(0.0, now - order.submitted_ts),
                self.name,
                {"venue": self.venue, "exchange_order_id": rep.exchange_id, "client_id": rep.client_id, **extras},
            )
        )
        if order.intent == "exit":
            self._last_close[order.market] = (px, rep.fee or 0.0, rep.exchange_id)

    async def _idempotent(
        self,
        send: Callable[[], Awaitable[ExecReport]],
        query: Callable[[], Awaitable[ExecReport]],
        max_wait_s: float,
        absent: Callable[[], Awaitable[ExecReport | bool]] | None = None,
    ) -> ExecReport:
        """Send once; resend only when the venue definitely has not got the order.

        After an unknown outcome (timeout, dropped connection, 5xx/503, -1007) the order is looked
        up by client id, and when that finds nothing, `absent()` searches the venue's recent orders
        and fills (a filled order can stay unqueryable by its id for a while, and Binance keeps a
        client id unique only among *open* orders, so a resend would be a second order). A resend
        follows only two confirmed absences in a row, and only within `max_wait_s` of the first
        send; an order confirmed absent later is refused, not sent late."""
        start = time.monotonic()
        resynced = False
        sends = 0
        while True:
            sends += 1
            try:
                return await send()
            except VenueError as e:
                err = e
            if err.kind == CLOCK and not resynced:
                resynced = True
                await self.sync_time()
                continue
            if err.kind == RATE_LIMITED:
                wait = max(err.retry_after_s, self.gate.wait_s(), 0.05)
                if time.monotonic() - start + wait > max_wait_s:
                    raise err
                await asyncio.sleep(wait)
                continue
            if err.kind in (UNKNOWN, DUPLICATE):
                found = await self._lookup(query, absent)
                if found is not None:
                    return found
                if err.kind == DUPLICATE or sends >= 3:
                    raise VenueError(UNKNOWN, f"gave up after {sends} sends: {err.message}", err.code)
                if time.monotonic() - start > max_wait_s:  # definitely not on the venue, and too late to send
                    raise VenueError(
                        REJECTED,
                        f"not sent: the venue never got it ({err.message}) and {max_wait_s:g} s have passed",
                        err.code,
                    )
                continue  # definitely not on the venue: the same client id can go again
            raise err

    async def _lookup(
        self,
        query: Callable[[], Awaitable[ExecReport]],
        absent: Callable[[], Awaitable[ExecReport | bool]] | None = None,
    ) -> ExecReport | None:
        """The order as the venue has it, None if it definitely does not exist (confirmed twice
        by `absent()` when given). Keeps asking, with backoff, for up to `unknown_resolve_s`."""
        s = self.settings
        await asyncio.sleep(s.unknown_settle_s)
        deadline = time.monotonic() + s.unknown_resolve_s
        delay = s.retry_base_s
        absences = 0
        while True:
            wait = 0.0
            try:
                return await query()
            except VenueError as e:
                err = e
            if err.kind == NOT_FOUND:
                if absent is None:
                    return None
                try:
                    verdict = await absent()
                except VenueError as e:
                    if e.kind in (REJECTED, AUTH, BLOCKED):
                        raise
                    verdict, wait = False, e.retry_after_s
                if isinstance(verdict, ExecReport):
                    return verdict
                absences = absences + 1 if verdict else 0
                if absences >= 2:
                    return None
                if verdict:  # once more after a pause: a fill can take a moment to show anywhere
                    await asyncio.sleep(s.absence_recheck_s)
                    continue
            elif err.kind == CLOCK:
                await self.sync_time()
            elif err.kind in (REJECTED, AUTH, BLOCKED):
                raise err
            else:
                wait = err.retry_after_s
            if time.monotonic() + delay > deadline:
                raise VenueError(UNKNOWN, "order status still unknown after repeated queries")
            await asyncio.sleep(max(delay, wait))
            delay = min(delay * 2, s.retry_max_s)

    async def _absent(self, symbol: str, client_id: str, sent_ms: int) -> ExecReport | bool:
        """The order cannot be queried by its client id: the private stream, when it has mentioned
        that id, proves it exists (in doubt, keep looking); else the venue's recent records decide."""
        if self.stream is not None and self.stream.session.saw_client(client_id):
            return False
        return await self._find_unqueryable(symbol, client_id, sent_ms)

    async def _resolve_flat_exit(self, order: Order, why: str) -> None:
        """A reduce-only close was refused: if the position is already gone (a venue stop fired,
        or a flatten closed it), report this exit as filled at the price that really closed it."""
        try:
            positions = await self.fetch_positions()
        except VenueError as e:
            self._reject(order, f"{why}; position check failed: {e}")
            return
        if any(p.market == order.market for p in positions):
            self._reject(order, why)
            return
        t = self.tracked.get(order.market)
        if t is not None and t.placed:
            for kind, cid in (("stop", t.stop_id), ("take_profit", t.tp_id)):
                try:
                    rep = await self._finalise(t.symbol, await self._query_exit(t.symbol, cid))
                except VenueError:
                    continue
                if rep.status == "filled" and rep.filled_qty > 0:
                    # tracking stays: the engine's on_position_closed cancels the other exit
                    self._push_fill(order, rep, closed_by=f"exchange {kind}")
                    return
        px, fee, xid = self._last_close.pop(order.market, (self.price_of(order.market) or order.ref_price, 0.0, ""))
        self._push_fill(order, ExecReport(self.client_id(order), "filled", order.qty, px, fee, xid), already_flat=True)

    def _push_exit_fill(
        self,
        fill_id: str,
        market: str,
        side: OrderSide,
        qty: float,
        price: float,
        fee: float,
        reason: str,
        exchange_id: str,
        slippage_bps: float = 0.0,
        **extras,
    ) -> None:
        """An exit the engine did not order (a venue stop or take-profit, a flatten close, a position
        the venue no longer has): reported as a Fill marked `intent=exit` that the engine adopts."""
        self._results.append(
            Fill(
                fill_id,
                market,
                side,
                qty,
                price,
                fee,
                self.now_fn(),
                slippage_bps,
                0.0,
                self.name,
                {"intent": "exit", "reason": reason, "venue": self.venue, "exchange_order_id": exchange_id, **extras},
            )
        )

    def busy(self, market: str) -> bool:
        return bool(self._busy.get(market)) or any(r.market == market for r in self._results)
