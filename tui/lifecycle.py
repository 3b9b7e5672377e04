"""How the console ends: on `q`, on SIGTERM/SIGHUP, when its terminal goes away, or when it crashes.

Why a thread: when the terminal disappears (tmux session killed, SSH dropped) Textual's writer
thread dies on EIO, its queue (30 writes) fills, and the event loop blocks for ever in
`WriterThread.write` ← `LinuxDriver.write` ← `App._display`. Nothing that runs *in* the loop
(asyncio signal handlers, timers) ever runs again, while the engine still holds positions.
So the `ConsoleGuard` watches from outside the loop:

- SIGTERM / SIGHUP handlers are plain `signal.signal` handlers: they run in the main thread
  even while it is blocked on that queue, and only set a flag;
- a watchdog thread polls the terminal (POLLHUP/POLLERR on stdin and the screen's fd), notices
  a writer thread that died and a writer queue that has not drained for `stall_s`;
- then: the loop is asked to disarm the engine and exit; if it does not, the writer is cut off
  (writes dropped, its queue drained) so the loop can run again; if the process is still there
  after `grace_s`, the journal is closed from the watchdog and the process exits.

Every way out names itself in the journal's `end_reason` ("SIGTERM", "terminal lost: …",
"crash: …"); only a normal quit is "clean exit", and only that exits 0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger("liqhunt.console")

TERMINAL_LOST_CODE = 128 + signal.SIGHUP  # as if the terminal had sent SIGHUP
HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)  # SIGINT: `kill -INT` (ctrl+c is a key in raw mode)


class ConsoleGuard:
    def __init__(
        self,
        app,
        on_disarm: Callable[[], None] | None = None,
        close_journal: Callable[[str], None] | None = None,
        grace_s: float = 2.0,
        poll_s: float = 0.1,
        stall_s: float = 1.2,
        fds: tuple[int, ...] | None = None,
    ) -> None:
        self.app = app
        self.on_disarm = on_disarm
        self.close_journal = close_journal
        self.grace_s = grace_s
        self.poll_s = poll_s
        self.stall_s = stall_s
        self.fds = fds
        self.end_reason = "clean exit"
        self.exit_code = 0
        self.requested = threading.Event()
        self.finished = threading.Event()  # app.run() returned
        self._loop = None
        self._previous: dict[int, object] = {}
        self._thread: threading.Thread | None = None

    # -- wiring -----------------------------------------------------------------------------------
    def install(self, loop) -> None:
        """Call inside the running loop (the app's on_mount), on the main thread."""
        self._loop = loop
        for sig in HANDLED_SIGNALS:
            with contextlib.suppress(ValueError, OSError):  # not the main thread: the watchdog still runs
                self._previous[sig] = signal.signal(sig, self._on_signal)
        if self.fds is None:
            self.fds = tuple(_tty_fds())
        self._thread = threading.Thread(target=self._watch, name="liqhunt-console-guard", daemon=True)
        self._thread.start()

    def uninstall(self) -> None:
        self.finished.set()
        for sig, handler in self._previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()

    # -- requests to end ----------------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame) -> None:
        # runs in the main thread, possibly in the middle of the blocked writer queue: set flags only
        self.request(signal.Signals(signum).name, 128 + signum)

    def request(self, reason: str, code: int) -> None:
        """End the console for `reason` with exit `code`; safe from any thread or a signal handler."""
        if self.requested.is_set():
            return
        self.end_reason, self.exit_code = reason, code
        self.requested.set()
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(self._exit_in_loop)

    def _exit_in_loop(self) -> None:
        log.warning("console ending: %s", self.end_reason)
        if self.on_disarm is not None:
            try:
                self.on_disarm()
            except Exception:
                log.exception("disarm on exit failed")
        self.app.exit(return_code=self.exit_code)

    # -- the watchdog -------------------------------------------------------------------------------
    def _watch(self) -> None:
        full_since: float | None = None
        while not self.finished.is_set():
            if self.requested.wait(self.poll_s):
                break
            lost = self._terminal_gone()
            writer = _writer(self.app)
            if lost is None and writer is not None:
                if not writer.is_alive() and _still_running(self.app):
                    lost = "the screen writer stopped (terminal write failed)"
                elif writer._queue.full():
                    full_since = full_since or time.monotonic()
                    if time.monotonic() - full_since >= self.stall_s:
                        lost = f"the terminal has not taken output for {self.stall_s:.1f} s"
                else:
                    full_since = None
            if lost is not None:
                self.request(f"terminal lost: {lost}", TERMINAL_LOST_CODE)
                break
        if self.finished.is_set():
            return
        deadline = time.monotonic() + self.grace_s
        # give the loop a moment to exit on its own, then unblock it: a terminal that is gone
        # (or that we are leaving) gets no more output
        if not self.finished.wait(min(0.5, self.grace_s / 3)):
            self._cut_off_writer()
        if self.finished.wait(max(0.0, deadline - time.monotonic() - 0.3)):
            return
        log.error(
            "console did not stop within %.1f s (%s): closing the journal and exiting", self.grace_s, self.end_reason
        )
        if self.close_journal is not None:
            with contextlib.suppress(Exception):
                self.close_journal(f"{self.end_reason} (forced exit)")
        os._exit(self.exit_code or 1)

    def _terminal_gone(self) -> str | None:
        if not self.fds:
            return None
        p = select.poll()
        for fd in self.fds:
            p.register(fd, select.POLLHUP | select.POLLERR | select.POLLNVAL)
        try:
            ready = p.poll(0)
        except OSError as exc:
            return f"cannot poll the terminal ({exc.strerror})"
        for fd, mask in ready:
            if mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                what = "hung up" if mask & select.POLLHUP else "error"
                return f"terminal {what} (fd {fd})"
        return None

    def _cut_off_writer(self) -> None:
        writer = _writer(self.app)
        if writer is None:
            return
        writer.write = lambda text: None  # type: ignore[method-assign]
        writer.stop = lambda: None  # type: ignore[method-assign]  # its thread may be stuck in a write for ever
        q = writer._queue
        with contextlib.suppress(Exception):
            while True:
                q.get_nowait()


def _still_running(app) -> bool:
    # a writer thread stopped while the app shuts down on its own is not a lost terminal
    return (
        bool(getattr(app, "_running", False))
        and not getattr(app, "_exit", False)
        and not getattr(app, "_closing", False)
    )


def _writer(app):
    driver = getattr(app, "_driver", None)
    return getattr(driver, "_writer_thread", None)


def _tty_fds() -> list[int]:
    fds = []
    for stream in (sys.__stdin__, sys.__stderr__):
        with contextlib.suppress(Exception):
            fd = stream.fileno()
            if os.isatty(fd):
                fds.append(fd)
    return fds


def disarm(engine) -> None:
    """Back to WATCH: a console that is going away must not leave the engine trading unattended."""
    from core.engine_commands import Disarm

    if getattr(engine, "mode", "watch") != "watch":
        engine.submit(Disarm())


def guard_console(app, engine, journal) -> ConsoleGuard:
    """A guard for `app`, installed when the app mounts (inside its loop, on the main thread)."""
    import asyncio

    guard = ConsoleGuard(
        app,
        on_disarm=lambda: disarm(engine),
        close_journal=(lambda reason: journal.close(end_reason=reason)) if journal is not None else None,
    )
    app.mount_hooks.append(lambda: guard.install(asyncio.get_running_loop()))
    return guard


def finish_console(guard: ConsoleGuard, app, journal, command: str, crash: BaseException | None = None) -> int:
    """After app.run(): close the journal with the true end reason; the exit code to return.
    A crash (an exception out of run(), or Textual's own error exit) is never a clean exit."""
    guard.uninstall()
    reason, code = guard.end_reason, guard.exit_code
    error = crash or getattr(app, "_exception", None)
    if not guard.requested.is_set() and (error is not None or (app.return_code or 0) != 0):
        reason = (
            f"crash: {type(error).__name__}: {error}" if error is not None else f"crash: exit code {app.return_code}"
        )
        code = app.return_code or 1
    lost = None
    if journal is not None:
        journal.close(end_reason=reason[:300])
        lost = journal.failure_line() if hasattr(journal, "failure_line") else None
        if lost:  # the header said JOURNAL FAILING n; the exit code says it too: never 0 after losing a row
            code = code or 1
    if reason.startswith("terminal lost"):
        # Textual's writer thread may be stuck in a write to the dead terminal, holding stderr's
        # lock: a normal interpreter exit would block (or abort) flushing stderr. The journal is
        # closed; leave now.
        os._exit(code)
    line = None
    if crash is not None:
        line = f"liqhunt {command}: error: the console stopped: {type(crash).__name__}: {crash}"
    elif lost:
        line = f"liqhunt {command}: error: {lost}"
    elif guard.requested.is_set() and code:
        line = f"liqhunt {command}: {guard.end_reason}; engine disarmed, journal closed"
    if line:
        with contextlib.suppress(OSError, ValueError):  # the terminal may be the thing that is gone
            print(line, file=sys.stderr, flush=True)
    return code
