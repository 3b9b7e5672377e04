"""Crash recovery: the positions the journal holds as open go back into a new engine with
their stops, take-profits and hold timers, and today's risk counters are rebuilt from the
trades table so a restart cannot reset the daily limits.

Only into the same source (`sessions.source_id`, core.journal.identity), and only forward in
time (never a negative hold time). A simulator or a replay always starts its timeline over:
the positions of its earlier run would meet prices from before their entry (stops firing at
once, negative hold times, invented losses), and the engine re-makes those trades itself as the
timeline plays again. So they are never restored: they are set aside in the journal (kept,
marked `set_aside_by`), with one line saying so."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.clock import WallClock
from core.journal.identity import describe
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


def _source_filter(source: str | None, source_id: str | None, any_id: bool) -> tuple[str, tuple]:
    where: str = ""
    params: tuple = ()
    if source is not None:
        where, params = " AND s.source = ?", (source,)
    if not any_id:
        where, params = where + " AND s.source_id IS ?", (*params, source_id)
    return where, params


def open_positions(journal: Journal | str | Path, source: str | None = None, source_id: str | None = None,
                   any_id: bool = True, exclude_session: int | None = None) -> list[Position]:
    """Positions the journal holds as open, oldest first. `source` keeps only those opened
    or last restored by sessions with that label, so a demo's paper position never comes
    back into a live session; with `any_id=False` also only those of sessions whose source
    identity is `source_id`."""
    if not isinstance(journal, Journal):
        if str(journal) != MEMORY and not Path(journal).exists():
            return []
        j = Journal(journal, WallClock())
        try:
            return open_positions(j, source, source_id, any_id, exclude_session)
        finally:
            j.close("read")
    where, params = _source_filter(source, source_id, any_id)
    if exclude_session is not None:
        where, params = where + " AND s.id != ?", (*params, exclude_session)
    sql = "SELECT p.* FROM positions_open p JOIN sessions s ON s.id = p.session_id WHERE p.set_aside_by IS NULL" + where
    return [position_from_row(r) for r in journal.query(sql + " ORDER BY p.entry_ts", params)]


# the latest time a session is known to have reached: its start, entries, position updates, fills, exits
_LAST_TS = """MAX(s.started_ts,
    COALESCE((SELECT MAX(MAX(p.entry_ts, COALESCE(p.updated_ts, p.entry_ts))) FROM positions_open p WHERE p.session_id = s.id), s.started_ts),
    COALESCE((SELECT MAX(t.exit_ts) FROM trades t WHERE t.session_id = s.id), s.started_ts),
    COALESCE((SELECT MAX(f.ts) FROM fills f WHERE f.session_id = s.id), s.started_ts),
    COALESCE(s.ended_ts, s.started_ts))"""


def session_reach(journal: Journal, session_ids: list[int]) -> dict[int, float]:
    """session id -> the latest time that session is known to have reached."""
    if not session_ids:
        return {}
    marks = ",".join("?" * len(session_ids))
    rows = journal.query(f"SELECT s.id AS id, {_LAST_TS} AS reach FROM sessions s WHERE s.id IN ({marks})", tuple(session_ids))
    return {r["id"]: r["reach"] for r in rows}


@dataclass
class Recovery:
    restored: list[Position] = field(default_factory=list)
    refused: list[Position] = field(default_factory=list)
    note: str = ""  # one line when positions were held back, "" otherwise


def _is_live(journal: Journal) -> bool:
    return journal.source == "live"


def _timeline_sessions(journal: Journal, resumed: set[int]) -> list[int] | None:
    """Sessions whose trades count towards today's risk counters. Live time is one timeline: every
    live session (any venues: a real loss is a real loss). A simulator or a replay starts its own
    timeline each run: only this session and those whose positions it resumed."""
    if _is_live(journal) or journal.source_id is None:
        return None  # filter by label only
    return sorted(resumed | {journal.session_id or 0})


def restore_risk_counters(risk: RiskManager, journal: Journal, now: float, source: str | None = None,
                          sessions: list[int] | None = None) -> None:
    """Today's (UTC) entries per market, realised P&L and post-stop cooldowns, from the journal;
    `sessions` (when given) keeps only those sessions' rows."""
    start = day_start(now)
    risk.day = utc_day(now)
    risk.trades_today.clear()
    risk.realised_today = 0.0
    where, params = ("AND s.source = ?", (source,)) if source is not None else ("", ())
    if sessions is not None:
        where += f" AND s.id IN ({','.join(str(int(i)) for i in sessions) or 'NULL'})"
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


