"""ModeHeader: the mode as a word in a coloured block, the source, P&L today, feeds and time.

At any width the mode, P&L and the clock stay; feed state, alerts and the source label drop
in that order when the row is too short."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from core.engine import MODE_LABELS
from core.snapshot_rows import FeedView, SourceView
from tui import numbers as fmt
from tui.widgets.repaint import RepaintWhenChanged


class ModeHeader(RepaintWhenChanged, Widget, can_focus=False):
    COMPONENT_CLASSES = {
        "header--watch",
        "header--semi",
        "header--auto",
        "header--title",
        "header--bad",
        "header--gain",
        "header--loss",
        "header--dim",
    }
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
        self.source = SourceView()
        self.pnl = 0.0
        self.feeds: tuple[FeedView, ...] = ()
        self.now = 0.0
        self.alerts: list[str] = []

    def show(
        self, mode: str, source: SourceView, pnl: float, feeds: tuple[FeedView, ...], now: float, alerts: list[str]
    ) -> None:
        self.mode, self.source, self.pnl, self.feeds, self.now, self.alerts = mode, source, pnl, feeds, now, alerts
        self.refresh_if_changed()

    def feed_text(self) -> tuple[str, bool]:
        """('feeds 3/5', healthy?) or NO DATA when nothing is connected, ENDED after a replay."""
        if self.source.finished:
            return "ENDED", False
        ok = sum(1 for f in self.feeds if f.ok)
        if not self.feeds or (ok == 0 and all(f.never_connected or f.state == "failed" for f in self.feeds)):
            return "NO DATA", False
        return (f"feeds {ok}/{len(self.feeds)}" + ("" if ok == len(self.feeds) else " ⚠")), ok == len(self.feeds)

    def source_text(self) -> str:
        s = self.source
        text = s.label
        if s.kind in ("replay", "sim"):
            if s.speed is not None and (s.kind == "replay" or s.speed != 1):
                text = text.split(" ×")[0] + f" ×{s.speed:g}"
            if s.seeking:
                text += " ⏩ SEEK"
            elif s.paused:
                text += " ⏸ PAUSED"
            if s.progress is not None:
                text += f" {s.progress * 100:.0f}%"
        return text

    def render(self) -> Text:
        cls = self.get_component_rich_style
        width = self.content_size.width
        pnl_style = cls("header--gain" if self.pnl >= 0 else "header--loss")
        # never dropped: the mode (left), P&L and the clock (right)
        left = Text(no_wrap=True, overflow="crop")
        left.append("liqhunt ", cls("header--title"))
        left.append(f"▌{MODE_LABELS.get(self.mode, self.mode.upper())}▐", cls(f"header--{self.mode}"))
        right = Text(no_wrap=True)
        right.append("P&L ", cls("header--dim"))
        right.append(fmt.usd(self.pnl, signed=True), pnl_style)
        if self.now > 0:
            right.append(f" {fmt.hhmmss(self.now)}")
        feed, healthy = self.feed_text()
        # the rest by priority: feed state, alerts, then the source label
        optional: list[tuple[str, object]] = [(f" {feed} ", Style() if healthy else cls("header--bad"))]
        optional += [(f" {a} ", cls("header--bad")) for a in self.alerts]
        optional.append((" " + self.source_text(), Style(bold=True)))
        room = width - left.cell_len - right.cell_len - 1
        chosen = []
        for n, (text, style) in enumerate(optional):
            if len(text) + 1 <= room:
                chosen.append((n, text, style))
                room -= len(text) + 1
        out = left
        tail = Text(no_wrap=True)
        for n, text, style in chosen:  # alerts and source after the mode, feed state next to P&L
            if n == 0:
                tail.append(text, style)  # type: ignore[arg-type]
                tail.append(" ")
            else:
                out.append(" ")
                out.append(text, style)  # type: ignore[arg-type]
        tail.append_text(right)
        gap = width - out.cell_len - tail.cell_len
        out.append(" " * max(1, gap))
        out.append_text(tail)
        return out
