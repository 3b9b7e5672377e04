"""Repaint a pane only when what it would draw has changed.

Panes are refreshed from engine state on a timer; building a pane's `Text` costs well under a
millisecond, while Textual's compositor pass for a changed pane costs several. So each pane
builds its text, compares it with what is on screen, and asks for a repaint only on a change —
which keeps the shared event loop (and the engine in it) free between real updates.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region

from tui.render_guard import guard_render


def drawn_key(text: Text) -> tuple:
    return (text.plain, tuple(text.spans))


def line_keys(text: Text) -> list[tuple]:
    return [(line.plain, tuple(line.spans)) for line in text.split("\n", allow_blank=True)]


def height_may_change(old_lines: int, new_lines: int, height: int) -> bool:
    """Whether an auto-height pane showing `old_lines` in a box `height` lines tall needs a layout
    pass (the whole screen, several ms) to show `new_lines`. More lines than the box means it is
    held at its max-height, fewer means at its min-height; then a change on the same side of the
    box cannot change its size."""
    if height <= 0:  # not laid out yet
        return True
    if old_lines > height and new_lines >= height:
        return False
    if old_lines < height and new_lines <= height:
        return False
    return True


class RepaintWhenChanged:
    """Mixin for `Widget`s whose `render()` returns a `Text` built from their own fields.

    Only the lines that changed are marked dirty, so the terminal receives those lines and not
    the whole pane: a list where one figure moves costs one line on the wire, not forty."""

    _drawn: list[tuple] | None = None
    _drawn_size: tuple[int, int] | None = None

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        # a pane that cannot draw shows the error in place instead of ending the console
        render = cls.__dict__.get("render")
        if render is not None and not getattr(render, "__guarded__", False):
            cls.render = guard_render(render)

    def refresh_if_changed(self) -> None:
        size = (self.content_size.width, self.content_size.height)  # type: ignore[attr-defined]
        keys = line_keys(self.render())  # type: ignore[attr-defined]
        old, self._drawn = self._drawn, keys
        if old is None or size != self._drawn_size or len(old) != len(keys):
            self._drawn_size = size
            # a different number of lines can change the height of an auto-sized pane
            self.refresh(layout=old is not None and height_may_change(len(old), len(keys), size[1]))  # type: ignore[attr-defined]
            return
        changed = [y for y, (a, b) in enumerate(zip(old, keys, strict=True)) if a != b]  # equal lengths (above)
        if changed:
            self.refresh(*(Region(0, y, size[0], 1) for y in changed))  # type: ignore[attr-defined]


def set_title(widget, title: str | None = None, subtitle: str | None = None) -> None:
    """Assign border titles only when they change: every assignment repaints the pane."""
    if title is not None and getattr(widget, "_title_text", None) != title:
        widget._title_text = title
        widget.border_title = title
    if subtitle is not None and getattr(widget, "_subtitle_text", None) != subtitle:
        widget._subtitle_text = subtitle
        widget.border_subtitle = subtitle
