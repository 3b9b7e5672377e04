"""Journaling what start-up (or periodic) reconciliation with a live exchange changed.

The decisions live in core.brokers.reconcile (the exchange wins). Closes and adoptions
there go through the engine and reach the journal as PositionClosed / PositionRestored;
what this adds is one `reconcile_diffs` row per difference, and a fresh open-position row
for positions whose size was changed in place, so the next restart restores the
exchange's size rather than the stale one."""

from __future__ import annotations

from core.journal.journal import Journal

ACTIONS = ("adopted", "closed", "resized", "replaced")  # ReconcileReport fields that are differences


def record_reconciliation(journal: Journal, engine, report, ts: float | None = None) -> int:
    """`report`: core.brokers.reconcile.ReconcileReport (duck-typed: lists of markets per action).
    Returns the number of differences journaled."""
    now = engine.now if ts is None else ts
    n = 0
    for action in ACTIONS:
        for market in getattr(report, action, ()):
            pos = engine.positions.get(market)
            journal.write(
                "reconcile_diffs",
                {
                    "ts": now,
                    "market": market,
                    "kind": action,
                    "action": "exchange wins",
                    "exchange_qty": pos.qty if pos is not None else 0.0,
                    "detail": f"{action}: "
                    + (f"now {pos.side} {pos.qty:g} @ {pos.entry_price:g}" if pos else "flat on the exchange"),
                },
            )
            if pos is not None and action == "resized":
                journal.save_position(pos)
            n += 1
    journal.flush()
    return n
