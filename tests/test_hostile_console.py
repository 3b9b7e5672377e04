"""The console cannot die from a render error, a bad value or a lost terminal.

In-process (Textual pilot): a pane whose update or drawing raises shows the error in place and
the app keeps answering keys. Out of process (a real pty): closing the terminal under a running
`liqhunt demo`, SIGHUP, SIGTERM and a terminal that stops reading all end the process within a
few seconds with the journal's session closed and naming why; `q` quits at the top speed.
"""

from __future__ import annotations

import os
import select
import signal
import time

from tests.hostile.ledger import case
from tests.hostile.pty_console import last_session, spawn
from tests.snapshot_apps.console_app import build_app
from tui.render_guard import failure, guard_render
from tui.widgets.heat import HeatPane
from tui.widgets.positions import PositionsPane
from tui.widgets.tape import LiquidationTape

SIZE = (100, 30)


def screen_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.query("HeatPane, PositionsPane, ModeHeader"))


async def test_a_pane_whose_update_raises_shows_the_error_and_the_app_keeps_running(monkeypatch):
    def overflow(self, *a, **kw):
        raise OverflowError("int too large to convert to float")

    monkeypatch.setattr(HeatPane, "show", overflow)
    app = build_app("watching")
    with case("console", "heat pane show() raises OverflowError") as c:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.refresh_panes()
            await pilot.pause()
            heat = app.query_one(HeatPane)
            text = str(heat.render())
            assert "cannot draw" in text and "OverflowError" in text
            await pilot.press("d")  # still answering keys
            assert app.engine.mode == "watch"
            assert app.return_code is None and app.is_running
        c.crashed = app._exception is not None


async def test_a_pane_whose_render_raises_shows_the_error_in_place(monkeypatch):
    # every pane's render() is guarded when its class is defined (RepaintWhenChanged.__init_subclass__)
    assert all(getattr(cls.render, "__guarded__", False) for cls in (PositionsPane, HeatPane))

    def broken(self):
        raise ValueError("cannot convert float NaN to integer")

    monkeypatch.setattr(PositionsPane, "render", guard_render(broken))
    app = build_app("watching")
    with case("console", "positions render() raises ValueError") as c:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            pane = app.query_one(PositionsPane)
            assert "cannot draw" in str(pane.render())
            assert failure(pane) and "NaN" in failure(pane)
            await pilot.pause(0.3)  # several timer refreshes later, still up
            assert app.is_running
        c.crashed = app._exception is not None


async def test_a_tape_row_that_cannot_draw_shows_the_error(monkeypatch):
    def boom(self, ev, row, width):
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr(LiquidationTape, "_segments", boom)
    app = build_app("watching")
    with case("console", "tape render_line raises") as c:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            tape = app.query_one(LiquidationTape)
            assert tape.ring, "the scenario has liquidations on the tape"
            lines = [tape.render_line(y).text for y in range(3)]
            assert any("cannot draw" in line and "OverflowError" in line for line in lines), lines
            await pilot.pause(0.3)
            assert app.is_running
        c.crashed = app._exception is not None


async def test_refresh_that_fails_outside_any_pane_is_announced_not_fatal(monkeypatch):
    app = build_app("watching")

    def broken_build(*a, **kw):
        raise OverflowError("math range error")

    with case("console", "engine view raises during refresh") as c:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            monkeypatch.setattr(app.snapshots, "build", broken_build)
            app.refresh_panes()
            await pilot.pause(0.3)
            assert app.is_running and "OverflowError" in app.refresh_error
        c.crashed = app._exception is not None


# --- a real terminal taken away -------------------------------------------------------------------
EXPECTED = {  # how -> (journal end_reason prefix(es), exit code, seconds allowed after the act)
    "close_master": (("terminal lost",), 129, 3.0),
    "sighup_ctty": (("SIGHUP", "terminal lost"), 129, 3.0),
    "sigterm": (("SIGTERM",), 143, 3.0),
    "sigint": (("SIGINT",), 130, 3.0),
    "stalled_reader": (("terminal lost",), 129, 25.0),  # the pty buffer has to fill first
    "q_at_top_speed": (("clean exit",), 0, 5.0),
}


