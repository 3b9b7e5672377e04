"""Repaint a pane only when what it would draw has changed.

Panes are refreshed from engine state on a timer; building a pane's `Text` costs well under a
millisecond, while Textual's compositor pass for a changed pane costs several. So each pane
builds its text, compares it with what is on screen, and asks for a repaint only on a change —
which keeps the shared event loop (and the engine in it) free between real updates.
"""
from __future__ import annotations

from rich.text import Text

from tui.render_guard import guard_render


def drawn_key(text: Text) -> tuple:
    return (text.plain, tuple(text.spans))


class RepaintWhenChanged:
    """Mixin for `Widget`s whose `render()` returns a `Text` built from their own fields."""

    _drawn: tuple | None = None
    _drawn_size: tuple[int, int] | None = None

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        # a pane that cannot draw shows the error in place instead of ending the console
        render = cls.__dict__.get("render")
        if render is not None and not getattr(render, "__guarded__", False):
            cls.render = guard_render(render)

    def refresh_if_changed(self) -> None:
        size = (self.content_size.width, self.content_size.height)  # type: ignore[attr-defined]
        key = drawn_key(self.render())  # type: ignore[attr-defined]
        if key != self._drawn or size != self._drawn_size:
            self._drawn, self._drawn_size = key, size
            self.refresh()  # type: ignore[attr-defined]


def set_title(widget, title: str | None = None, subtitle: str | None = None) -> None:
    """Assign border titles only when they change: every assignment repaints the pane."""
    if title is not None and getattr(widget, "_title_text", None) != title:
        widget._title_text = title
        widget.border_title = title
    if subtitle is not None and getattr(widget, "_subtitle_text", None) != subtitle:
        widget._subtitle_text = subtitle
        widget.border_subtitle = subtitle
