"""StatusLine: one k9s-style line at the bottom — the latest message for a few seconds, the keys otherwise.

Messages never stack over the panes; every one is kept (bounded) and `m` lists them all.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from tui.widgets.repaint import RepaintWhenChanged

FLASH_S = 6.0
HISTORY = 300

# (key, label, priority): lower priority stays longer as the line narrows; q Quit and ? Help never go
HINTS = (
    ("K", "Kill", 0),
    ("?", "Help", 0),
    ("q", "Quit", 0),
    ("a", "Arm", 1),
    ("d", "Disarm", 1),
    ("f", "Flat", 2),
    ("F", "All", 3),
    ("⏎", "Market", 4),
    ("l", "Signals", 5),
    ("m", "Msgs", 6),
    ("e", "Feeds", 6),
    ("/", "Filter", 7),
    ("s", "Stats", 8),
    ("t", "Theme", 9),
)
ORDER = ("a", "d", "f", "F", "K", "⏎", "/", "l", "e", "m", "s", "t", "?", "q")


@dataclass(frozen=True, slots=True)
class Message:
    ts: float  # engine time, for the history
    text: str
    level: str = "info"  # info | warn | error


def hint_text(width: int, extra: tuple[tuple[str, str, int], ...] = ()) -> list[tuple[str, str]]:
    hints = HINTS + extra
    keep: list[tuple[str, str, int]] = []
    used = 0
    for h in sorted(hints, key=lambda h: h[2]):
        need = len(h[0]) + len(h[1]) + 4
        if h[2] == 0 or used + need <= width:
            keep.append(h)
            used += need
    order = {k: i for i, k in enumerate(ORDER)}
    return [(k, label) for k, label, _ in sorted(keep, key=lambda h: order.get(h[0], len(order)))]


class StatusLine(RepaintWhenChanged, Widget, can_focus=False):
    COMPONENT_CLASSES = {"status--key", "status--info", "status--warn", "status--error", "status--dim"}
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; text-wrap: nowrap; text-overflow: clip; }
    StatusLine > .status--key { text-style: bold reverse; }
    StatusLine > .status--info { text-style: bold; }
    StatusLine > .status--warn { color: $warning; text-style: bold; }
    StatusLine > .status--error { color: $error; text-style: bold reverse; }
    StatusLine > .status--dim { color: $text-muted; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.history: deque[Message] = deque(maxlen=HISTORY)
        self._flash_until = 0.0
        self.extra: tuple[tuple[str, str, int], ...] = ()

    def flash(self, text: str, level: str = "info", ts: float = 0.0) -> None:
        self.history.append(Message(ts, text, level))
        self._flash_until = time.monotonic() + FLASH_S
        self.refresh_if_changed()

    def current(self) -> Message | None:
        if self.history and time.monotonic() < self._flash_until:
            return self.history[-1]
        return None

    def tick(self) -> None:
        self.refresh_if_changed()

    def render(self) -> Text:
        cls = self.get_component_rich_style
        out = Text(no_wrap=True, overflow="ellipsis")
        msg = self.current()
        if msg is not None:
            mark = {"error": "✖ ", "warn": "⚠ "}.get(msg.level, "· ")
            out.append(mark + msg.text, cls(f"status--{msg.level}"))
            if len(self.history) > 1:
                out.append(f"  (m: {len(self.history)} msgs)", cls("status--dim"))
            return out
        for n, (key, label) in enumerate(hint_text(self.content_size.width or 80, self.extra)):
            if n:
                out.append(" ")
            out.append(f" {key} ", cls("status--key"))
            out.append(label)
        return out
