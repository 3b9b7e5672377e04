"""EventRecorder: turns each engine event into the journal rows that describe it.

Pure translation, no I/O: `statements(ev)` returns SQL and parameters for the writer.
Position rows are keyed by `s<session>:<position id>` because engine position ids restart
at p1 every run; a restored position keeps the key of the session that opened it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from core.brokers.base import Order
from core.engine_events import (
    CommandApplied,
    ExitTriggered,
    FeedStateChanged,
    FundingCharged,
    ModeChanged,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    PositionClosed,
    PositionOpened,
    PositionRestored,
    RiskBlocked,
    SignalEnded,
    SignalRaised,
    WatchEnded,
    WatchStarted,
)
from core.journal.writer import Statement
from core.positions import Position
from core.signals import Signal

JOURNAL_KEY = "journal_key"  # Position.extras entry linking a live position to its journal row
COMPONENTS = ("speed", "size", "proximity", "funding", "oi")


@cache
def _insert_sql(table: str, cols: tuple[str, ...], conflict: tuple[str, ...] = ()) -> str:
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    if conflict:
        sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in conflict)
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {sets}"
    return sql


def insert(table: str, row: dict, conflict: tuple[str, ...] = ()) -> Statement:
    cols = tuple(row)
    return _insert_sql(table, cols, conflict), tuple(row.values())


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), default=str)


def command_kind(cmd: object) -> str:
    """`FlattenAll` -> `flatten_all`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(cmd).__name__).lower()


def signal_row(session_id: int, sig: Signal, ended_ts: float | None) -> dict:
    comps = {c.name: c for c in sig.score.components}
    row = {
        "session_id": session_id,
        "id": sig.id,
        "market": sig.market,
        "liquidated": sig.liquidated,
        "order_side": sig.order_side,
        "raised_ts": sig.raised_ts,
        "expires_ts": sig.expires_ts,
        "first_ts": sig.first_ts,
        "first_usd": sig.first_usd,
        "price": sig.price,
        "window_usd": sig.window_usd,
        "window_events": sig.window_events,
        "score": sig.score.total,
    }
    for name in COMPONENTS:
        row[f"c_{name}"] = comps[name].value if name in comps else None
    row.update(
        {
            "components": _dumps([dataclasses.asdict(c) for c in sig.score.components]),
            "filters": _dumps([{"name": f.name, "passed": f.passed, "detail": f.detail} for f in sig.filters]),
            "filters_failed": ",".join(f.name for f in sig.filters if not f.passed),
            "playbook": sig.playbook,
            "qty": sig.qty,
            "notional": sig.notional,
            "stop_pct": sig.stop_pct,
            "take_profit_pct": sig.take_profit_pct,
            "risk_usd": sig.risk_usd,
            "reward_risk": sig.reward_risk,
            "status": sig.status,
            "reason": sig.reason,
            "ended_ts": ended_ts,
        }
    )
    return row


def order_row(session_id: int, o: Order, done_ts: float | None = None) -> dict:
    return {
        "session_id": session_id,
        "id": o.id,
        "ts": o.submitted_ts,
        "market": o.market,
        "side": o.side,
        "qty": o.qty,
        "intent": o.intent,
        "ref_price": o.ref_price,
        "reason": o.reason,
        "signal_id": o.signal_id,
        "position_id": o.position_id,
        "reduce_only": int(o.reduce_only),
        "status": o.status,
        "reject_reason": o.reject_reason,
        "done_ts": done_ts,
    }


def position_row(session_id: int, key: str, p: Position, ts: float) -> dict:
    return {
        "key": key,
        "session_id": session_id,
        "id": p.id,
        "market": p.market,
        "side": p.side,
        "qty": p.qty,
        "entry_price": p.entry_price,
        "entry_ts": p.entry_ts,
        "stop_price": p.stop_price,
        "take_profit_price": p.take_profit_price,
        "stop_pct": p.stop_pct,
        "signal_id": p.signal_id,
        "score": p.score,
        "rides": p.rides,
        "entry_fee": p.entry_fee,
        "playbook": p.playbook,
        "max_hold_until": p.max_hold_until,
        "signal_price": p.signal_price,
        "mfe_pct": p.mfe_pct,
        "mae_pct": p.mae_pct,
        "updated_ts": ts,
        "funding": p.funding,
        "next_funding_ts": p.next_funding_ts,
        "risk_usd": p.extras.get("risk_usd"),
    }


