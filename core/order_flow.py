"""OrderFlow: the part of the engine that holds orders, fills and positions.

From an accepted signal to a closed trade: the risk check and the entry order, fills and
rejections from the broker, the position with its stop and target, the exit rules on every
price, exits (including flatten and kill), restores after a restart. A mixin of `Engine`: it
works on the engine's own state (`positions`, `orders`, `pending_entries`, `broker`, `risk`,
`markets`, `cfg`) and reports through the engine's `_emit`, so both read as one object.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

from core.brokers.base import Broker, Fill, Order, OrderIntent, Rejection
from core.config import Config
from core.engine_commands import Mode
from core.engine_events import (
    EngineEvent,
    ExitTriggered,
    FundingCharged,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    PositionClosed,
    PositionOpened,
    PositionRestored,
    RiskBlocked,
)
from core.events import MarkPrice
from core.market_state import MarketState
from core.positions import (
    ClosedTrade,
    Position,
    accrue_funding,
    check_exit,
    close_position,
    nearest_exit,
    note_funding_terms,
    open_from_fill,
)
from core.risk import EntryRequest, RiskManager
from core.setup_inputs import VOL_HORIZON_S
from core.signals import Signal

log = logging.getLogger("liqhunt.engine")


class OrderFlow:
    # the engine's state this mixin works on (set in Engine.__init__), declared so it reads as typed
    cfg: Config
    broker: Broker
    risk: RiskManager
    mode: Mode
    markets: dict[str, MarketState]
    positions: dict[str, Position]  # by market
    orders: dict[str, Order]  # in flight
    pending_entries: dict[str, Order]  # market -> entry order in flight
    _entry_plans: dict[str, Signal]  # entry order id -> the signal it came from
    trades: list[ClosedTrade]
    stale_venues: set[str]
    realised_pnl: float
    fees_paid: float
    _now: float
    _ids: itertools.count[int]
    # ...and the engine's methods it calls
    _emit: Callable[[EngineEvent], None]
    _end_signal: Callable[[Signal, str, str], None]
    _new_market: Callable[[str], MarketState]
    _set_mode: Callable[[Mode, str], None]
    _schedule_position: Callable[[Position, MarketState], None]
    mark_of: Callable[[str], float | None]
    stale_inputs: Callable[[str], frozenset[str]]
    funding_paid: float = 0.0  # funding paid (+) or received (−) across closed and open positions, USD

    def _enter(self, sig: Signal) -> None:
        now = self._now
        if sig.extras.get("size_skip"):
            self._block(sig, "size", sig.extras["size_skip"])
            return
        open_notional = {m: p.notional for m, p in self.positions.items()}
        for m, o in self.pending_entries.items():
            open_notional.setdefault(m, o.qty * o.ref_price)
        verdict = self.risk.check_entry(
            EntryRequest(sig.market, sig.notional, now, self._cap_key(sig)),
            open_notional,
            self.stale_inputs(sig.market),
            self.unrealised(),
        )
        if not verdict.allowed:
            self._block(sig, verdict.rule, verdict.message)
            return
        order = Order(
            id=f"o{next(self._ids)}",
            market=sig.market,
            side=sig.order_side,
            qty=sig.qty,
            intent=OrderIntent.ENTRY,
            submitted_ts=now,
            ref_price=sig.price,
            reason=sig.id,
            signal_id=sig.id,
        )
        order.position_id = f"p{next(self._ids)}"
        self.orders[order.id] = order
        self.pending_entries[sig.market] = order
        self._entry_plans[order.id] = sig
        self.risk.record_entry(self._cap_key(sig), now)
        self._end_signal(sig, "entered", "")
        self._emit(OrderSubmitted(now, order))
        self.broker.submit(order)

    @staticmethod
    def _cap_key(sig: Signal) -> str:
        """Daily trade caps count per market and, for `both`, per playbook."""
        return sig.market if sig.playbook == "ride" else f"{sig.market}:{sig.playbook}"

    def _block(self, sig: Signal, rule: str, message: str) -> None:
        self._emit(RiskBlocked(self._now, sig.market, rule, message, sig.id))
        self._end_signal(sig, "blocked", f"{rule}: {message}")

    # -- fills and positions ----------------------------------------------------------------------
    def _on_fill(self, fill: Fill) -> None:
        order = self.orders.pop(fill.order_id, None)
        if order is None:
            order = self._adopt_exchange_exit(fill)
            if order is None:
                log.warning("fill for unknown order %s", fill.order_id)
                return
        self.fees_paid += fill.fee
        self._emit(OrderFilled(fill.ts, order, fill))
        if order.intent == OrderIntent.ENTRY:
            self.pending_entries.pop(order.market, None)
            self._open_position(order, fill)
        else:
            pos = self.positions.pop(order.market, None)
            if pos is None:
                return
            st = self.markets.get(order.market)
            if st is not None:
                st.side(pos.rides).window.untrack_peak(pos.id)
            hook = getattr(self.broker, "on_position_closed", None)
            if hook is not None:
                hook(pos)  # live brokers cancel whichever exchange-side exit is left
            self._charge_funding(pos, fill.ts)
            trade = close_position(pos, fill.price, fill.ts, fill.fee, order.reason)
            self.trades.append(trade)
            self.realised_pnl += trade.pnl
            self.risk.record_exit(trade.market, fill.ts, trade.reason, trade.pnl)
            self._emit(PositionClosed(fill.ts, trade))
            self._check_daily_loss(fill.ts)

    def _adopt_exchange_exit(self, fill: Fill) -> Order | None:
        """A live broker's exchange-side stop or take-profit fired without us asking: close the
        position it belongs to, with the reason the broker reports."""
        if fill.extras.get("intent") != OrderIntent.EXIT or fill.market not in self.positions:
            return None
        pos = self.positions[fill.market]
        return Order(
            id=fill.order_id,
            market=fill.market,
            side=fill.side,
            qty=fill.qty,
            intent=OrderIntent.EXIT,
            submitted_ts=fill.ts,
            ref_price=fill.price,
            reason=str(fill.extras.get("reason", "stop")),
            signal_id=pos.signal_id,
            position_id=pos.id,
            reduce_only=True,
            status="filled",
        )

    def _on_reject(self, rej: Rejection) -> None:
        order = self.orders.pop(rej.order_id, None)
        if order is None:
            return
        if order.intent == OrderIntent.ENTRY:
            self.pending_entries.pop(order.market, None)
            self._entry_plans.pop(order.id, None)
        else:
            pos = self.positions.get(order.market)
            if pos is not None:
                pos.exit_pending = ""  # the exit rules will fire again on the next price
                self._schedule_position(pos, self.markets[pos.market])  # ...or at its next deadline
        self._emit(OrderRejected(rej.ts, order, rej.reason))

    def _open_position(self, order: Order, fill: Fill) -> None:
        sig = self._entry_plans.pop(order.id, None)
        st = self.markets[order.market]
        pos = open_from_fill(order, fill, sig, st.vol.sigma_over(VOL_HORIZON_S), self.cfg.exits)
        if sig is not None:
            pos.extras["risk_usd"] = sig.risk_usd
        rate = None if st.funding_rate is None else st.funding_rate * st.funding_interval_h / 8.0
        note_funding_terms(pos, rate, st.funding_interval_h, st.next_funding_ts, st.mark or fill.price, fill.ts)
        self.positions[order.market] = pos
        st.side(pos.rides).window.track_peak(pos.id, self._now)
        self._schedule_position(pos, st)
        self._emit(PositionOpened(fill.ts, pos))
        hook = getattr(self.broker, "on_position_opened", None)
        if hook is not None:
            hook(pos)  # live brokers place the exchange-side stop and take-profit here
        if self.risk.killed:  # an entry that was already on the wire when the kill switch fired
            self._exit(pos, "kill")

    # -- funding ----------------------------------------------------------------------------------
    def _funding_on_mark(self, market: str, ev: MarkPrice) -> None:
        """Before a mark updates the market: charge the funding times it shows have passed, at
        the rate and mark known before them, then note the venue's new terms."""
        pos = self.positions.get(market)
        if pos is None:
            return
        now = self._now
        self._charge_funding(pos, now)
        note_funding_terms(
            pos, ev.funding_rate, getattr(ev, "funding_interval_h", 8.0), ev.next_funding_ts, ev.mark, now
        )

    def _charge_funding(self, pos: Position, now: float) -> None:
        for ts, rate, mark, amount in accrue_funding(pos, now):
            self.funding_paid += amount
            hook = getattr(self.broker, "on_funding", None)
            if hook is not None:
                hook(pos.market, amount)  # the paper account pays or receives it
            self._emit(FundingCharged(ts, pos, rate, mark, amount))

    def _check_position(self, pos: Position, st: MarketState, now: float) -> None:
        if pos.exit_pending:
            return
        mark = st.mark if st.mark is not None else st.price
        if mark is None:
            return
        pos.update_excursion(mark)
        w = st.side(pos.rides).window
        # exhaustion is the ride playbook's exit; a fade enters because the cascade is exhausted
        peak = w.peak(pos.id) if pos.playbook == "ride" else 0.0
        reason = check_exit(pos, mark, now, w.total, peak, self.cfg.exits)
        if reason:
            self._exit(pos, reason, mark)

    def _exit(self, pos: Position, reason: str, mark: float | None = None) -> None:
        if pos.exit_pending:
            return
        now = self._now
        pos.exit_pending = reason
        ref = mark if mark is not None else (self.mark_of(pos.market) or pos.entry_price)
        self._emit(ExitTriggered(now, pos, reason, ref))
        order = Order(
            id=f"o{next(self._ids)}",
            market=pos.market,
            side="sell" if pos.side == "long" else "buy",
            qty=pos.qty,
            intent=OrderIntent.EXIT,
            submitted_ts=now,
            ref_price=ref,
            reason=reason,
            signal_id=pos.signal_id,
            position_id=pos.id,
            reduce_only=True,
        )
        self.orders[order.id] = order
        self._emit(OrderSubmitted(now, order))
        self.broker.submit(order)

    def restore_position(self, pos: Position) -> None:
        """Re-adopt a position after a restart (journal recovery or exchange reconciliation),
        keeping its stop, take-profit and hold timer exactly as they were."""
        st = self.markets.get(pos.market)
        if st is None:
            st = self._new_market(pos.market)
        pos.exit_pending = ""
        self.positions[pos.market] = pos
        st.side(pos.rides).window.track_peak(pos.id, self._now)
        self._schedule_position(pos, st)
        self._emit(PositionRestored(self._now, pos))
        if self.risk.killed:
            self._exit(pos, "kill")

    def unrealised(self) -> float:
        total = 0.0
        for pos in self.positions.values():
            m = self.mark_of(pos.market)
            if m is not None:
                total += pos.unrealised(m)
        return total

    def _check_daily_loss(self, now: float) -> None:
        if self.mode != Mode.WATCH and self.risk.loss_limit_breached(now, self.unrealised()):
            self._set_mode(Mode.WATCH, "daily loss limit reached")

    def close_all(self, reason: str) -> str:
        """Close every position with a given reason (e.g. "end_of_data" when a backtest runs out)."""
        return self._flatten(list(self.positions), reason)

    def _flatten(self, markets: list[str], reason: str) -> str:
        n = 0
        for m in markets:
            pos = self.positions.get(m)
            if pos is not None and not pos.exit_pending:
                self._exit(pos, reason)
                n += 1
        return f"closing {n} position{'s' if n != 1 else ''}"

    def position_exit_hint(self, pos: Position) -> tuple[str, str]:
        st = self.markets[pos.market]
        w = st.side(pos.rides).window
        mark = self.mark_of(pos.market) or pos.entry_price
        return nearest_exit(pos, mark, self._now, w.total, w.peak(pos.id), self.cfg.exits)
