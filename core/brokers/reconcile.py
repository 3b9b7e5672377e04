"""Reconciling the engine with the venue: on start and periodically. The venue wins.

- venue position the engine does not know → adopted (`engine.restore_position`) with a stop and
  take-profit from the exit config around the venue's entry price, placed on the venue;
- engine position the venue does not have → closed in the engine (an exit Fill, reason "reconcile");
- both, different size → the engine takes the venue's size; different side → the venue's position
  replaces the engine's, and an alert says so;
- after a restart the exchange-side exits are re-placed under this run's client ids (the old ones
  are cancelled first), so the watcher can follow them.

Only the broker's public API is used. Periodic passes are run by `core.brokers.reconcile_loop`,
started by the composition root: the broker never holds the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.brokers.live_types import ExchangePosition
from core.positions import Position, stop_pct_for

if TYPE_CHECKING:
    from core.brokers.live_base import LiveBroker


@dataclass
class ReconcileReport:
    adopted: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    resized: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{k} {', '.join(v)}" for k, v in vars(self).items() if v]
        return "; ".join(parts) or "in sync"


def position_from_exchange(e: ExchangePosition, engine, pos_id: str) -> Position:
    cfg = engine.cfg.exits
    stop_pct = stop_pct_for(None, cfg)
    d = 1 if e.side == "long" else -1
    now = engine.now if engine.now != float("-inf") else engine.clock.now()
    return Position(
        id=pos_id,
        market=e.market,
        side=e.side,
        qty=e.qty,
        entry_price=e.entry_price,
        entry_ts=now,
        stop_price=e.entry_price * (1 - d * stop_pct / 100),
        take_profit_price=e.entry_price * (1 + d * cfg.take_profit_pct / 100),
        stop_pct=stop_pct,
        signal_id="",
        score=0.0,
        rides="short" if e.side == "long" else "long",
        max_hold_until=now + cfg.max_hold_s,
        signal_price=e.entry_price,
        extras={"adopted_from": "exchange"},
    )


async def reconcile(engine, broker: LiveBroker, replace_exits: bool = False) -> ReconcileReport:
    """Compare and fix. `replace_exits=True` (start-up) re-places the venue stops for every position."""
    report = ReconcileReport()
    venue = {p.market: p for p in await broker.fetch_positions()}
    pending = getattr(engine, "pending_entries", {})
    for market, pos in list(engine.positions.items()):
        if broker.busy(market) or market in pending or pos.exit_pending:
            continue  # an order in flight explains any difference; look again next time
        e = venue.get(market)
        if e is None:
            broker.report_flat(market, pos.qty, pos.side, pos.entry_price)
            report.closed.append(market)
        elif e.side != pos.side:
            broker.alert(f"{market}: engine held {pos.side} {pos.qty:g}, venue holds {e.side} {e.qty:g}; venue wins")
            new = position_from_exchange(e, engine, pos.id + "r")
            engine.restore_position(new)
            await broker.protect(new)
            report.replaced.append(market)
        else:
            if abs(e.qty - pos.qty) > 1e-12:
                pos.qty = e.qty
                report.resized.append(market)
            else:
                report.kept.append(market)
            if replace_exits or market not in broker.tracked or abs(broker.tracked[market].qty - e.qty) > 1e-12:
                await broker.protect(pos)
    for market, e in venue.items():
        if market in engine.positions or broker.busy(market) or market in pending:
            continue
        pos = position_from_exchange(e, engine, f"adopt-{market}")
        engine.restore_position(pos)
        await broker.protect(pos)
        report.adopted.append(market)
    return report


async def startup_reconcile(engine, broker: LiveBroker) -> ReconcileReport:
    """Run once after `broker.start()` and before trading: also re-places the venue stops for
    every position under this run's client ids. The composition root then starts a
    `ReconcileLoop` for the periodic passes."""
    return await reconcile(engine, broker, replace_exits=True)
