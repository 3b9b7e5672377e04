"""The tape filter prompt: one line, any order: a minimum size, a market, a side."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class TapeFilterScreen(ModalScreen[str | None]):
    DEFAULT_CSS = """
    TapeFilterScreen { align: center middle; }
    TapeFilterScreen > Vertical { width: 60; max-width: 100%; height: auto; border: round $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Filter the tape"
            yield Static(Text("e.g. 50k · BTC · long · 1m ETH short · empty = show all"), markup=False)
            inp = Input(value=self.current, placeholder="min USD, market, side", id="filter")
            inp.cursor_blink = False
            yield inp

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.is_active:
            self.dismiss(event.value)

    def action_cancel(self) -> None:
        if self.is_active:
            self.dismiss(None)
