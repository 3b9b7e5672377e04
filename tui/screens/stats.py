"""The stats screen (key `s`): win rate and P&L per playbook and score tier, with sample sizes.

This session's figures come straight from the engine's closed trades; the journal's history
(every session of this source) is read in a worker thread so SQLite never blocks the screen.
"""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from core.positions import TIERS
from core.trade_stats import by_tier, fmt_ci, interval_sentence, summarize
from tui.screens.choice import DIALOG_CSS


def tier_lines(trades: list, title: str) -> list[str]:
    lines = [title]
    if not trades:
        return lines + ["  no closed trades yet"]
    for pb in ("ride", "fade"):
        pts = [t for t in trades if _get(t, "playbook") == pb]
        if not pts:
            continue
        total = summarize(pts)
        lines.append(f"  {pb}: {total.trades} trades, P&L {total.pnl:+,.2f}, {interval_sentence(total)}")
        lines.append(f"  {'tier':<6}{'n':>4}{'win':>6}{'95 % CI':>10}{'mean bps':>10}{'cost':>6}{'P&L':>11}")
        tiers = by_tier(pts)
        for tier in TIERS:
            s = tiers[tier]
            if not s.trades:
                lines.append(f"  {tier:<6}{0:>4}{'—':>6}{'—':>10}{'—':>10}{'—':>6}{'—':>11}")
                continue
            ci = fmt_ci(s.win_rate_ci)
            lines.append(f"  {tier:<6}{s.trades:>4}{s.win_rate:>6.0%}{ci:>10}{s.mean_bps:>+10.1f}{s.cost_bps:>6.0f}{s.pnl:>+11.2f}")
    return lines


def _get(t, name):
    return t.get(name) if isinstance(t, dict) else getattr(t, name, None)


class StatsScreen(ModalScreen[None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="StatsScreen", width=78) + """
    StatsScreen > VerticalScroll { width: 78; max-width: 100%; height: auto; max-height: 100%;
        padding: 0 1; border: round $primary; background: $surface; }
    """
    BINDINGS = [Binding("escape,q,s", "close", "Close")]

    def __init__(self, engine, journal=None) -> None:
        super().__init__()
        self.engine = engine
        self.journal = journal

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Stats per playbook and score tier · esc closes"
            yield Static(Text("\n".join(tier_lines(list(self.engine.trades), "This session"))), id="session", markup=False)
            yield Static(Text("Journal history: reading…" if self.journal else "Journal history: no journal attached"),
                         id="history", markup=False)

    def on_mount(self) -> None:
        if self.journal is not None:
            self.load_history()

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def load_history(self) -> None:
        try:
            rows = self.journal.trades(source=getattr(self.journal, "source", None) or None)
            text = "\n".join(tier_lines(rows, f"Journal history ({getattr(self.journal, 'source', '') or 'all'} sessions)"))
        except Exception as exc:  # a journal problem must not take the console down
            text = f"Journal history unavailable: {exc}"
        self.app.call_from_thread(self._show_history, text)

    def _show_history(self, text: str) -> None:
        if self.is_attached:
            self.query_one("#history", Static).update(Text(text))

    def action_close(self) -> None:
        if self.is_active:
            self.dismiss(None)
