"""PositionsPane: what we hold, what it risks, and which exit rule is closest to firing."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from core.events import short_name
from core.snapshot_rows import PositionView
from tui import numbers as fmt
from tui.widgets.repaint import RepaintWhenChanged, set_title

EXIT_SHORT = {"stop": "stop", "take profit": "TP", "exhaustion": "exhaust", "max hold": "hold"}
# The pane is as tall as its rows (height: auto), and every change of height re-lays out the whole
# screen (~6 ms in one loop callback). Positions open and close often in a busy market, so the
# pane grows at once but shrinks only after this many updates in a row with fewer lines (~5 s).
SHRINK_AFTER_SHOWS = 20


class PositionsPane(RepaintWhenChanged, Widget, can_focus=False):
    COMPONENT_CLASSES = {
        "positions--gain",
        "positions--loss",
        "positions--dim",
        "positions--selected",
        "positions--exiting",
    }
    DEFAULT_CSS = """
    PositionsPane > .positions--gain { color: $gain; }
    PositionsPane > .positions--loss { color: $loss; text-style: bold; }
    PositionsPane > .positions--dim { color: $text-muted; }
    PositionsPane > .positions--selected { background: $selected; }
    PositionsPane > .positions--exiting { color: $warning; text-style: bold; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.rows: tuple[PositionView, ...] = ()
        self.pending: list[str] = []
        self.selected = ""
        self.held_lines = 1  # lines drawn: at least what the rows need (see SHRINK_AFTER_SHOWS)
        self._fewer_shows = 0

    def show(self, rows: tuple[PositionView, ...], pending: tuple[str, ...], title: str, selected: str) -> None:
        self.rows, self.pending, self.selected = rows, pending, selected
        set_title(self, title)
        needed = self.lines_needed()
        if needed >= self.held_lines:
            self.held_lines, self._fewer_shows = needed, 0
        else:
            self._fewer_shows += 1
            if self._fewer_shows >= SHRINK_AFTER_SHOWS:
                self.held_lines, self._fewer_shows = needed, 0
        self.refresh_if_changed()

    def lines_needed(self) -> int:
        if not self.rows and not self.pending:
            return 1
        if self.content_size.width >= 96:  # wide: a header, then one line per position
            return 1 + len(self.rows) + len(self.pending)
        return 2 * len(self.rows) + len(self.pending)

    def render(self) -> Text:
        out = self._render_rows()
        pad = self.held_lines - self.lines_needed()
        if pad > 0:  # rows just closed: blank lines keep the height (and the layout) for a while
            out.append("\n" * pad)
        return out

    def _render_rows(self) -> Text:
        cls = self.get_component_rich_style
        width = self.content_size.width
        out = Text(no_wrap=True, overflow="crop")
        if not self.rows and not self.pending:
            out.append("no open positions", cls("positions--dim"))
            return out
        wide = width >= 96
        lines = 0
        if wide:
            out.append(
                f"{'market':<10}{'side':<7}{'size':>10}{'entry':>11}{'mark':>11}{'stop':>11}{'target':>11}"
                f"{'P&L':>9}{'R':>6}{'held':>12}  nearest exit",
                cls("positions--dim"),
            )
            lines += 1
        for p in self.rows:
            base = cls("positions--selected") if p.market == self.selected else Style()
            pnl_style = base + cls("positions--gain" if p.pnl >= 0 else "positions--loss")
            side = "▲LONG " if p.side == "long" else "▼SHORT"
            held = f"{fmt.duration(p.held_s)}/{fmt.duration(p.max_hold_s)}"
            nxt = f"{p.exit_rule} {p.exit_how}"
            if p.exit_pending:
                nxt = f"EXITING ({p.exit_pending})"
            if lines:
                out.append("\n")
            if wide:
                out.append(
                    f"{short_name(p.market):<10}{side:<7}{_qty(p.qty):>10}{fmt.price(p.entry_price):>11}"
                    f"{fmt.price(p.mark):>11}{fmt.price(p.stop_price):>11}{fmt.price(p.take_profit_price):>11}",
                    base,
                )
                out.append(f"{fmt.usd(p.pnl, signed=True):>9}", pnl_style)
                out.append(f"{p.r:>+6.1f}{held:>12}  ", base)
                out.append(nxt, base + cls("positions--exiting") if p.exit_pending else base)
                lines += 1
                continue
            # narrow: the P&L and the nearest exit are never cut; the rest drops by priority
            pnl = f" {fmt.usd(p.pnl, signed=True)} {p.r:+.1f}R"
            parts = [
                short_name(p.market),
                side.strip(),
                _qty(p.qty),
                f"@{fmt.price(p.entry_price)}",
                f"→{fmt.price(p.mark)}",
            ]
            head = _fit(parts, width - len(pnl), drop_order=(3, 2, 4))
            out.append(head, base)
            out.append(" " * max(0, width - len(head) - len(pnl)), base)
            out.append(pnl, pnl_style)
            out.append("\n")
            if not p.exit_pending:
                nxt = f"⇢{EXIT_SHORT.get(p.exit_rule, p.exit_rule)} {p.exit_how.replace(' %', '%')}"
            tail = _fit(
                [f"SL {fmt.price(p.stop_price)}", f"TP {fmt.price(p.take_profit_price)}", held],
                width - len(nxt) - 1,
                drop_order=(2, 1, 0),
            )
            out.append(tail + " " if tail else "", cls("positions--dim"))
            out.append(nxt, cls("positions--exiting") if p.exit_pending else base)
            lines += 2
        for market in self.pending:
            if lines:
                out.append("\n")
            out.append(f"entering {short_name(market)}… (order in flight)", cls("positions--dim"))
            lines += 1
        return out


def _qty(q: float) -> str:
    if q >= 1000:
        return f"{q:,.0f}"
    if q >= 1:
        return f"{q:.3g}" if q < 100 else f"{q:.0f}"
    return f"{q:.4g}"


def _fit(parts: list[str], width: int, drop_order: tuple[int, ...]) -> str:
    """Join parts with spaces, dropping whole parts (by index, in `drop_order`) until it fits."""
    keep = list(range(len(parts)))
    for i in drop_order:
        if len(" ".join(parts[k] for k in keep)) <= width:
            break
        if i in keep:
            keep.remove(i)
    return " ".join(parts[k] for k in keep)
