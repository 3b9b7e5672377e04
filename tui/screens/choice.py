"""Small keyboard-only dialogs: arm (semi / full auto), quit with positions open, help."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: {width}; max-width: 100%; height: auto; padding: 0 2; border: round $primary; background: $surface; }}
"""


class ChoiceDialog(ModalScreen[str | None]):
    """One line of question, one line per choice with its key; escape cancels (None)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ChoiceDialog", width=60)
    BINDINGS = [Binding("escape", "choose('')", "Cancel")]

    def __init__(self, title: str, question: str, choices: list[tuple[str, str, str]]) -> None:
        """choices: (key, value, label)."""
        super().__init__()
        self.title_text, self.question, self.choices = title, question, choices
        for key, value, label in choices:
            self._bindings.bind(key, f"choose('{value}')", label)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(Text(self.question), markup=False)
            for key, _, label in self.choices:
                yield Static(Text(f"  [{key}] {label}"), markup=False)
            yield Static(Text("  [esc] cancel"), markup=False)

    def action_choose(self, value: str) -> None:
        if self.is_active:
            self.dismiss(value or None)


def arm_dialog(current: str) -> ChoiceDialog:
    return ChoiceDialog(
        "Arm",
        f"Now {current}. Trade signals how?",
        [("s", "semi", "SEMI-AUTO: ask me to confirm each entry"),
         ("u", "auto", "FULL-AUTO: enter by itself, announce each entry")],
    )


def quit_dialog(n_positions: int) -> ChoiceDialog:
    return ChoiceDialog(
        "Quit",
        f"{n_positions} position{'s' if n_positions != 1 else ''} open.",
        [("f", "flatten", "flatten all, then quit"),
         ("l", "leave", "quit and leave the (paper) positions open")],
    )


HELP = """\
Keys
  a      arm: semi-auto (confirm each entry) or full-auto
  d / F9 disarm (back to WATCH; open positions keep their exits)
  k / ctrl+k  KILL: flatten everything and disarm, no questions
  f      flatten the selected market      F  flatten all
  y / n  confirm / skip the signal in the dialog
  ↑ / ↓  select a market (drives the heat pane and highlights)
  /      filter the tape: 50k BTC long · 1m · short · empty clears
  s      stats per playbook and score tier (session and journal)
  t      next theme    ctrl+p  command palette    ?  this help
  q      quit (asks first when positions are open)

Tape: ▼L = long positions liquidated (forced sells), ▲S = short
positions liquidated (squeeze). Meters: ▼ long USD grows left of │,
▲ short USD grows right; score 0–10; state idle/watch/SIG/IN POS
(fade playbook: track/FADE).
Modes: WATCH never trades · SEMI-AUTO asks · FULL-AUTO trades alone."""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="HelpScreen", width=76)
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "liqhunt help · esc closes"
            yield Static(Text(HELP), markup=False)

    def action_close(self) -> None:
        if self.is_active:
            self.dismiss(None)
