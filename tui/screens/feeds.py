"""The feed table (key `v`): per venue its state, messages/s, lag, age of the last message, drops by
reason, reconnects, next retry, and how complete its liquidation stream is. Read-only: it renders
the `FeedHealth` snapshots the live source keeps (core.feeds.health) and the engine's feed states."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

REFRESH_S = 1.0


def _num(v: float | None, fmt: str, none: str = "—") -> str:
    return none if v is None else format(v, fmt)


def feed_table_lines(engine, health: dict, now: float) -> list[str]:
    """One block per venue: a row of figures, then why (if not connected) and the coverage caveat."""
    if not health:
        return ["no live feeds (simulator or replay)"]
    lines = [f"{'venue':<12}{'state':<13}{'msg/s':>7}{'lag ms':>8}{'age s':>7}{'reconn':>7}{'retry s':>8}  drops"]
    for venue in sorted(health):
        h = health[venue]
        state = engine.feed_states.get(venue, h.state)  # the engine's view adds silence-staleness
        drops = dict(h.dropped)
        for reason, n in getattr(h, "rows_dropped", {}).items():
            drops[f"{reason} rows"] = n
        drop_text = ", ".join(f"{k} {v}" for k, v in sorted(drops.items())) or "none"
        lines.append(f"{venue:<12}{state:<13}{h.msgs_per_s:>7.1f}{_num(h.lag_ms, '.0f'):>8}"
                     f"{_num(h.age_s(now), '.0f'):>7}{h.reconnects:>7}{_num(h.retry_in_s(now), '.0f'):>8}  {drop_text}")
        if state != "connected":
            never = " (never reached this run)" if state == "down" and not h.ever_connected else ""
            lines.append(f"  {state}{never}: {h.reason or h.last_error or 'no reason given'}")
        elif h.last_error:
            lines.append(f"  last error: {h.last_error}")
        if h.coverage:
            lines.append(f"  liquidations: {h.coverage}")
    return lines


class FeedsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    FeedsScreen { align: center middle; }
    FeedsScreen > VerticalScroll { width: 110; max-width: 100%; height: auto; max-height: 100%;
        padding: 0 1; border: round $primary; background: $surface; }
    """
    BINDINGS = [Binding("escape,q,v", "close", "Close")]

    def __init__(self, engine, source, clock) -> None:
        super().__init__()
        self.engine, self.source, self.clock = engine, source, clock

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Feeds per venue · esc closes"
            yield Static(self._text(), id="feed-table", markup=False)

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self._refresh_table)

    def _text(self) -> Text:
        health = getattr(self.source, "health", None)
        return Text("\n".join(feed_table_lines(self.engine, health if isinstance(health, dict) else {}, self.clock.now())))

    def _refresh_table(self) -> None:
        if self.is_attached:
            self.query_one("#feed-table", Static).update(self._text())

    def action_close(self) -> None:
        if self.is_active:
            self.dismiss(None)
