"""InfoView: the content area's other views (market, signals log, feeds, messages, help, stats).

It takes the main panes' place; the header, the signal panel and the status line stay, and
it re-renders from each snapshot. j/k/g/G scroll it; escape goes back.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui.widgets.repaint import RepaintWhenChanged, set_title


class InfoView(RepaintWhenChanged, Widget, can_focus=True):
    DEFAULT_CSS = """
    InfoView { height: 1fr; display: none; border: round $pane-border; background: $surface; padding: 0 1;
        text-wrap: nowrap; text-overflow: clip; border-title-style: bold; }
    InfoView:focus { border: heavy $pane-focus; }
    InfoView.-active { display: block; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.kind = ""
        self.lines: list[Text] = []
        self.row_offset = 0

    def open(self, kind: str) -> None:
        if kind != self.kind:
            self.row_offset = 0
        self.kind = kind
        self.add_class("-active")

    def close(self) -> None:
        self.kind = ""
        self.remove_class("-active")

    def show(self, title: str, lines: list[Text]) -> None:
        self.lines = lines
        set_title(self, title + "  · j/k scroll · esc back")
        self.row_offset = max(0, min(self.row_offset, len(lines) - 1))
        self.refresh_if_changed()

    def scroll_lines(self, step: int | None = None, to: int | None = None) -> None:
        rows = max(1, self.content_size.height)
        last = max(0, len(self.lines) - rows)
        self.row_offset = max(0, min(last, to if to is not None else self.row_offset + (step or 0)))
        self.refresh_if_changed()

    def render(self) -> Text:
        rows = max(1, self.content_size.height)
        shown = self.lines[self.row_offset : self.row_offset + rows]
        below = len(self.lines) - self.row_offset - len(shown)
        if below > 0 and shown:
            shown = shown[:-1] + [Text(f"+{below + 1} more ↓", style="dim")]
        return Text("\n", no_wrap=True).join(shown) if shown else Text("")
