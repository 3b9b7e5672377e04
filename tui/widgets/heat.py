"""HeatPane: liquidation levels around the selected market's price.

Short panes get two sparklines (above / below the price, nearest bucket first); taller panes
get a price ladder with the current price marked. The data comes from a `LevelsProvider`
(realised liquidations today, estimated levels once the heatmap lands).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from core.events import short_name
from tui import numbers as fmt
from tui.liq_levels import Levels
from tui.widgets.repaint import RepaintWhenChanged, set_title

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], top: float) -> str:
    if top <= 0:
        return " " * len(values)
    out = []
    for v in values:
        if v <= 0:
            out.append(" ")
        else:
            out.append(SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1) + 0.999))])
    return "".join(out)


def rebucket(values: list[float], n: int) -> list[float]:
    """Sum `values` into `n` buckets (n ≤ len(values) works best)."""
    if n <= 0:
        return []
    out = [0.0] * n
    for i, v in enumerate(values):
        out[min(n - 1, i * n // len(values))] += v
    return out


class HeatPane(RepaintWhenChanged, Widget, can_focus=False):
    COMPONENT_CLASSES = {"heat--above", "heat--below", "heat--price", "heat--dim"}
    DEFAULT_CSS = """
    HeatPane > .heat--above { color: $liq-short; }
    HeatPane > .heat--below { color: $liq-long; }
    HeatPane > .heat--price { text-style: bold reverse; }
    HeatPane > .heat--dim { color: $text-muted; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.market = ""
        self.price: float | None = None
        self.levels: Levels | None = None

    def show(self, market: str, price: float | None, levels: Levels | None) -> None:
        self.market, self.price, self.levels = market, price, levels
        name = short_name(market) if market else "—"
        span = f"±{levels.step_pct * len(levels.above):g} %" if levels else ""
        kind = f" · {levels.kind}" if levels else ""
        set_title(self, f"Heat {name} {span}{kind}")
        self.refresh_if_changed()

    def render(self) -> Text:
        cls = self.get_component_rich_style
        lv = self.levels
        if lv is None or self.price is None:
            return Text("select a market with j/k or ↑/↓", style=cls("heat--dim"))
        h, w = self.content_size.height, self.content_size.width
        if h >= 8:
            return self._ladder(lv, h, w)
        return self._sparks(lv, w)

    def _sparks(self, lv: Levels, width: int) -> Text:
        """Three lines: levels above (nearest first), the price, levels below."""
        cls = self.get_component_rich_style
        out = Text(no_wrap=True, overflow="crop")
        far = lv.step_pct * len(lv.above)
        edges = (fmt.price(self.price * (1 + far / 100)), fmt.price(self.price * (1 - far / 100)))
        label_w = max(len(lv.above_label), len(lv.below_label))
        n = max(4, min(len(lv.above), width - (2 + 1 + 5 + 1 + label_w + 2 + max(map(len, edges)))))
        above, below = rebucket(lv.above, n), rebucket(lv.below, n)
        top = max(above + below + [0.0])
        rows = (
            ("▲", above, lv.above, "heat--above", edges[0], lv.above_label, lv.realised_above),
            None,
            ("▼", below, lv.below, "heat--below", edges[1], lv.below_label, lv.realised_below),
        )
        for i, row in enumerate(rows):
            if i:
                out.append("\n")
            if row is None:
                out.append(f"  {fmt.price(self.price)} ◀ price", cls("heat--price"))
                out.append(f"  {lv.step_pct * len(lv.above) / n:.2g} %/bar", cls("heat--dim"))
                continue
            mark, buckets, raw, style, edge, who, realised = row
            out.append(f"{mark} ", cls(style))
            out.append(sparkline(buckets, top), cls(style))
            out.append(f" {fmt.amount(sum(raw)):>5}", Style(bold=True))
            out.append(f" {who:<{label_w}} →{edge}", cls("heat--dim"))
            if realised is not None and sum(realised) > 0:  # what actually liquidated in that range
                out.append(f" ✕{fmt.amount(sum(realised))}", cls("heat--dim"))
        return out

    def _ladder(self, lv: Levels, height: int, width: int) -> Text:
        cls = self.get_component_rich_style
        side_rows = (height - 1) // 2
        above = rebucket(lv.above, side_rows)
        below = rebucket(lv.below, side_rows)
        r_above = rebucket(lv.realised_above, side_rows) if lv.realised_above else [0.0] * side_rows
        r_below = rebucket(lv.realised_below, side_rows) if lv.realised_below else [0.0] * side_rows
        step = lv.step_pct * len(lv.above) / max(side_rows, 1)
        top = max(above + below + [0.0])
        overlay = 8 if any(r_above) or any(r_below) else 0  # room for "✕$12.3M"
        bar_w = max(4, width - 22 - overlay)
        out = Text(no_wrap=True, overflow="crop")
        lines = []
        for k in range(side_rows - 1, -1, -1):  # far above first
            lines.append((self.price * (1 + (k + 1) * step / 100), above[k], "heat--above", "▲", r_above[k]))
        lines.append(None)
        for k in range(side_rows):
            lines.append((self.price * (1 - (k + 1) * step / 100), below[k], "heat--below", "▼", r_below[k]))
        for n, line in enumerate(lines):
            if n:
                out.append("\n")
            if line is None:
                out.append(f"{fmt.price(self.price):>10} ◀ price ", cls("heat--price"))
                out.append(f" {lv.kind} liquidations, {step:.2g} % per row", cls("heat--dim"))
                continue
            px, usd, style, mark, realised = line
            cells = round(usd / top * bar_w) if top > 0 else 0
            if usd > 0:
                cells = max(1, cells)
            out.append(f"{fmt.price(px):>10} {mark}", cls("heat--dim"))
            out.append("█" * cells, cls(style))
            out.append(" " * (bar_w - cells))
            out.append(f" {fmt.usd(usd) if usd else '':>7}")
            if realised > 0:  # realised liquidations in that row, overlaid on the estimate
                out.append(f" ✕{fmt.amount(realised)}", cls("heat--dim"))
        return out
