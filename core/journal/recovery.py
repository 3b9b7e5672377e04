"""Crash recovery: the positions the journal holds as open go back into a new engine with
their stops, take-profits and hold timers, and today's risk counters are rebuilt from the
trades table so a restart cannot reset the daily limits."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from pathlib import Path

from core.clock import WallClock
from core.journal.journal import Journal
from core.journal.paths import MEMORY
from core.journal.recorder import JOURNAL_KEY
from core.positions import Position
from core.risk import RiskManager, utc_day

DAY_S = 86_400.0


def day_start(ts: float) -> float:
    return ts - ts % DAY_S


def position_from_row(row: dict) -> Position:
    return Position(
        id=row["id"],
        market=row["market"],
        side=row["side"],
        qty=row["qty"],
        entry_price=row["entry_price"],
        entry_ts=row["entry_ts"],
        stop_price=row["stop_price"],
        take_profit_price=row["take_profit_price"],
        stop_pct=row["stop_pct"],
        signal_id=row["signal_id"] or "",
        score=row["score"] or 0.0,
        rides=row["rides"],
        entry_fee=row["entry_fee"] or 0.0,
        playbook=row["playbook"] or "ride",
        max_hold_until=row["max_hold_until"],
        mfe_pct=row["mfe_pct"] or 0.0,
        mae_pct=row["mae_pct"] or 0.0,
        signal_price=row["signal_price"] or 0.0,
        extras={JOURNAL_KEY: row["key"], "risk_usd": row.get("risk_usd")},
        funding=row.get("funding") or 0.0,
        next_funding_ts=row.get("next_funding_ts"),
    )


def open_positions(journal: Journal | str | Path, source: str | None = None) -> list[Position]:
    """Positions the journal holds as open, oldest first. `source` keeps only those opened
    or last restored by sessions with that label, so a demo's paper position never comes
    back into a live session."""
    if not isinstance(journal, Journal):
        if str(journal) != MEMORY and not Path(journal).exists():
            return []
        j = Journal(journal, WallClock())
        try:
            return open_positions(j, source)
        finally:
            j.close("read")
    sql = "SELECT p.* FROM positions_open p JOIN sessions s ON s.id = p.session_id"
    params: tuple = ()
    if source is not None:
        sql, params = sql + " WHERE s.source = ?", (source,)
    return [position_from_row(r) for r in journal.query(sql + " ORDER BY p.entry_ts", params)]


def restore_risk_counters(
    risk: RiskManager, journal: Journal, now: float, source: str | None = None, source_id: str | None = None
) -> None:
    """Today's (UTC) entries per market, realised P&L and post-stop cooldowns, from the journal.
    Only what happened at or before `now` counts: a simulator or replay that starts over must not
    inherit the losses of a later hour it has not reached (that would refuse to arm)."""
    start = day_start(now)
    risk.day = utc_day(now)
    risk.trades_today.clear()
    risk.realised_today = 0.0
    where, params = ("AND s.source = ?", (source,)) if source is not None else ("", ())
    if source_id is not None:
        where, params = where + " AND s.source_id = ?", (*params, source_id)
    entered = journal.query(
        f"""SELECT market, COUNT(*) AS n FROM (
                SELECT t.market FROM trades t JOIN sessions s ON s.id = t.session_id
                    WHERE t.entry_ts >= ? AND t.entry_ts <= ? {where}
                UNION ALL
                SELECT p.market FROM positions_open p JOIN sessions s ON s.id = p.session_id
                    WHERE p.entry_ts >= ? AND p.entry_ts <= ? {where})
            GROUP BY market""",
        (start, now, *params, start, now, *params),
    )
    for r in entered:
        risk.trades_today[r["market"]] = r["n"]
    (realised,) = journal.query(
        f"""SELECT COALESCE(SUM(t.pnl), 0) AS pnl FROM trades t JOIN sessions s ON s.id = t.session_id
            WHERE t.exit_ts >= ? AND t.exit_ts <= ? {where}""",
        (start, now, *params),
    )
    risk.realised_today = realised["pnl"]
    stops = journal.query(
        f"""SELECT t.market, MAX(t.exit_ts) AS ts FROM trades t JOIN sessions s ON s.id = t.session_id
            WHERE t.reason = 'stop' AND t.exit_ts > ? AND t.exit_ts <= ? {where} GROUP BY t.market""",
        (now - risk.cfg.cooldown_after_stop_s, now, *params),
    )
    for r in stops:
        risk.cooldown_until[r["market"]] = r["ts"] + risk.cfg.cooldown_after_stop_s


# Sources whose clock is their data's: it restarts with each run, so a position can only come
# back if this run is at (or past) the time the position was last seen, on the very same data.
REPLAYED_SOURCES = ("sim", "replay")


def sim_source_id(scenario: str, seed: int, markets: int, start_ts: float) -> str:
    return f"sim:{scenario}:seed={seed}:markets={markets}:start={start_ts:.0f}"


def replay_source_id(paths: Iterable[str | Path]) -> str:
    """The recordings' names and a hash of their bytes: the same data under another name is the same source."""
    h = hashlib.sha256()
    names = []
    for p in sorted(Path(x) for x in paths):
        names.append(p.name)
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    shown = names[0] if len(names) == 1 else f"{len(names)} files"
    return f"replay:{shown}#{h.hexdigest()[:16]}"


