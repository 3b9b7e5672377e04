"""ModeHeader: the mode as a word in a coloured block, the source, P&L today, feeds and time."""
from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from core.engine import MODE_LABELS
from tui import numbers as fmt
from tui.widgets.repaint import RepaintWhenChanged


class ModeHeader(RepaintWhenChanged, Widget, can_focus=False):
    COMPONENT_CLASSES = {"header--watch", "header--semi", "header--auto", "header--title", "header--bad",
                         "header--gain", "header--loss", "header--dim"}
    DEFAULT_CSS = """
    ModeHeader { height: 1; background: $panel; }
    ModeHeader > .header--watch { background: $mode-watch; color: $mode-watch-text; text-style: bold; }
    ModeHeader > .header--semi { background: $mode-semi; color: $mode-semi-text; text-style: bold; }
    ModeHeader > .header--auto { background: $mode-auto; color: $mode-auto-text; text-style: bold; }
    ModeHeader > .header--title { text-style: bold; }
    ModeHeader > .header--bad { color: $error; text-style: bold reverse; }
    ModeHeader > .header--gain { color: $gain; }
    ModeHeader > .header--loss { color: $loss; }
    ModeHeader > .header--dim { color: $text-muted; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.mode = "watch"
        self.source = ""
        self.pnl = 0.0
        self.feeds_ok = (0, 0)
        self.now = 0.0
        self.alerts: list[str] = []

    def show(self, mode: str, source: str, pnl: float, feeds_ok: tuple[int, int], now: float, alerts: list[str]) -> None:
        self.mode, self.source, self.pnl, self.feeds_ok, self.now, self.alerts = mode, source, pnl, feeds_ok, now, alerts
        self.refresh_if_changed()

    def render(self) -> Text:
        cls = self.get_component_rich_style
        width = self.content_size.width
        out = Text(no_wrap=True, overflow="crop")
        out.append("liqhunt ", cls("header--title"))
        out.append(f"▌{MODE_LABELS.get(self.mode, self.mode.upper())}▐", cls(f"header--{self.mode}"))
        out.append(" ")
        for a in self.alerts:
            out.append(f" {a} ", cls("header--bad"))
            out.append(" ")
        out.append(self.source, Style(bold=True))
        right = Text(no_wrap=True)
        right.append("P&L ", cls("header--dim"))
        right.append(fmt.usd(self.pnl, signed=True), cls("header--gain" if self.pnl >= 0 else "header--loss"))
        ok, total = self.feeds_ok
        right.append("  feeds ", cls("header--dim"))
        right.append(f"{ok}/{total} ok" if ok == total else f"{ok}/{total} ⚠", Style() if ok == total else cls("header--bad"))
        if self.now > 0:
            right.append(f"  {fmt.hhmmss(self.now)}")
        gap = width - out.cell_len - right.cell_len
        if gap >= 2:
            out.append(" " * gap)
            out.append_text(right)
        elif width - out.cell_len > 12:
            out.append("  ")
            out.append(fmt.usd(self.pnl, signed=True), cls("header--gain" if self.pnl >= 0 else "header--loss"))
        return out
