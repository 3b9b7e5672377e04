"""WindowMeters: one row per active market, long vs short liquidated USD in the rolling window.

The bar diverges from the middle: long liquidations (▼, forced sells) grow left, short
liquidations (▲, squeezes) grow right, so the side reads without colour.
"""
from __future__ import annotations

import math

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from core.market_views import MarketView
from core.events import short_name
from tui import numbers as fmt
from tui.widgets.repaint import RepaintWhenChanged, set_title

FULL = "█"


def score_class(score: float) -> str:
    return "meters--score-high" if score >= 7 else "meters--score-mid" if score >= 5 else "meters--score-low"


def state_label(v: MarketView) -> str:
    """Six cells; the fade playbook says so (FADE / track), the ride playbook is the default."""
    fade = v.playbook == "fade"
    if v.state == "SIGNAL":
        return f"{'FADE' if fade else 'SIG '}{v.seconds_left or 0:.0f}s"
    if v.state == "in position":
        return "IN POS"
    if v.state == "watching":
        return "track" if fade else "watch"
    return v.state


def bar_cells(value: float, top: float, width: int) -> int:
    """Cells for `value` on a sqrt scale against the largest row (so small markets still show)."""
    if value <= 0 or top <= 0 or width <= 0:
        return 0
    return max(1, min(width, round(math.sqrt(value / top) * width)))


class WindowMeters(RepaintWhenChanged, Widget, can_focus=False):
    COMPONENT_CLASSES = {"meters--long", "meters--short", "meters--score-low", "meters--score-mid",
                         "meters--score-high", "meters--signal", "meters--selected", "meters--dim"}
    DEFAULT_CSS = """
    WindowMeters > .meters--long { color: $liq-long; }
    WindowMeters > .meters--short { color: $liq-short; }
    WindowMeters > .meters--score-low { color: $score-low; }
    WindowMeters > .meters--score-mid { color: $score-mid; }
    WindowMeters > .meters--score-high { color: $score-high; text-style: bold; }
    WindowMeters > .meters--signal { text-style: bold reverse; }
    WindowMeters > .meters--selected { background: $selected; }
    WindowMeters > .meters--dim { color: $text-muted; }
    """

    def __init__(self, window_s: float = 90.0, **kw) -> None:
        super().__init__(**kw)
        self.window_s = window_s
        self.views: list[MarketView] = []
        self.selected = ""

    def show(self, views: list[MarketView], selected: str) -> None:
        self.views = views
        self.selected = selected
        set_title(self, f"Windows {self.window_s:.0f} s · {len(views)} active")
        self.refresh_if_changed()

    def render(self) -> Text:
        width = self.content_size.width
        height = self.content_size.height
        if not self.views:
            return Text("no liquidations in the window", style=self.get_component_rich_style("meters--dim"))
        wide = width >= 56
        name_w = 9 if wide else 5
        fixed = 1 + name_w + 5 + 1 + 1 + 1 + 5 + 5 + 1 + 6 + (6 if wide else 0)
        half = max(1, (width - fixed) // 2)
        rows = self.views[:height] if height > 0 else self.views
        top = max((max(v.long_usd, v.short_usd) for v in rows), default=0.0)
        out = Text(no_wrap=True, overflow="crop")
        cls = self.get_component_rich_style
        for n, v in enumerate(rows):
            if n:
                out.append("\n")
            sel = v.market == self.selected
            row = cls("meters--selected") if sel else Style()
            long_s, short_s = row + cls("meters--long"), row + cls("meters--short")
            lc, sc = bar_cells(v.long_usd, top, half), bar_cells(v.short_usd, top, half)
            out.append("›" if sel else " ", row)
            out.append(f"{short_name(v.market)[:name_w]:<{name_w}}", row)
            out.append(f"{fmt.amount(v.long_usd) if v.long_usd else '':>5}", long_s)
            out.append("▼", long_s)
            out.append(" " * (half - lc), row)
            out.append(FULL * lc, long_s)
            out.append("│", row + cls("meters--dim"))
            out.append(FULL * sc, short_s)
            out.append(" " * (half - sc), row)
            out.append("▲", short_s)
            out.append(f"{fmt.amount(v.short_usd) if v.short_usd else '':<5}", short_s)
            if wide:
                out.append(f" {fmt.rate(v.events_per_s):>4}/s", row + cls("meters--dim"))
            out.append(f"{v.score.total:>5.1f}", row + cls(score_class(v.score.total)))
            label = state_label(v)
            st = row + cls("meters--signal") if v.state in ("SIGNAL", "in position") else row + cls("meters--dim") if v.state == "idle" else row
            out.append(" ", row)
            out.append(f"{label:<6}", st)
        return out