class EventRecorder:
    def __init__(self, session_id: int) -> None:
        self.session_id = session_id
        self._open_keys: dict[str, str] = {}  # market -> journal key of the open position (one per market)

    def key_for(self, p: Position) -> str:
        key = p.extras.get(JOURNAL_KEY)
        if not key:
            key = p.extras[JOURNAL_KEY] = f"s{self.session_id}:{p.id}"
        return key

    def statements(self, ev: object) -> list[Statement]:
        handler = _HANDLERS.get(type(ev))
        return handler(self, ev) if handler else []

    # one method per engine event kind --------------------------------------------------------------
    def _signal_raised(self, ev: SignalRaised) -> list[Statement]:
        sig = ev.signal
        # the engine emits no WatchEnded when a watch becomes a signal: close the watch here
        return [
            insert("signals", signal_row(self.session_id, sig, None), ("session_id", "id")),
            (
                "UPDATE watches SET ended_ts = ?, outcome = ? WHERE session_id = ? AND market = ? AND ended_ts IS NULL",
                (ev.ts, f"signal {sig.id}", self.session_id, sig.market),
            ),
        ]

    def _signal_ended(self, ev: SignalEnded) -> list[Statement]:
        return [insert("signals", signal_row(self.session_id, ev.signal, ev.ts), ("session_id", "id"))]

    def _watch_started(self, ev: WatchStarted) -> list[Statement]:
        return [
            insert(
                "watches",
                {
                    "session_id": self.session_id,
                    "market": ev.market,
                    "started_ts": ev.ts,
                    "liquidated": ev.liquidated,
                    "usd": ev.usd,
                },
            )
        ]

    def _watch_ended(self, ev: WatchEnded) -> list[Statement]:
        return [
            (
                "UPDATE watches SET ended_ts = ?, outcome = ? WHERE session_id = ? AND market = ? AND ended_ts IS NULL",
                (ev.ts, ev.outcome, self.session_id, ev.market),
            )
        ]

    def _risk_blocked(self, ev: RiskBlocked) -> list[Statement]:
        return [
            insert(
                "risk_blocks",
                {
                    "session_id": self.session_id,
                    "ts": ev.ts,
                    "market": ev.market,
                    "rule": ev.rule,
                    "message": ev.message,
                    "signal_id": ev.signal_id,
                },
            )
        ]

    def _order_submitted(self, ev: OrderSubmitted) -> list[Statement]:
        return [insert("orders", order_row(self.session_id, ev.order), ("session_id", "id"))]

    def _order_filled(self, ev: OrderFilled) -> list[Statement]:
        f, o = ev.fill, ev.order
        fill = {
            "session_id": self.session_id,
            "order_id": f.order_id,
            "ts": f.ts,
            "market": f.market,
            "side": f.side,
            "qty": f.qty,
            "price": f.price,
            "fee": f.fee,
            "slippage_bps": f.slippage_bps,
            "latency_s": f.latency_s,
            "broker": f.broker,
            "intent": o.intent,
            "signal_id": o.signal_id,
            "position_id": o.position_id,
            "ref_price": o.ref_price,
            "extras": _dumps(f.extras),
        }
        # an upsert, because an exchange-side stop adopted by the engine has no submitted row yet
        return [
            insert("orders", {**order_row(self.session_id, o, ev.ts), "status": "filled"}, ("session_id", "id")),
            insert("fills", fill),
        ]

    def _order_rejected(self, ev: OrderRejected) -> list[Statement]:
        return [
            (
                "UPDATE orders SET status = 'rejected', reject_reason = ?, done_ts = ? WHERE session_id = ? AND id = ?",
                (ev.reason, ev.ts, self.session_id, ev.order.id),
            )
        ]

    def _position_opened(self, ev: PositionOpened) -> list[Statement]:
        key = self.key_for(ev.position)
        self._open_keys[ev.position.market] = key
        return [insert("positions_open", position_row(self.session_id, key, ev.position, ev.ts), ("key",))]

    def _position_restored(self, ev: PositionRestored) -> list[Statement]:
        p = ev.position
        key = self.key_for(p)
        self._open_keys[p.market] = key
        return [
            insert("positions_open", position_row(self.session_id, key, p, ev.ts), ("key",)),
            insert(
                "restores",
                {
                    "session_id": self.session_id,
                    "ts": ev.ts,
                    "position_key": key,
                    "position_id": p.id,
                    "market": p.market,
                    "side": p.side,
                    "qty": p.qty,
                    "stop_price": p.stop_price,
                    "take_profit_price": p.take_profit_price,
                    "max_hold_until": p.max_hold_until,
                },
            ),
        ]

    def _position_closed(self, ev: PositionClosed) -> list[Statement]:
        t = ev.trade
        key = self._open_keys.pop(t.market, None) or f"s{self.session_id}:{t.position_id}"
        row = {"session_id": self.session_id, "position_key": key}
        row.update({f.name: getattr(t, f.name) for f in dataclasses.fields(t)})
        row.update(hold_s=t.hold_s, return_bps=t.return_bps)
        return [insert("trades", row), ("DELETE FROM positions_open WHERE key = ?", (key,))]

    def _funding_charged(self, ev: FundingCharged) -> list[Statement]:
        p = ev.position
        key = self.key_for(p)
        return [
            insert(
                "funding",
                {
                    "session_id": self.session_id,
                    "ts": ev.ts,
                    "position_key": key,
                    "position_id": p.id,
                    "market": p.market,
                    "side": p.side,
                    "qty": p.qty,
                    "rate": ev.rate,
                    "mark": ev.mark,
                    "amount": ev.amount,
                },
            ),
            (
                "UPDATE positions_open SET funding = ?, next_funding_ts = ? WHERE key = ?",
                (p.funding, p.next_funding_ts, key),
            ),
        ]

    def _exit_triggered(self, ev: ExitTriggered) -> list[Statement]:
        p = ev.position
        return [
            insert(
                "exits_triggered",
                {
                    "session_id": self.session_id,
                    "ts": ev.ts,
                    "position_key": self.key_for(p),
                    "position_id": p.id,
                    "market": p.market,
                    "reason": ev.reason,
                    "mark": ev.mark,
                },
            ),
            # excursions so far, so a restart resumes MAE/MFE from here
            (
                "UPDATE positions_open SET mfe_pct = ?, mae_pct = ?, updated_ts = ? WHERE key = ?",
                (p.mfe_pct, p.mae_pct, ev.ts, self.key_for(p)),
            ),
        ]

    def _mode_changed(self, ev: ModeChanged) -> list[Statement]:
        return [
            insert(
                "mode_changes",
                {"session_id": self.session_id, "ts": ev.ts, "old": ev.old, "new": ev.new, "reason": ev.reason},
            )
        ]

    def _command_applied(self, ev: CommandApplied) -> list[Statement]:
        cmd = ev.command
        args = (
            dataclasses.asdict(cmd)
            if dataclasses.is_dataclass(cmd) and not isinstance(cmd, type)
            else {"repr": repr(cmd)}
        )
        return [
            insert(
                "commands",
                {
                    "session_id": self.session_id,
                    "ts": ev.ts,
                    "kind": command_kind(cmd),
                    "args": _dumps(args),
                    "result": ev.result.message,
                },
            )
        ]

    def _feed_state(self, ev: FeedStateChanged) -> list[Statement]:
        return [
            insert(
                "feed_states",
                {"session_id": self.session_id, "ts": ev.ts, "venue": ev.venue, "state": ev.state, "reason": ev.reason},
            )
        ]


_HANDLERS: dict[type, Callable[[EventRecorder, Any], list[Statement]]] = {
    SignalRaised: EventRecorder._signal_raised,
    SignalEnded: EventRecorder._signal_ended,
    WatchStarted: EventRecorder._watch_started,
    WatchEnded: EventRecorder._watch_ended,
    RiskBlocked: EventRecorder._risk_blocked,
    OrderSubmitted: EventRecorder._order_submitted,
    OrderFilled: EventRecorder._order_filled,
    OrderRejected: EventRecorder._order_rejected,
    PositionOpened: EventRecorder._position_opened,
    PositionRestored: EventRecorder._position_restored,
    PositionClosed: EventRecorder._position_closed,
    ExitTriggered: EventRecorder._exit_triggered,
    FundingCharged: EventRecorder._funding_charged,
    ModeChanged: EventRecorder._mode_changed,
    CommandApplied: EventRecorder._command_applied,
    FeedStateChanged: EventRecorder._feed_state,
}

# events after which the journal commits before the engine moves on: a crash must not lose them
DURABLE_NOW = (PositionOpened, PositionRestored, PositionClosed)
