"""RiskPane: every risk counter against its limit, feed health per venue, the last block and why."""

from __future__ import annotations

import textwrap

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from core.events import short_name
from core.risk import RULES
from core.snapshot_rows import FeedView, RiskView
from tui import numbers as fmt
from tui.widgets.repaint import RepaintWhenChanged

RULE_LABELS = {
    "kill_switch": "kill",
    "stale_feed": "stale feed",
    "daily_loss": "daily loss",
    "no_averaging": "no averaging",
    "max_trades_per_market": "trades/market",
    "max_open_positions": "max open",
    "cooldown_after_stop": "cooldown",
    "max_notional_per_trade": "notional/trade",
    "max_total_notional": "total notional",
    "size": "size",
}


FEED_GLYPHS = (
    ("●", "connected / simulated / replay: data flowing"),
    ("◐", "connecting, reconnecting or stale: entries blocked"),
    ("✖", "down or failed"),
    ("○", "never connected (no data yet)"),
    ("■", "replay ended"),
)


def feed_glyph(f: FeedView) -> str:
    if f.state == "finished":
        return "■"
    if f.ok:
        return "●"
    if f.never_connected:
        return "○"
    return "✖" if f.state in ("down", "failed") else "◐"


class RiskPane(RepaintWhenChanged, Widget, can_focus=False):
    COMPONENT_CLASSES = {"risk--ok", "risk--bad", "risk--warn", "risk--dim", "risk--gain", "risk--loss"}
    DEFAULT_CSS = """
    RiskPane > .risk--ok { color: $success; }
    RiskPane > .risk--bad { color: $error; text-style: bold; }
    RiskPane > .risk--warn { color: $warning; }
    RiskPane > .risk--dim { color: $text-muted; }
    RiskPane > .risk--gain { color: $gain; }
    RiskPane > .risk--loss { color: $loss; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.risk: RiskView | None = None
        self.feeds: tuple[FeedView, ...] = ()

    def show(self, risk: RiskView, feeds: tuple[FeedView, ...]) -> None:
        self.risk, self.feeds = risk, feeds
        self.refresh_if_changed()

    def render(self) -> Text:
        cls = self.get_component_rich_style
        out = Text(no_wrap=True, overflow="crop")
        risk = self.risk
        if risk is None:
            return out
        width = self.content_size.width
        loss = risk.daily_loss
        today = risk.today
        limit = risk.daily_loss_limit
        if risk.killed:
            out.append("KILL SWITCH ENGAGED · arm (a) to clear\n", cls("risk--bad"))
        # line: open positions, daily P&L and the loss limit
        n_open = risk.open_positions + risk.pending_entries
        out.append("open ", cls("risk--dim"))
        out.append(f"{n_open}/{risk.max_open}", cls("risk--warn") if n_open >= risk.max_open else Style())
        out.append("  today ", cls("risk--dim"))
        out.append(fmt.usd(today, signed=True), cls("risk--gain" if today >= 0 else "risk--loss"))
        out.append("  loss ", cls("risk--dim"))
        lim_style = cls("risk--bad") if loss >= limit else cls("risk--warn") if loss >= 0.7 * limit else Style()
        out.append(f"{fmt.usd(loss)}/{fmt.usd(limit)}", lim_style)
        # trades today per market vs the cap
        out.append("\ntrades ", cls("risk--dim"))
        cap = risk.max_trades_per_market
        if risk.trades_today:
            for i, (m, n) in enumerate(risk.trades_today):
                if i:
                    out.append(" ")
                out.append(f"{short_name(m)} {n}/{cap}", cls("risk--warn") if n >= cap else Style())
        else:
            out.append(f"none today (cap {cap}/market)", cls("risk--dim"))
        # feed health: one compact item per venue, wrapped to the pane's width
        out.append("\nfeeds", cls("risk--dim"))
        col = 5
        short_states = {"reconnecting": "reconn", "connecting": "conn…", "connected": "ok"}
        for f in self.feeds:
            style = cls("risk--ok") if f.ok else cls("risk--bad")
            mark = feed_glyph(f)
            state = short_states.get(f.state, f.state) if len(self.feeds) > 2 or width < 60 else f.state
            compact = len(self.feeds) > 2 and width < 60  # many venues on a narrow pane: the mark says the state
            item = Text()
            item.append(f"{mark}{fmt.venue(f.venue)}" + ("" if compact and not f.ok else f" {state}"), style)
            if f.msgs_per_s is not None and f.ok:
                item.append(f" {fmt.rate(f.msgs_per_s)}/s", cls("risk--dim"))
            if f.lag_ms is not None and f.ok and width >= 60:
                item.append(f" {f.lag_ms:.0f}ms", cls("risk--dim"))
            if f.reconnects:
                item.append(f" ↻{f.reconnects}", cls("risk--warn"))
            if col + 1 + item.cell_len > width and col > 6:
                out.append("\n     ")
                col = 5
            out.append(" ")
            out.append_text(item)
            col += 1 + item.cell_len
        if not self.feeds:
            out.append(" none", cls("risk--dim"))
        bad = next((f for f in self.feeds if not f.ok), None)
        if bad is not None:  # the reason matters more than the colour: say why, and when it retries
            why = "never connected" if bad.never_connected else bad.state
            retry = f" · retry in {bad.next_retry_s:.0f} s" if bad.next_retry_s is not None else ""
            text = f"{fmt.venue(bad.venue)} {why}{retry}: {bad.reason or '—'}"
            parts = textwrap.wrap(text, max(20, width)) or [text]
            room = 2 if self.content_size.height >= 6 else 1
            if len(parts) > room:  # the rest is in the feeds view (e)
                parts = parts[:room]
                parts[-1] = parts[-1][: max(0, width - 6)] + " …(e)"
            for part in parts:
                out.append("\n" + part, cls("risk--warn"))
        # blocks: counters, then the last one and why
        out.append("\nlast block ", cls("risk--dim"))
        if risk.last_block:
            ts, market, rule, message = risk.last_block
            out.append(f"{fmt.hhmmss(ts)} {short_name(market)} {RULE_LABELS.get(rule, rule)}: ", cls("risk--warn"))
            out.append(message)
        else:
            out.append("none", cls("risk--dim"))
        if self.content_size.height >= 7:  # room for every rule and its counter
            out.append("\nblocked by rule", cls("risk--dim"))
            for i, rule in enumerate(RULES):
                out.append("\n  " if i % 3 == 0 else "  ")
                n = dict(risk.blocks).get(rule, 0)
                out.append(f"{RULE_LABELS.get(rule, rule):<15}{n:>3}", cls("risk--warn") if n else cls("risk--dim"))
        elif risk.blocks:
            out.append("\nblocks ", cls("risk--dim"))
            out.append(" ".join(f"{RULE_LABELS.get(r, r)} {n}" for r, n in risk.blocks))
        return out