def recover(engine, journal: Journal) -> Recovery:
    """Re-adopt the open positions of earlier sessions with the journal's source label and
    identity into `engine`, when the engine's clock has reached the time those sessions did
    (never a negative hold time), and rebuild today's risk counters. The journal must have an
    open session; it is attached if it is not, so each restore is journaled. With a live broker,
    run core.brokers.reconcile.startup_reconcile next, before any price reaches the engine (the
    exchange wins), and journal its report with core.journal.reconciliation.record_reconciliation."""
    if journal.session_id is None:
        raise ValueError("open a journal session before restoring into an engine")
    journal.attach(engine)
    engine.advance(engine.clock.now())
    now = engine.now
    candidates = open_positions(journal, journal.source, journal.source_id, any_id=journal.source_id is None,
                                exclude_session=journal.session_id)
    owners = {p.extras[JOURNAL_KEY]: sid for sid, p in _owners(journal, candidates)}
    reach = session_reach(journal, sorted(set(owners.values())))
    out = Recovery()
    replayed = journal.source_id is not None and not _is_live(journal)  # a timeline that started over
    reached, earlier, occupied = 0.0, [], []
    for p in reversed(candidates):  # newest first: one position per market, the latest one
        ahead = max(p.entry_ts, reach.get(owners.get(p.extras[JOURNAL_KEY], -1), p.entry_ts))
        if replayed or ahead > now:
            earlier.append(p)
            reached = max(reached, ahead)
        elif p.market in engine.positions or any(q.market == p.market for q in out.restored):
            occupied.append(p)  # never overwrite a position the engine holds
        else:
            out.restored.append(p)
    out.restored.reverse()
    for p in out.restored:
        engine.restore_position(p)  # journaled as PositionRestored by the attached journal
    resumed = {owners.get(p.extras[JOURNAL_KEY], -1) for p in out.restored}
    restore_risk_counters(engine.risk, journal, now, journal.source, _timeline_sessions(journal, resumed))
    notes = []
    if earlier and replayed:
        for p in earlier:
            journal.write_sql("UPDATE positions_open SET set_aside_by = ? WHERE key = ?", (journal.session_id, p.extras[JOURNAL_KEY]))
        notes.append(f"journal {journal.path}: {len(earlier)} open position(s) of an earlier run of this {describe(journal.source_id)} "
                     f"(reached {_hms(reached)}) not restored: this run starts over at {_hms(now)}, where their stops would fire "
                     f"on earlier prices; set aside in the journal")
    elif earlier:
        notes.append(f"journal {journal.path}: {len(earlier)} open position(s) not restored: their session reached {_hms(reached)}, "
                     f"later than this clock ({_hms(now)}); they stay in the journal")
    if occupied:
        notes.append(f"journal {journal.path}: {len(occupied)} open position(s) not restored: the engine already holds "
                     f"{', '.join(sorted({p.market for p in occupied}))}; they stay in the journal")
    out.refused = earlier + occupied
    out.note = "; ".join(notes)
    journal.flush()
    return out


def restore_into(engine, journal: Journal) -> list[Position]:
    """recover(), returning the positions restored."""
    return recover(engine, journal).restored


def _owners(journal: Journal, positions: list[Position]) -> list[tuple[int, Position]]:
    if not positions:
        return []
    rows = journal.query("SELECT key, session_id FROM positions_open")
    sid = {r["key"]: r["session_id"] for r in rows}
    return [(sid.get(p.extras[JOURNAL_KEY], -1), p) for p in positions]


def _hms(ts: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))
