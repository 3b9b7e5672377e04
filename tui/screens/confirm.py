"""ConfirmSignal: the semi-auto entry dialog. It shows the whole plan, counts down to the end
of the entry window on the engine's clock, and closes itself when the signal ends."""
from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from core.events import short_name
from core.signals import Signal
from tui import numbers as fmt

CONFIRM, REJECT = "confirm", "reject"


class ConfirmSignal(ModalScreen[str | None]):
    """Dismissed with "confirm", "reject", or None when the signal ended or expired first."""

    BINDINGS = [
        Binding("y,enter", "answer('confirm')", "Enter trade"),
        Binding("n,escape", "answer('reject')", "Skip"),
    ]
    DEFAULT_CSS = """
    ConfirmSignal { align: center middle; }
    ConfirmSignal > Vertical {
        width: 80; max-width: 100%; height: auto; padding: 0 1;
        border: thick $mode-semi; border-title-style: bold; border-subtitle-style: bold;
        background: $surface;
    }
    ConfirmSignal .sell { color: $liq-long; text-style: bold; }
    ConfirmSignal .buy { color: $liq-short; text-style: bold; }
    ConfirmSignal #keys { margin-top: 1; }
    ConfirmSignal #bar { color: $mode-semi; }
    """

    def __init__(self, signal: Signal, now: Callable[[], float], context: str = "") -> None:
        super().__init__()
        self.signal = signal
        self.now = now
        self.context = context
        self.total_s = max(0.001, signal.expires_ts - signal.raised_ts)

    def compose(self) -> ComposeResult:
        s = self.signal
        with Vertical(id="box") as box:
            box.border_title = f"SIGNAL {s.market} {s.order_side.upper()} ({s.playbook})"
            yield Static(self._score_text(), id="score", markup=False)
            yield Static(self._window_text(), id="window", markup=False)
            yield Static(self._why_text(), id="why", markup=False)
            yield Static(self._plan_text(), id="plan", markup=False)
            if self.context:
                yield Static(self.context, id="context", markup=False)
            yield Static(Text("[y] enter trade    [n] skip    ctrl+k kill · F9 disarm"), id="keys", markup=False)
            yield Static("", id="bar", markup=False)

    def _score_text(self) -> Text:
        sc = self.signal.score
        t = Text(f"score {sc.total:.1f} = ", style="bold")
        t.append(" · ".join(f"{c.name} {c.value:.1f}{'' if c.known else '?'}" for c in sc.components), style="")
        return t

    def _window_text(self) -> Text:
        s = self.signal
        who = "longs" if s.liquidated == "long" else "shorts"
        ago = max(0.0, self.now() - s.first_ts)
        return Text(f"window {fmt.usd(s.window_usd)} {who} liquidated, {s.window_events} events, first {ago:.0f} s ago")

    def _why_text(self) -> Text:
        """Which playbook raised it and why: the fade's own reading, or the ride filters that passed."""
        s = self.signal
        why = s.extras.get("why") if s.extras else None
        if not why:
            passed = " ".join(f"{f.name}✓" for f in s.filters if f.passed)
            why = f"ride the cascade · {passed}"
        return Text(f"why: {why}", style="italic")

    def _plan_text(self) -> Text:
        s = self.signal
        side_word = "SELL ▼" if s.order_side == "sell" else "BUY ▲"
        t = Text()
        t.append(side_word, style="bold")
        t.append(f" {fmt.qty(s.qty)} {short_name(s.market)} ({fmt.usd(s.notional)}) @ {fmt.price(s.price)}\n")
        t.append(f"stop {fmt.price(s.stop_price)} ({s.stop_pct:.2f} %)   target {fmt.price(s.take_profit_price)} ({s.take_profit_pct:.2f} %)")
        skip = s.extras.get("size_skip") if s.extras else None
        if skip:
            t.append(f"\nsizing says skip: {skip}", style="bold")
        return t

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(0.25, self.tick)

    def tick(self) -> None:
        left = self.signal.seconds_left(self.now())
        box = self.query_one("#box", Vertical)
        box.border_subtitle = f"{left:.0f} s left"
        width = 30
        filled = round(width * left / self.total_s)
        self.query_one("#bar", Static).update(Text("█" * filled + "░" * (width - filled) + f"  closes in {left:4.1f} s"))
        self.query_one("#window", Static).update(self._window_text())
        if left <= 0:
            self.close(None)

    def action_answer(self, answer: str) -> None:
        self.close(answer)

    def close(self, result: str | None) -> None:
        """Dismiss only when on top, and only once (dismiss always pops the top screen)."""
        if self.is_active:
            self.dismiss(result)
