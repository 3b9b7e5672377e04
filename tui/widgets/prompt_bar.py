"""PromptBar: a question docked at the bottom (arm, quit, tape filter) — the screen stays live above it.

Keys listed as choices answer it; escape cancels; everything else passes through, so the
panes keep scrolling and kill (K, ctrl+k) and disarm (F9) work as always.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.containers import Vertical
from textual.widgets import Input, Static


class PromptBar(Vertical, can_focus=True):
    DEFAULT_CSS = """
    PromptBar { height: auto; display: none; border: round $accent; background: $surface; padding: 0 1; }
    PromptBar.-active { display: block; }
    PromptBar:focus-within { border: heavy $accent; }
    PromptBar > Static { width: 1fr; }
    PromptBar > Input { border: none; height: 1; padding: 0; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.choices: dict[str, str] = {}
        self.callback: Callable[[str | None], None] | None = None
        self.kind = ""

    @property
    def active(self) -> bool:
        return self.has_class("-active")

    def ask(
        self,
        kind: str,
        title: str,
        lines: list[Text],
        choices: list[tuple[str, str, str]],
        callback: Callable[[str | None], None],
        input_value: str | None = None,
    ) -> None:
        """choices: (key, value, label); with `input_value` a one-line input answers on Enter."""
        self.remove_children()
        self.kind, self.callback = kind, callback
        self.choices = {k: v for k, v, _ in choices}
        self.border_title = title
        widgets: list = [Static(t, markup=False) for t in lines]
        for key, _, label in choices:
            widgets.append(Static(Text(f"[{key}] {label}"), markup=False))
        inp = None
        if input_value is not None:
            inp = Input(value=input_value, placeholder="min USD, market, side", id="prompt-input")
            inp.cursor_blink = False
            widgets.append(inp)
        widgets.append(Static(Text("[esc] cancel", style="dim"), markup=False))
        self.mount_all(widgets)
        self.add_class("-active")
        if inp is not None:
            self.call_after_refresh(inp.focus)
        else:
            self.focus()

    def close(self, value: str | None) -> None:
        if not self.active:
            return
        cb, self.callback = self.callback, None
        self.remove_class("-active")
        self.remove_children()
        self.kind = ""
        self.screen.set_focus(None)
        self.app.call_later(self.app.action_focus_default)  # type: ignore[attr-defined]
        if cb is not None:
            cb(value)

    def on_key(self, event: events.Key) -> None:
        if not self.active:
            return
        if event.key == "escape":
            event.stop()
            self.close(None)
        elif event.character in self.choices and not isinstance(self.screen.focused, Input):
            event.stop()
            self.close(self.choices[event.character])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close(event.value)
