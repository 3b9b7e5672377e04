"""Repaint a pane only when what it would draw has changed.

Panes are refreshed from engine state on a timer; building a pane's `Text` costs well under a
millisecond, while Textual's compositor pass for a changed pane costs several. So each pane
builds its text, compares it with what is on screen, and asks for a repaint only on a change —
which keeps the shared event loop (and the engine in it) free between real updates.
"""

from __future__ import annotations

import itertools

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip

from tui.render_guard import guard_render, guard_render_line


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


class CachedLines:
    """Mixin for line-API `Widget`s drawn from one `Text` per line (`build_lines()`, from the
    widget's own fields).

    `update_lines()` rebuilds the lines, compares each with what is on screen and marks only the
    changed ones dirty; `render_line` converts a line to a `Strip` the first time it is drawn and
    keeps it. So a repaint where a few figures move costs those lines, not a conversion of the
    whole pane (what a `render()` returning `Text` costs on every change). The strips are the
    ones Textual makes from the same `Text` (`Visual.to_strips`), so the screen is unchanged."""

    _lines: list[Text] | None = None
    _line_keys: list[tuple] | None = None
    _line_strips: dict[int, Strip]
    _built_for: tuple = ()  # (width, height, theme) the lines were built for

    def build_lines(self) -> list[Text]:
        raise NotImplementedError

    def _line_context(self) -> tuple:
        return (self.content_size.width, self.content_size.height, self.app.theme)  # type: ignore[attr-defined]

    def _rebuild(self) -> tuple[list[tuple] | None, list[tuple]]:
        old = self._line_keys
        lines = self.build_lines()
        self._lines, self._line_keys = lines, [(t.plain, tuple(t.spans)) for t in lines]
        self._line_strips = {}
        context = self._line_context()
        if context != self._built_for:
            self._segment_styles: dict = {}  # (span style, x, y) -> drawn style, for this size and theme
        self._built_for = context
        return old, self._line_keys

    def update_lines(self) -> None:
        context = self._line_context()
        keep = dict(getattr(self, "_line_strips", {})) if context == self._built_for else {}
        old, keys = self._rebuild()
        height = context[1]
        if old is None or not keep or len(old) != len(keys):
            self.refresh(
                layout=old is not None and len(old) != len(keys) and height_may_change(len(old), len(keys), height)
            )  # type: ignore[attr-defined]
            return
        changed = [y for y, (a, b) in enumerate(zip(old, keys, strict=True)) if a != b]
        # unchanged lines keep their strips, and so do the blank lines below the text
        self._line_strips = {y: s for y, s in keep.items() if y >= len(keys) or old[y] == keys[y]}
        if changed:
            width = context[0]
            self.refresh(*(Region(0, y, width, 1) for y in changed))  # type: ignore[attr-defined]

    @guard_render_line
    def render_line(self, y: int) -> Strip:
        if self._lines is None or self._built_for != self._line_context():
            self._rebuild()  # resized or re-themed since the last update
        strip = self._line_strips.get(y)
        if strip is None:
            lines = self._lines or []
            width = self.content_size.width  # type: ignore[attr-defined]
            style = self.visual_style  # type: ignore[attr-defined]
            if y < len(lines):
                strip = text_strip(self, lines[y], width, style, y, self._segment_styles)
            else:
                strip = Strip.blank(width, style.rich_style)
            self._line_strips[y] = strip
        return strip


def text_strip(widget, line: Text, width: int, visual_style, y: int = 0, styles: dict | None = None) -> Strip:
    """Line `y` of a pane as the `Strip` Textual would draw for it: a segment per span and per run
    between spans, each in the widget's base style under the span's own, marked with its cell
    offset as Textual marks it (for mouse selection; it also keeps equal neighbours apart, as
    Textual's are). Textual's general conversion (`Content.from_rich_text`, then
    `Visual.to_strips`) costs ~150 µs a line; this ~20, less with `styles` kept between calls.
    Lines it does not cover (overlapping spans, links, a text selection) take the general path."""
    from textual.visual import Visual, visualize

    if widget.text_selection is None and _plain_spans(line):
        strip = _span_strip(line, visual_style.rich_style, y, styles if styles is not None else {})
        return strip.crop(0, width) if strip.cell_length > width else strip
    strips = Visual.to_strips(widget, visualize(widget, line, markup=False), width, 1, visual_style)
    return strips[0] if strips else Strip.blank(width, visual_style.rich_style)


def _plain_spans(line: Text) -> bool:
    """Spans in order, not overlapping, with Style objects and no links."""
    pos = 0
    for span in line.spans:
        if span.start < pos or span.end < span.start or not isinstance(span.style, Style) or span.style.link:
            return False
        pos = span.end
    return True


def _span_strip(line: Text, base: Style, y: int, styles: dict) -> Strip:
    plain = line.plain
    segments: list[Segment] = []

    def add(text: str, style: Style | None, x: int) -> None:
        key = (style, x, y)
        st = styles.get(key)
        if st is None:
            st = styles[key] = base + (style or Style()) + Style(meta={"offset": (x, y)})
        segments.append(Segment(text, st))

    pos = x = 0
    for span in line.spans:
        if span.start > pos:
            gap = plain[pos : span.start]
            add(gap, None, x)
            x += cell_len(gap)
        if span.end > span.start:
            part = plain[span.start : span.end]
            add(part, span.style, x)  # type: ignore[arg-type]
            x += cell_len(part)
        pos = span.end
    if pos < len(plain):
        add(plain[pos:], None, x)
    return Strip(segments)


def drop_oldest(cache: dict, keep: int) -> None:
    """Past `keep` entries, forget the older half (dicts keep insertion order: in a tape those are
    the rows that scrolled away). Cached strips are hundreds of small objects each, and everything
    kept alive is walked by every full collection of the cyclic collector."""
    if len(cache) > keep:
        for key in list(itertools.islice(cache, len(cache) - keep // 2)):
            del cache[key]


def reuse_framed_rows(widget) -> None:
    """Let a line-API pane reuse each framed row (border, padding, background around a content
    line) while its content `Strip` is the same object: Textual's StylesCache rebuilds the frame
    for every dirty line (~25 µs a line), and in the tape every line is dirty whenever a row
    arrives, though most only moved down. The content strips come from the pane's own cache, so
    an unchanged row is the same object. Rows of the border itself, and any change of size, style
    or border, go through Textual as before. Relies on StylesCache.render_line (Textual 8.2)."""
    cache = widget._styles_cache
    original = cache.render_line
    framed: dict[int, tuple[Strip, tuple, Strip]] = {}

    def render_line(styles, y, size, content_size, padding, base_background, background, render_content, *rest):
        gutter = styles.gutter
        if not (gutter.top <= y < size.height - gutter.bottom):  # a border or padding row
            return original(styles, y, size, content_size, padding, base_background, background, render_content, *rest)
        content = render_content(y - gutter.top)
        key = (size, content_size, padding, base_background, background, styles.border, styles.tint, *rest[2:])
        hit = framed.get(id(content))
        if hit is not None and hit[0] is content and hit[1] == key:
            return hit[2]
        strip = original(styles, y, size, content_size, padding, base_background, background, lambda _y: content, *rest)
        drop_oldest(framed, keep=3 * max(20, size.height))
        framed[id(content)] = (content, key, strip)
        return strip

    cache.render_line = render_line
