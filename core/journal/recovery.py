"""Crash recovery: the positions the journal holds as open go back into a new engine with
their stops, take-profits and hold timers, and today's risk counters are rebuilt from the
trades table so a restart cannot reset the daily limits."""
from __future__ import annotations

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
        id=row["id"], market=row["market"], side=row["side"], qty=row["qty"], entry_price=row["entry_price"],
        entry_ts=row["entry_ts"], stop_price=row["stop_price"], take_profit_price=row["take_profit_price"],
        stop_pct=row["stop_pct"], signal_id=row["signal_id"] or "", score=row["score"] or 0.0, rides=row["rides"],
        entry_fee=row["entry_fee"] or 0.0, playbook=row["playbook"] or "ride", max_hold_until=row["max_hold_until"],
        mfe_pct=row["mfe_pct"] or 0.0, mae_pct=row["mae_pct"] or 0.0, signal_price=row["signal_price"] or 0.0,
        extras={JOURNAL_KEY: row["key"], "risk_usd": row.get("risk_usd")},
        funding=row.get("funding") or 0.0, next_funding_ts=row.get("next_funding_ts"),
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


def restore_risk_counters(risk: RiskManager, journal: Journal, now: float, source: str | None = None) -> None:
    """Today's (UTC) entries per market, realised P&L and post-stop cooldowns, from the journal."""
    start = day_start(now)
    risk.day = utc_day(now)
    risk.trades_today.clear()
    risk.realised_today = 0.0
    where, params = ("AND s.source = ?", (source,)) if source is not None else ("", ())
    entered = journal.query(
        f"""SELECT market, COUNT(*) AS n FROM (
                SELECT t.market FROM trades t JOIN sessions s ON s.id = t.session_id WHERE t.entry_ts >= ? {where}
                UNION ALL
                SELECT p.market FROM positions_open p JOIN sessions s ON s.id = p.session_id WHERE p.entry_ts >= ? {where})
            GROUP BY market""",
        (start, *params, start, *params))
    for r in entered:
        risk.trades_today[r["market"]] = r["n"]
    (realised,) = journal.query(
        f"SELECT COALESCE(SUM(t.pnl), 0) AS pnl FROM trades t JOIN sessions s ON s.id = t.session_id WHERE t.exit_ts >= ? {where}",
        (start, *params))
    risk.realised_today = realised["pnl"]
    stops = journal.query(
        f"""SELECT t.market, MAX(t.exit_ts) AS ts FROM trades t JOIN sessions s ON s.id = t.session_id
            WHERE t.reason = 'stop' AND t.exit_ts > ? {where} GROUP BY t.market""",
        (now - risk.cfg.cooldown_after_stop_s, *params))
    for r in stops:
        risk.cooldown_until[r["market"]] = r["ts"] + risk.cfg.cooldown_after_stop_s


def restore_into(engine, journal: Journal) -> list[Position]:
    """Re-adopt the journal's open positions (from sessions with the journal's source label)
    into `engine` and rebuild today's risk counters. The journal must have an open session; it
    is attached if it is not, so each restore is journaled. With a live broker, run
    core.brokers.reconcile.startup_reconcile next (the exchange wins) and journal its report
    with core.journal.reconciliation.record_reconciliation."""
    if journal.session_id is None:
        raise ValueError("open a journal session before restoring into an engine")
    journal.attach(engine)
    engine.advance(engine.clock.now())
    now = engine.now
    positions = open_positions(journal, journal.source)
    for p in positions:
        engine.restore_position(p)  # journaled as PositionRestored by the attached journal
    restore_risk_counters(engine.risk, journal, now, journal.source)
    journal.flush()
    return positions
