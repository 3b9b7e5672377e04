"""Which pending signal the confirm panel shows: a pure state machine over signal ids.

`sync(ids)` takes the signals that need confirming (oldest first, from the snapshot); the
first one not yet answered is shown; `answer()` returns the command to send and moves on.
A signal is answered at most once; one that ends in the engine (entered, expired, blocked)
simply leaves the next `sync`. No screen, no engine: tested on its own.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from core.engine_commands import Confirm, Reject

HANDLED_MEMORY = 2000


class ConfirmQueue:
    def __init__(self) -> None:
        self.ids: list[str] = []  # waiting, in arrival order (the active one included)
        self.active: str | None = None
        self._handled: deque[str] = deque(maxlen=HANDLED_MEMORY)

    def sync(self, ids: Sequence[str]) -> None:
        """The signals the engine says still need a confirm; new ones queue behind the rest."""
        live = [i for i in ids if i not in self._handled]
        keep = [i for i in self.ids if i in live]
        self.ids = keep + [i for i in live if i not in keep]
        if self.active not in self.ids:
            self.active = self.ids[0] if self.ids else None

    def position(self) -> tuple[int, int]:
        """(1-based position of the shown signal, how many wait) — the panel's `2/4`."""
        if self.active is None:
            return 0, 0
        return self.ids.index(self.active) + 1, len(self.ids)

    def step(self, delta: int) -> None:
        """Look at the next / previous waiting signal without answering."""
        if self.active is not None and self.ids:
            self.active = self.ids[(self.ids.index(self.active) + delta) % len(self.ids)]

    def answer(self, take: bool) -> Confirm | Reject | None:
        """The command for the shown signal (None when nothing waits); the next one is shown."""
        sid = self.active
        if sid is None:
            return None
        self._handled.append(sid)
        i = self.ids.index(sid)
        self.ids.remove(sid)
        self.active = self.ids[min(i, len(self.ids) - 1)] if self.ids else None
        return Confirm(sid) if take else Reject(sid)

    def clear(self) -> None:
        self.ids.clear()
        self.active = None

    def __len__(self) -> int:
        return len(self.ids)