def live_source_id(venues: Iterable[str], broker: str) -> str:
    return f"live:{','.join(sorted(set(venues)))}:{broker}"


def _hhmmss(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def restore_into(engine, journal: Journal) -> list[Position]:
    """Re-adopt the journal's open positions into `engine` and rebuild today's risk counters.

    Only positions of the same source come back: the same label and, where the session knows it,
    the same source id (venues and broker; recording hash; simulator scenario, seed and start).
    For a simulator or replay the clock must also have reached the time each position was last
    seen; otherwise it is left in the journal untouched and `journal.recovery_notes` says why
    (restoring it would fire its exits at prices it never saw, with a negative hold time).
    The journal must have an open session; it is attached if it is not, so each restore is
    journaled. With a live broker, run core.brokers.reconcile.startup_reconcile next, before
    the first event (the exchange wins), and journal its report with
    core.journal.reconciliation.record_reconciliation."""
    if journal.session_id is None:
        raise ValueError("open a journal session before restoring into an engine")
    journal.attach(engine)
    engine.advance(engine.clock.now())
    now = engine.now
    replayed = journal.source in REPLAYED_SOURCES
    rows = journal.query(
        """SELECT p.*, s.source_id AS session_source_id, s.id AS sid FROM positions_open p
           JOIN sessions s ON s.id = p.session_id WHERE s.source = ? ORDER BY p.entry_ts""",
        (journal.source,),
    )
    positions, other, ahead = [], [], []
    for r in rows:
        sid = r.pop("session_source_id") or ""
        r.pop("sid")
        # live sessions from before source ids were recorded ("") still come back: the exchange reconciles them
        if journal.source_id and sid != journal.source_id and (replayed or sid):
            other.append(sid or "unknown")
            continue
        last_seen = max(r["entry_ts"], r.get("updated_ts") or r["entry_ts"])
        if last_seen > now + 1e-6:
            ahead.append(last_seen)
            continue
        positions.append(position_from_row(r))
    notes = journal.recovery_notes
    if other:
        kinds = ", ".join(sorted(set(other)))
        notes.append(
            f"{len(other)} open position(s) not restored: they belong to another {journal.source} source"
            f" ({kinds[:120]}) and stay in the journal"
        )
    if ahead:
        notes.append(
            f"{len(ahead)} open position(s) not restored: this {journal.source} starts at {_hhmmss(now)} UTC, "
            f"before they were last seen ({_hhmmss(max(ahead))} UTC); restoring them would fire their exits "
            f"at prices they never saw. They stay in the journal"
        )
    for p in positions:
        engine.restore_position(p)  # journaled as PositionRestored by the attached journal
    restore_risk_counters(engine.risk, journal, now, journal.source, journal.source_id if replayed else None)
    journal.flush()
    return positions
