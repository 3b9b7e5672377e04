"""A pane that fails to draw shows its error in place; the console keeps running.

Textual ends the whole app on any exception raised while rendering or in a timer callback. A
single hostile value (a mark of 1e308 reaching the heat maths, a clock of 1e300) must cost one
pane, not the session that manages open positions. Three guards:

- `guard_render` wraps a widget's `render()` (whole-text panes),
- `guard_render_line` wraps a line-API widget's `render_line()` (the tape),
- `pane_update(widget)` wraps the console's per-refresh `show()` of one pane.

The failure text replaces the pane's content until the pane draws again without error; each
distinct failure is logged once (the log, not the screen, keeps the traceback).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

log = logging.getLogger("liqhunt.console")

ERROR_STYLE = Style(color="red", bold=True)
_logged: set[str] = set()


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 160 else text[:157] + "…"


def _log_once(where: str, exc: BaseException) -> None:
    key = f"{where}:{type(exc).__name__}"
    if key not in _logged:
        _logged.add(key)
        log.error("%s failed to draw; the error is shown in the pane", where, exc_info=exc)


def failure(widget) -> str | None:
    """The error a pane is currently showing instead of its content, if any."""
    return getattr(widget, "_render_failure", None)


def _failure_text(widget, message: str) -> Text:
    return Text(f"⚠ {type(widget).__name__} cannot draw: {message}", style=ERROR_STYLE, no_wrap=False)


def guard_render(render: Callable) -> Callable:
    @functools.wraps(render)
    def guarded(self):
        shown = getattr(self, "_show_failure", None)
        if shown:
            return _failure_text(self, shown)
        try:
            out = render(self)
        except Exception as exc:
            _log_once(type(self).__name__, exc)
            self._render_failure = describe(exc)
            return _failure_text(self, self._render_failure)
        self._render_failure = None
        return out

    guarded.__guarded__ = True  # type: ignore[attr-defined]
    return guarded


def guard_render_line(render_line: Callable) -> Callable:
    @functools.wraps(render_line)
    def guarded(self, y: int) -> Strip:
        width = max(0, self.size.width)
        msg = getattr(self, "_show_failure", None)
        if msg:  # the pane's update failed: one line says so, at the top
            if y != 0:
                return Strip.blank(width)
        else:
            try:
                return render_line(self, y)
            except Exception as exc:  # this row cannot draw: the row says why
                _log_once(type(self).__name__, exc)
                msg = self._render_failure = describe(exc)
        return Strip([Segment(f"⚠ {type(self).__name__} cannot draw: {msg}", ERROR_STYLE)]).adjust_cell_length(width)

    guarded.__guarded__ = True  # type: ignore[attr-defined]
    return guarded


@contextlib.contextmanager
def pane_update(widget) -> Iterator[None]:
    """Run one pane's update; on an exception the pane shows it and the refresh moves on."""
    try:
        yield
    except Exception as exc:
        _log_once(f"{type(widget).__name__}.show", exc)
        message = describe(exc)
        if getattr(widget, "_show_failure", None) != message:
            widget._show_failure = message
            with contextlib.suppress(Exception):
                widget.refresh()
        return
    if getattr(widget, "_show_failure", None):
        widget._show_failure = None
        with contextlib.suppress(Exception):
            widget.refresh()
