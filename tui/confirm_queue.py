"""One confirm dialog on screen at a time, the rest queued by signal id.

A signal is offered once, answered at most once (Confirm / Reject go to the engine by id),
and dropped from the queue or closed on screen the moment the engine says it ended.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from core.engine_commands import Confirm, Reject
from core.signals import Signal
from tui.screens.confirm import CONFIRM, REJECT, ConfirmSignal

if TYPE_CHECKING:
    from tui.app import LiqHuntApp

HANDLED_MEMORY = 2000


class ConfirmQueue:
    def __init__(self, app: "LiqHuntApp") -> None:
        self.app = app
        self.pending: deque[str] = deque()
        self.active: ConfirmSignal | None = None
        self._handled: deque[str] = deque(maxlen=HANDLED_MEMORY)

    @property
    def active_id(self) -> str | None:
        return self.active.signal.id if self.active is not None else None

    def offer(self, sig: Signal) -> None:
        if sig.id == self.active_id or sig.id in self.pending or sig.id in self._handled:
            return
        self.pending.append(sig.id)
        if self.active is None:
            self._show_next()

    def ended(self, signal_id: str) -> None:
        """The engine ended this signal (entered, expired, rejected, blocked)."""
        if signal_id == self.active_id:
            self.active.close(None)  # the callback promotes the next one
        elif signal_id in self.pending:
            self.pending.remove(signal_id)

    def clear(self) -> None:
        """Disarmed: nothing left to confirm."""
        self.pending.clear()
        if self.active is not None:
            self.active.close(None)

    def answer(self, answer: str) -> bool:
        """y / n pressed outside the dialog (e.g. from the command palette)."""
        if self.active is None:
            return False
        self.active.close(answer)
        return True

    def _show_next(self) -> None:
        self.active = None
        engine = self.app.engine
        while self.pending:
            sid = self.pending.popleft()
            sig = engine.signals.get(sid)
            if sig is None or sig.seconds_left(self.app.clock.now()) <= 0:
                continue
            self.active = ConfirmSignal(sig, self.app.clock.now, self.app.risk_context(sig.market))
            self.app.push_screen(self.active, lambda result, sid=sid: self._on_result(sid, result))
            return

    def _on_result(self, sid: str, result: str | None) -> None:
        self._handled.append(sid)
        if result == CONFIRM:
            self.app.submit(Confirm(sid))
        elif result == REJECT:
            self.app.submit(Reject(sid))
        self._show_next()

    def __len__(self) -> int:
        return len(self.pending) + (1 if self.active is not None else 0)