def test_terminal_loss_and_signals_end_the_console_with_the_journal_closed(tmp_path):
    """Six consoles side by side (one pty each, the screens all read as a terminal would),
    then each loses its terminal in its own way."""
    runs = {}
    for how in EXPECTED:
        speed = "1000" if how == "q_at_top_speed" else "50" if how == "stalled_reader" else "1"
        journal = tmp_path / f"{how}.db"
        size = {"cols": 250, "rows": 80} if how == "stalled_reader" else {}  # a big screen fills the pty sooner
        mode = ["--mode", "semi"] if how in ("close_master", "sigterm") else []  # armed: the exit must disarm
        proc, master = spawn(
            ["demo", "--journal", str(journal), "--warmup", "5", "--speed", speed, *mode],
            controlling=how == "sighup_ctty",
            **size,
        )
        runs[how] = {"proc": proc, "master": master, "journal": journal, "screen": b"", "reading": True}
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and not all(r.get("drawn") for r in runs.values()):
            pump(runs, 0.2)
        for how, r in runs.items():
            assert r.get("drawn"), f"{how}: the console never drew: {r['screen'][-200:]!r}"
        pump(runs, 0.5)
        acted = time.monotonic()
        for how, r in runs.items():
            if how in ("close_master", "sighup_ctty"):
                os.close(r.pop("master"))
            elif how == "sigterm":
                r["proc"].send_signal(signal.SIGTERM)
            elif how == "sigint":
                r["proc"].send_signal(signal.SIGINT)
            elif how == "q_at_top_speed":
                os.write(r["master"], b"q")
            elif how == "stalled_reader":
                r["reading"] = False
        while time.monotonic() - acted < 30 and any(r["proc"].poll() is None for r in runs.values()):
            pump(runs, 0.1)
            for r in runs.values():
                if "took" not in r and r["proc"].poll() is not None:
                    r["took"] = time.monotonic() - acted
        problems = []
        for how, r in runs.items():
            prefixes, code, allowed = EXPECTED[how]
            with case("console/terminal", how) as c:
                took = r.get("took")
                c.hung = took is None or took > allowed
                c.exit_code = r["proc"].poll()
                sess = last_session(r["journal"])
                reason = sess.get("end_reason") or ""
                ok = (
                    not c.hung
                    and c.exit_code == code
                    and sess.get("ended_ts") is not None
                    and reason.startswith(prefixes)
                )
                if how in ("close_master", "sigterm") and ok:
                    changes = _query(r["journal"], "SELECT old, new FROM mode_changes")
                    ok = any(ch["new"] == "watch" for ch in changes)  # disarmed on the way out
                    reason += f"; mode changes {changes}"
                c.failed = not ok and not c.hung
                if not ok:
                    problems.append(f"{how}: took {took}, exit {c.exit_code} (want {code}), journal {reason!r}")
        assert not problems, problems
    finally:
        for r in runs.values():
            if r["proc"].poll() is None:
                r["proc"].kill()
                r["proc"].wait(5)
            if "master" in r:
                os.close(r["master"])


def pump(runs: dict, seconds: float) -> None:
    """Read every screen that is still being read, for `seconds`."""
    fds = {r["master"]: r for r in runs.values() if "master" in r and r["reading"]}
    end = time.monotonic() + seconds
    while fds and time.monotonic() < end:
        ready, _, _ = select.select(list(fds), [], [], 0.05)
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                fds.pop(fd)["reading"] = False
                continue
            r = fds[fd]
            r["screen"] = (r["screen"] + chunk)[-4096:]
            r["drawn"] = r.get("drawn") or b"liqhunt" in r["screen"]
    if not fds:
        time.sleep(max(0.0, end - time.monotonic()))


def test_a_crash_of_the_app_exits_non_zero_and_the_journal_says_so(tmp_path):
    """Anything the guards do not contain ends the app through Textual's error path: the command's
    exit code is non-zero and the session's end_reason names the crash, never `clean exit`."""
    from core.journal import Journal
    from tui.lifecycle import finish_console, guard_console

    app = build_app("watching")
    journal = Journal(tmp_path / "j.sqlite", app.clock)
    journal.open_session("watch", ["sim"], app.cfg, "sim")
    guard = guard_console(app, app.engine, journal)
    app.mount_hooks.append(lambda: app.call_later(_explode))
    with case("console", "unhandled error in the app") as c:
        app.run(headless=True, size=SIZE)
        code = finish_console(guard, app, journal, "demo")
        c.exit_code = code
        assert code != 0
        (row,) = Journal(tmp_path / "j.sqlite", app.clock).query("SELECT end_reason FROM sessions")
        assert row["end_reason"].startswith("crash: ZeroDivisionError"), row


def _explode() -> None:
    1 / 0  # noqa: B018


def _query(path, sql: str) -> list[dict]:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()
