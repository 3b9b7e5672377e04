"""`liqhunt backtest --journal PATH`: the same journal a live session writes, so the same
reports and `liqhunt journal` work on backtests. Sessions are labelled "backtest", which
keeps their positions out of crash recovery for live and demo sessions."""

from __future__ import annotations

from collections.abc import Callable

from core.journal.journal import Journal

BACKTEST_SOURCE = "backtest"


def open_for_backtest(path: str) -> tuple[Callable[[object], None], Callable[[], list[str]]]:
    """(on_engine, close): `on_engine(engine)` opens the journal on the engine's simulated clock
    and attaches it before the first event (JournalError, one line, if it cannot); `close()`
    flushes and closes it and returns one line per journal that lost rows (empty: all written)."""
    journals: list[Journal] = []

    def on_engine(engine) -> None:
        # a backtest opens and closes thousands of positions: skip the per-position commit wait
        j = Journal(path, engine.clock, sync_positions=False)
        venues = sorted({ins.venue for ins in engine.instruments.values()})
        j.open_session(engine.mode, venues, engine.cfg, BACKTEST_SOURCE, broker=getattr(engine.broker, "name", "paper"))
        j.attach(engine)
        journals.append(j)

    def close() -> list[str]:
        lost = []
        for j in journals:
            j.close("backtest end")
            line = j.failure_line()
            if line:
                lost.append(line)
        return lost

    return on_engine, close
