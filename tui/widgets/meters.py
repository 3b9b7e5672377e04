"""WindowMeters: one row per active market, long vs short liquidated USD in the rolling window.

The bar diverges from the middle: long liquidations (▼, forced sells) grow left, short
liquidations (▲, squeezes) grow right, so the side reads without colour. Bars are on an
absolute log scale ($10k one cell, $100M full), so a full bar always means the same money,
with the number beside it. The list scrolls with the selection and says how many rows are
above and below. A watching market says which filter fails first (`✗score`).
"""

from __future__ import annotations

import math

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from core.events import short_name
from core.snapshot_rows import MarketView
from tui import numbers as fmt
from tui.widgets.repaint import CachedLines, set_title

FULL = "█"
FILTER_SHORT = {"funding": "fund", "support": "supp", "exhausted": "exhst"}  # six cells after the ✗
BAR_LO, BAR_HI = 1e4, 1e8  # $10k = one cell, $100M = the whole half


def score_class(score: float) -> str:
    return "meters--score-high" if score >= 7 else "meters--score-mid" if score >= 5 else "meters--score-low"


def state_label(v: MarketView) -> str:
    """Seven cells: SIG 9s / FADE 9s / IN POS / ✗<first failing filter> / watch / track / idle."""
    fade = v.playbook == "fade"
    if v.state == "SIGNAL":
        return f"{'FADE' if fade else 'SIG'} {v.seconds_left or 0:.0f}s"
    if v.state == "in position":
        return "IN POS"
    if v.state == "watching":
        b = v.blocker
        if b is not None:
            return "✗" + FILTER_SHORT.get(b.name, b.name)[:6]
        return "track" if fade else "watch"
    return v.state


def bar_cells(value: float, width: int) -> int:
    """Cells for `value` on an absolute log scale: $10k → 1 cell, $100M → `width`."""
    if value <= 0 or width <= 0:
        return 0
    if value < BAR_LO:
        return 1
    frac = (math.log10(value) - math.log10(BAR_LO)) / (math.log10(BAR_HI) - math.log10(BAR_LO))
    return max(1, min(width, 1 + round(frac * (width - 1))))


class WindowMeters(CachedLines, Widget, can_focus=True):
    COMPONENT_CLASSES = {
        "meters--long",
        "meters--short",
        "meters--score-low",
        "meters--score-mid",
        "meters--score-high",
        "meters--signal",
        "meters--selected",
        "meters--dim",
        "meters--header",
    }
    DEFAULT_CSS = """
    WindowMeters { text-wrap: nowrap; text-overflow: clip; }
    WindowMeters > .meters--long { color: $liq-long; }
    WindowMeters > .meters--short { color: $liq-short; }
    WindowMeters > .meters--score-low { color: $score-low; }
    WindowMeters > .meters--score-mid { color: $score-mid; }
    WindowMeters > .meters--score-high { color: $score-high; text-style: bold; }
    WindowMeters > .meters--signal { text-style: bold reverse; }
    WindowMeters > .meters--selected { background: $selected; }
    WindowMeters > .meters--dim { color: $text-muted; }
    WindowMeters > .meters--header { color: $text-muted; text-style: underline; }
    """

    def __init__(self, window_s: float = 90.0, **kw) -> None:
        super().__init__(**kw)
        self.window_s = window_s
        self.views: tuple[MarketView, ...] = ()
        self.selected = ""
        self.row_offset = 0

    def visible_rows(self) -> int:
        """Rows of markets that fit under the header, leaving one for '+N more' when needed."""
        h = self.content_size.height - 1
        return max(1, h - 1 if len(self.views) > h else h)

    def show(self, views: tuple[MarketView, ...], selected: str, offset: int) -> None:
        self.views, self.selected, self.row_offset = views, selected, offset
        set_title(self, f"Windows {self.window_s:.0f}s · {len(views)} active · log bars")
        self.update_lines()

    def build_lines(self) -> list[Text]:
        return self._text().split("\n", allow_blank=True)

    def _text(self) -> Text:
        width = self.content_size.width
        cls = self.get_component_rich_style
        out = Text(no_wrap=True, overflow="crop")
        name_w = 8
        # marker+name 9, long▼ 6, [bars 2×half+1], ▲short 6, score 6, state 8, [ev/s 7], [why]
        fixed = 9 + 6 + 6 + 6 + 8
        wide = width >= fixed + 7 + 7
        if wide:
            fixed += 7
        spare = width - fixed
        why_w = spare - 2 * 12 - 2 if wide and spare >= 2 * 12 + 2 + 14 else 0
        half = (spare - (why_w + 1 if why_w else 0) - 1) // 2
        if half < 3:  # too narrow for a bar worth reading: the column drops, the numbers stay
            half = 0
        bars = half > 0
        head = f" {'market':<{name_w}}{'long▼':>6}" + (f"{'':{half}}│{'':{half}}" if bars else "")
        head += f"{'▲short':<6}{'score':>6} {'state':<7}"
        if wide:
            head += f"{'ev/s':>7}"
        if why_w:
            head += f" {'first failing filter / last watch'[:why_w]:<{why_w}}"
        out.append(head, cls("meters--header"))
        if not self.views:
            out.append("\nno liquidations in the window", cls("meters--dim"))
            return out
        rows = self.visible_rows()
        shown = self.views[self.row_offset : self.row_offset + rows]
        for v in shown:
            out.append("\n")
            sel = v.market == self.selected
            row = cls("meters--selected") if sel else Style()
            long_s, short_s = row + cls("meters--long"), row + cls("meters--short")
            lc, sc = bar_cells(v.long_usd, half), bar_cells(v.short_usd, half)
            out.append("›" if sel else " ", row)
            out.append(f"{short_name(v.market)[:name_w]:<{name_w}}", row)
            out.append(f"{fmt.amount(v.long_usd) if v.long_usd else '':>5}", long_s)
            out.append("▼", long_s)
            if bars:
                out.append(" " * (half - lc), row)
                out.append(FULL * lc, long_s)
                out.append("│", row + cls("meters--dim"))
                out.append(FULL * sc, short_s)
                out.append(" " * (half - sc), row)
            out.append("▲", short_s)
            out.append(f"{fmt.amount(v.short_usd) if v.short_usd else '':<5}", short_s)
            if v.score is None:
                out.append(f"{'·':>6}", row + cls("meters--dim"))
            else:
                out.append(f"{v.score.total:>6.1f}", row + cls(score_class(v.score.total)))
            label = state_label(v)
            st = (
                row + cls("meters--signal")
                if v.state in ("SIGNAL", "in position")
                else row + cls("meters--dim")
                if v.state == "idle"
                else row
            )
            out.append(" ", row)
            out.append(f"{label:<7}", st)
            if wide:
                out.append(f"{fmt.rate(v.events_per_s):>5}/s", row + cls("meters--dim"))
            if why_w:
                b = v.blocker
                why = (
                    f"{b.name}: {b.detail}"
                    if b is not None and v.state == "watching"
                    else v.outcome
                    if v.state == "idle"
                    else ""
                )
                out.append(f" {why[:why_w]:<{why_w}}", row + cls("meters--dim"))
        above, below = self.row_offset, len(self.views) - self.row_offset - len(shown)
        if above or below:
            out.append("\n")
            out.append(
                f"  {'↑' + str(above) + ' above  ' if above else ''}{'+' + str(below) + ' more ↓' if below else ''}",
                cls("meters--dim"),
            )
        return out
