"""SIGTERM / SIGHUP: commit the journal and leave cleanly, positions kept for the next start.

Nothing is installed on import: the composition root (console, headless run) opts in.
Open positions are deliberately not closed: paper positions come back with their stops on
the next start, and a live broker's exchange-side stops stay on the exchange.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from core.journal.journal import Journal

log = logging.getLogger("liqhunt.journal")

SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None)


def install_signal_handlers(
    journal: Journal,
    on_signal: Callable[[str], None] | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
) -> Callable[[], None]:
    """On SIGTERM/SIGHUP: flush the journal, then either call `on_signal(name)` (the console
    exits its app and closes the journal on the way out) or close the journal and exit with
    128 + signal number. With `loop`, handlers run inside the event loop. Returns an uninstaller."""

    def handle(signum: int) -> None:
        name = signal.Signals(signum).name
        log.warning("%s received: journal flushed, positions kept for the next start", name)
        journal.flush()
        if on_signal is not None:
            on_signal(name)
            return
        journal.close(end_reason=name)
        raise SystemExit(128 + signum)

    if loop is not None:
        for s in SIGNALS:
            loop.add_signal_handler(s, handle, s)

        def remove() -> None:
            for s in SIGNALS:
                loop.remove_signal_handler(s)

        return remove

    previous = {s: signal.signal(s, lambda signum, _frame: handle(signum)) for s in SIGNALS}

    def uninstall() -> None:
        for s, h in previous.items():
            signal.signal(s, h)

    return uninstall
