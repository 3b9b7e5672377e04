"""PositionsPane: what we hold, what it risks, and which exit rule is closest to firing."""
from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from core.events import short_name
from core.positions import Position
from tui import numbers as fmt
from tui.widgets.repaint import RepaintWhenChanged, set_title

EXIT_SHORT = {"stop": "stop", "take profit": "TP", "exhaustion": "exh", "max hold": "hold"}


class PositionRow:
    """A read-only snapshot of one position for drawing (computed in the app's refresh)."""

    __slots__ = ("pos", "mark", "pnl", "held", "max_hold", "rule", "how", "r")

    def __init__(self, pos: Position, mark: float | None, now: float, max_hold: float, hint: tuple[str, str]) -> None:
        self.pos = pos
        self.mark = mark
        self.pnl = pos.unrealised(mark) if mark is not None else 0.0
        self.held = max(0.0, now - pos.entry_ts)
        self.max_hold = max_hold
        self.rule, self.how = hint
        risk = pos.notional * pos.stop_pct / 100
        self.r = self.pnl / risk if risk > 0 else 0.0


class PositionsPane(RepaintWhenChanged, Widget, can_focus=False):
    COMPONENT_CLASSES = {"positions--gain", "positions--loss", "positions--dim", "positions--selected", "positions--exiting"}
    DEFAULT_CSS = """
    PositionsPane > .positions--gain { color: $gain; }
    PositionsPane > .positions--loss { color: $loss; text-style: bold; }
    PositionsPane > .positions--dim { color: $text-muted; }
    PositionsPane > .positions--selected { background: $selected; }
    PositionsPane > .positions--exiting { color: $warning; text-style: bold; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.rows: list[PositionRow] = []
        self.pending: list[str] = []
        self.selected = ""

    def show(self, rows: list[PositionRow], pending: list[str], title: str, selected: str) -> None:
        self.rows, self.pending, self.selected = rows, pending, selected
        set_title(self, title)
        self.refresh_if_changed()

    def render(self) -> Text:
        cls = self.get_component_rich_style
        width = self.content_size.width
        out = Text(no_wrap=True, overflow="crop")
        if not self.rows and not self.pending:
            out.append("no open positions", cls("positions--dim"))
            return out
        wide = width >= 96
        lines = 0
        if wide:
            out.append(f"{'market':<10}{'side':<7}{'size':>10}{'entry':>11}{'mark':>11}{'stop':>11}{'target':>11}"
                       f"{'P&L':>9}{'R':>6}{'held':>12}  nearest exit", cls("positions--dim"))
            lines += 1
        for row in self.rows:
            p = row.pos
            base = cls("positions--selected") if p.market == self.selected else Style()
            pnl_style = base + cls("positions--gain" if row.pnl >= 0 else "positions--loss")
            side = ("▲LONG " if p.side == "long" else "▼SHORT")
            held = f"{fmt.duration(row.held)}/{fmt.duration(row.max_hold)}"
            nxt = f"{row.rule} {row.how}"
            if p.exit_pending:
                nxt = f"EXITING ({p.exit_pending})"
            if lines:
                out.append("\n")
            if wide:
                out.append(f"{short_name(p.market):<10}{side:<7}{_qty(p.qty):>10}{fmt.price(p.entry_price):>11}"
                           f"{fmt.price(row.mark):>11}{fmt.price(p.stop_price):>11}{fmt.price(p.take_profit_price):>11}", base)
                out.append(f"{fmt.usd(row.pnl, signed=True):>9}", pnl_style)
                out.append(f"{row.r:>+6.1f}{held:>12}  ", base)
                out.append(nxt, base + cls("positions--exiting") if p.exit_pending else base)
                lines += 1
                continue
            pnl = fmt.usd(row.pnl, signed=True)
            head = f"{short_name(p.market)} {side} {_qty(p.qty)} @{fmt.price(p.entry_price)} →{fmt.price(row.mark)}"
            out.append(head, base)
            out.append(" " * max(1, width - len(head) - len(pnl)), base)
            out.append(pnl, pnl_style)
            out.append("\n")
            tail = f" SL {fmt.price(p.stop_price)} TP {fmt.price(p.take_profit_price)} {held} "
            if len(tail) + len(nxt) > width:
                held_m = f"{fmt.duration(row.held)}/{row.max_hold / 60:.0f}m"
                tail = f"SL {fmt.price(p.stop_price)} TP {fmt.price(p.take_profit_price)} {held_m} "
                if not p.exit_pending:
                    nxt = f"⇢{EXIT_SHORT.get(row.rule, row.rule)} {row.how.replace(' %', '%')}"
            out.append(tail, cls("positions--dim"))
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
