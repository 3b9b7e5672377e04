"""ExchangeExits: the stop-loss and take-profit that live on the venue for each position.

Placed right after an entry fills, cancelled when the engine exits first, and watched (the private
stream reports a fill at once; REST polling is the fallback). When one fires it becomes the exit
Fill the engine adopts, exactly once, and the other is cancelled. A mixin of `LiveBroker`: it works
on the broker's `tracked` exits, filters and settings (declared below for the type checker).

Reconciling positions with the engine is not done here: `core.brokers.reconcile_loop.ReconcileLoop`,
started by the composition root, does it, woken early by `reconcile_due`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.brokers.filters import SymbolFilters, fmt, prepare_qty, round_price
from core.brokers.live_errors import NOT_FOUND, REJECTED, NotReady, VenueError
from core.brokers.live_types import ExecReport, ExitKind, LiveSettings, TrackedExits, closing_side
from core.positions import Position

if TYPE_CHECKING:
    from core.brokers.user_stream import UserStream

log = logging.getLogger("liqhunt.broker")


class ExchangeExits:
    # the LiveBroker state and methods this mixin works on (annotations only: nothing at run time)
    name: str
    settings: LiveSettings
    filters: dict[str, SymbolFilters]
    tracked: dict[str, TrackedExits]
    stream: UserStream | None
    reconcile_due: asyncio.Event
    watch_lock: asyncio.Lock
    _reported: set[str]
    _session: str
    alert: Callable[[str], None]
    busy: Callable[[str], bool]
    ensure_ready: Callable[[str], Awaitable[str]]
    expect_on_stream: Callable[[str], None]
    on_position_opened: Callable[[Position], None]
    wait_idle: Callable[..., Awaitable[None]]
    _spawn: Callable[[Coroutine[Any, Any, Any], str], None]
    _idempotent: Callable[..., Awaitable[ExecReport]]
    _place_exit: Callable[[TrackedExits, ExitKind, str, str, str], Awaitable[ExecReport]]
    _query_exit: Callable[[str, str], Awaitable[ExecReport]]
    _cancel_exit: Callable[[str, str], Awaitable[None]]
    _cancel_all_symbol: Callable[[str], Awaitable[None]]
    _finalise: Callable[[str, ExecReport], Awaitable[ExecReport]]
    _push_exit_fill: Callable[..., None]

    async def _place_exits(self, t: TrackedExits) -> None:
        try:
            sym = await self.ensure_ready(t.market)
        except NotReady as e:
            self.alert(f"{t.market}: stop/take-profit NOT placed: {e}")
            return
        t.symbol = sym
        f = self.filters[sym]
        qty = prepare_qty(f, t.qty, 0.0, reduce_only=True)
        exits: tuple[tuple[ExitKind, float, str], ...] = (
            ("stop", t.stop_price, t.stop_id),
            ("take_profit", t.tp_price, t.tp_id),
        )
        for kind, price, cid in exits:
            trigger = fmt(round_price(price, f.tick_size))
            delay = self.settings.retry_base_s
            for attempt in range(4):
                try:
                    await self._idempotent(
                        lambda kind=kind, trigger=trigger, cid=cid: self._place_exit(
                            t, kind, trigger, fmt(qty.qty or Decimal(0)), cid
                        ),
                        lambda cid=cid: self._query_exit(sym, cid),
                        max_wait_s=self.settings.max_exit_wait_s,
                    )
                    break
                except VenueError as e:
                    if e.kind == REJECTED or attempt == 3:
                        self.alert(f"{t.market}: {kind} at {trigger} NOT placed on {self.name}: {e}")
                        break
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.settings.retry_max_s)
        t.placed = True

    async def _cancel_exits(self, t: TrackedExits) -> None:
        for cid in (t.stop_id, t.tp_id):
            delay = self.settings.retry_base_s
            for attempt in range(5):
                try:
                    await self._cancel_exit(t.symbol, cid)
                    break
                except VenueError as e:
                    if e.kind in (NOT_FOUND, REJECTED):
                        break  # already triggered, cancelled or expired: nothing left to cancel
                    if attempt == 4:
                        self.alert(f"{t.market}: could not cancel leftover exit order {cid}: {e}")
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.settings.retry_max_s)

    async def check_exits(self) -> None:
        """Report a venue stop/take-profit that filled as an exit Fill the engine adopts."""
        for market, t in list(self.tracked.items()):
            if not t.placed or self.busy(market):
                continue  # an order in flight (or a result not yet polled) will account for it
            for kind, cid in (("stop", t.stop_id), ("take_profit", t.tp_id)):
                try:
                    rep = await self._query_exit(t.symbol, cid)
                    if rep.status != "filled":
                        continue
                    if rep.exchange_id and rep.exchange_id in self._reported:
                        break
                    rep = await self._finalise(t.symbol, rep)
                except VenueError:
                    continue
                if self._report_exit(t, kind, rep, "poll"):
                    self.expect_on_stream(rep.exchange_id)  # the stream should have told us first
                break

    def _report_exit(self, t: TrackedExits, kind: str, rep: ExecReport, source: str) -> bool:
        """The one place an exchange-side exit becomes the engine's exit Fill (poll or stream):
        at most once per position and per exchange order id; the other exit is then cancelled."""
        market = t.market
        if self.tracked.get(market) is not t or (rep.exchange_id and rep.exchange_id in self._reported):
            return False
        if rep.exchange_id:
            self._reported.add(rep.exchange_id)
        del self.tracked[market]
        cid = t.stop_id if kind == "stop" else t.tp_id
        other = t.tp_id if kind == "stop" else t.stop_id
        ref = t.stop_price if kind == "stop" else t.tp_price
        side = closing_side(t.side)
        slip = (
            ((rep.avg_price - ref) / ref * 1e4 if side == "buy" else (ref - rep.avg_price) / ref * 1e4) if ref else 0.0
        )
        self._push_exit_fill(
            f"x-{cid}",
            market,
            side,
            rep.filled_qty,
            rep.avg_price,
            rep.fee or 0.0,
            kind,
            rep.exchange_id,
            slippage_bps=slip,
            client_id=cid,
            source=source,
        )
        self._spawn(
            self._cancel_exits(TrackedExits(market, t.symbol, t.position_id, t.side, t.qty, other, other, 0.0, 0.0)),
            market,
        )
        return True

    def on_stream_fill(self, f) -> None:
        """A fill from the private stream (core.brokers.user_stream.StreamFill): if it is one of our
        exchange-side exits (by client id / clientAlgoId, or a reduce-only stop/take-profit closing
        the whole position we track), report it now instead of at the next poll. Anything in doubt
        is left to the REST watcher, which also runs while an order of ours is in flight."""
        if not f.exchange_id or f.exchange_id in self._reported:
            return
        t = next((x for x in self.tracked.values() if x.symbol == f.symbol), None)
        if t is None:
            return
        ids = {f.client_id, f.algo_client_id}
        if t.stop_id in ids:
            kind: ExitKind = "stop"
        elif t.tp_id in ids:
            kind = "take_profit"
        elif f.client_id.startswith(f"lqh-{self._session}-"):
            return  # our own market order or flatten close: its task reports it
        elif (
            f.reduce_only
            and f.side == closing_side(t.side)
            and f.kind_hint in ("stop", "take_profit")
            and f.qty >= t.qty - 1e-12
        ):
            kind = f.kind_hint
        else:
            return
        if self.busy(t.market):
            return  # an order in flight or an unpolled result accounts for it: the watcher decides
        rep = ExecReport(f.client_id, "filled", f.qty, f.avg_price, f.fee, f.exchange_id)
        if self._report_exit(t, kind, rep, "stream"):
            log.info("%s: %s %s fill reported from the private stream", self.name, t.market, kind)

    def on_stream_exit_gone(self, g) -> None:
        """A stop or take-profit of ours left the venue's book without filling (rejected when it
        triggered, expired): the position is no longer protected on the venue. Say so loudly; the
        engine's own exits still run, and reconciliation re-places exits for positions it checks."""
        for t in self.tracked.values():
            if g.client_id in (t.stop_id, t.tp_id):
                kind = "stop" if g.client_id == t.stop_id else "take-profit"
                self.alert(
                    f"{t.market}: venue {kind} order {g.status}: the position is NOT protected on "
                    f"{self.name}; liqhunt's own exits still run"
                )
                return

    def on_stream_position(self, p) -> None:
        """The venue's position for a symbol we protect changed size without an order of ours in
        flight (a manual close or add on the website, a liquidation, ADL): reconcile now instead of waiting for
        the periodic pass: `reconcile_due` wakes the ReconcileLoop."""
        t = next((x for x in self.tracked.values() if x.symbol == p.symbol), None)
        if t is None or self.busy(t.market) or abs(abs(p.qty) - t.qty) <= 1e-12:
            return
        log.info(
            "%s: %s position on the venue is now %g (we protect %g): reconciling", self.name, t.market, p.qty, t.qty
        )
        self.reconcile_due.set()

    async def protect(self, pos: Position, replace: bool = True) -> None:
        """(Re)place the venue stop and take-profit for a position the engine holds (adopted,
        resized or restored), under this run's client ids; `replace` first cancels every open
        order of ours on its symbol, so restarts do not pile up exit orders."""
        sym = await self.ensure_ready(pos.market)
        if replace:
            await self._cancel_all_symbol(sym)
        self.tracked.pop(pos.market, None)
        self.on_position_opened(pos)
        await self.wait_idle()

    async def _watch_loop(self) -> None:
        last_poll = time.monotonic()
        while True:
            await asyncio.sleep(self.settings.watch_interval_s)
            st = self.stream
            if st is not None and st.healthy and time.monotonic() - last_poll < self.settings.stream_watch_interval_s:
                continue  # the stream reports exits; polling is the slow fallback while it is healthy
            last_poll = time.monotonic()
            try:
                async with self.watch_lock:
                    await self.check_exits()
            except (VenueError, NotReady) as e:
                self.alert(f"watcher: {e}")
            except Exception as e:  # the watcher guards open positions: log and keep watching
                self.alert(f"watcher: internal error {type(e).__name__}: {e}")
