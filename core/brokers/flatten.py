"""Flattening: close everything on the venue from the venue's own state, no market data needed.

Used by kill and flatten when the feeds may be down, and by reconciliation when the venue says a
position is gone. A mixin of `LiveBroker`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

from core.brokers.filters import SymbolFilters, fmt, prepare_qty
from core.brokers.live_errors import VenueError
from core.brokers.live_types import (
    ExchangePosition,
    ExecReport,
    FlattenReport,
    LiveSettings,
    TrackedExits,
    closing_side,
)
from core.events import OrderSide, Side


class Flattening:
    # the LiveBroker state and methods this mixin works on (annotations only: nothing at run time)
    settings: LiveSettings
    filters: dict[str, SymbolFilters]
    tracked: dict[str, TrackedExits]
    price_of: Callable[[str], float | None]
    now_fn: Callable[[], float]
    _symbol_of: dict[str, str]
    _last_close: dict[str, tuple[float, float, str]]
    _flatten_seq: int
    _session: str
    alert: Callable[[str], None]
    expect_on_stream: Callable[[str], None]
    timestamp_ms: Callable[[], int]
    load_filters: Callable[[], Awaitable[None]]
    fetch_positions: Callable[[], Awaitable[list[ExchangePosition]]]
    _cancel_all_symbol: Callable[[str], Awaitable[None]]
    _send_market: Callable[[str, OrderSide, str, bool, str], Awaitable[ExecReport]]
    _query_order: Callable[[str, str], Awaitable[ExecReport]]
    _absent: Callable[[str, str, int], Awaitable[ExecReport | bool]]
    _idempotent: Callable[..., Awaitable[ExecReport]]
    _finalise: Callable[[str, ExecReport], Awaitable[ExecReport]]
    _is_reduce_only_reject: Callable[[VenueError], bool]
    _push_exit_fill: Callable[..., None]

    async def flatten_all(
        self, reason: str = "kill", max_attempts: int | None = None, cancelled: asyncio.Event | None = None
    ) -> FlattenReport:
        """Cancel every open order and close every position reduce-only, using only the venue's
        own state (no market data needed). Failures are reported and retried with backoff until
        everything is flat, `max_attempts` is reached or `cancelled` is set."""
        delay = self.settings.retry_base_s
        report = FlattenReport(False, 0)
        while True:
            report.attempts += 1
            failures: list[str] = []
            symbols = {t.symbol for t in self.tracked.values() if t.symbol}
            symbols |= {self._symbol_of[m] for m in self.settings.markets if m in self._symbol_of}
            positions: list[ExchangePosition] = []
            try:
                positions = await self.fetch_positions()
            except VenueError as e:
                failures.append(f"positions: {e}")
            symbols |= {p.symbol for p in positions}
            for sym in sorted(symbols):
                try:
                    await self._cancel_all_symbol(sym)
                except VenueError as e:
                    failures.append(f"cancel {sym}: {e}")
            for p in positions:
                err = await self._close_position(p, reason)
                if err:
                    failures.append(err)
                else:
                    report.closed.append(p.market)
            if not failures:
                try:
                    left = await self.fetch_positions()
                    failures += [f"{p.market} still open ({p.qty:g})" for p in left]
                except VenueError as e:
                    failures.append(f"positions: {e}")
            report.failures = failures
            if not failures:
                report.done = True
                return report
            self.alert(f"flatten attempt {report.attempts} incomplete: " + "; ".join(failures))
            if (max_attempts is not None and report.attempts >= max_attempts) or (cancelled and cancelled.is_set()):
                return report
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.retry_max_s)

    async def _close_position(self, p: ExchangePosition, reason: str) -> str:
        f = self.filters.get(p.symbol)
        if f is None:
            await self.load_filters()
            f = self.filters.get(p.symbol)
        qty = fmt(prepare_qty(f, p.qty, 0.0, reduce_only=True).qty or Decimal(repr(p.qty))) if f else repr(p.qty)
        self._flatten_seq += 1
        cid = f"lqh-{self._session}-f{self._flatten_seq}"
        side = closing_side(p.side)
        sent_ms = self.timestamp_ms()
        try:
            rep = await self._idempotent(
                lambda: self._send_market(p.symbol, side, qty, True, cid),
                lambda: self._query_order(p.symbol, cid),
                max_wait_s=self.settings.max_exit_wait_s,
                absent=lambda: self._absent(p.symbol, cid, sent_ms),
            )
            rep = await self._finalise(p.symbol, rep)
        except VenueError as e:
            if self._is_reduce_only_reject(e):
                return ""  # closed by something else in the meantime: the final check decides
            return f"close {p.market}: {e}"
        self._last_close[p.market] = (rep.avg_price, rep.fee or 0.0, rep.exchange_id)
        self.expect_on_stream(rep.exchange_id)
        t = self.tracked.pop(p.market, None)
        if t is not None:
            # the engine learns of the close like of a venue stop: an exit fill it did not order
            self._push_exit_fill(
                f"x-{cid}",
                p.market,
                side,
                rep.filled_qty,
                rep.avg_price,
                rep.fee or 0.0,
                reason,
                rep.exchange_id,
                client_id=cid,
            )
        return ""

    def report_flat(
        self, market: str, qty: float, side: Side, fallback_price: float, reason: str = "reconcile"
    ) -> None:
        """The venue says flat but the engine holds a position: close it in the engine, at the
        venue's last close price when we saw one, else the mark, else `fallback_price`."""
        px, fee, xid = self._last_close.pop(market, (self.price_of(market) or fallback_price, 0.0, ""))
        self.tracked.pop(market, None)
        self._push_exit_fill(
            f"reconcile-{market}-{int(self.now_fn() * 1000)}", market, closing_side(side), qty, px, fee, reason, xid
        )
