"""LiquidationTape: newest first, from a bounded ring, drawn line by line (only visible rows).

The first line is the column header; columns drop whole by priority on narrow panes (market,
side and price never). A cursor (j/k when the tape has focus) picks a row for the market view.

The app hands it each refresh's new liquidations in one call (`ingest`); nothing here runs
per event except appending to the ring. The title carries the filter, the rate and how
many rows never made it to the screen because they scrolled past between two refreshes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.events import Liquidation, short_name
from tui import numbers as fmt
from tui.columns import Column, fit, header
from tui.render_guard import guard_render_line
from tui.widgets.repaint import drop_oldest, reuse_framed_rows, set_title

RING_ROWS = 400


@dataclass(frozen=True, slots=True)
class TapeFilter:
    min_usd: float = 0.0
    market: str = ""  # base asset or full market name, "" = all
    side: str = ""  # long | short | ""

    def keep(self, ev: Liquidation) -> bool:
        if ev.usd < self.min_usd:
            return False
        if self.side and ev.side != self.side:
            return False
        if self.market and self.market not in (ev.market, short_name(ev.market)):
            return False
        return True

    @property
    def active(self) -> bool:
        return bool(self.min_usd or self.market or self.side)

    def describe(self) -> str:
        parts = []
        if self.min_usd:
            parts.append(f"≥{fmt.usd(self.min_usd)}")
        if self.market:
            parts.append(self.market)
        if self.side:
            parts.append("▼L only" if self.side == "long" else "▲S only")
        return " ".join(parts)

    @classmethod
    def parse(cls, text: str) -> TapeFilter:
        """'10k BTC long' -> min $10k, BTC, long liquidations; any order, any subset; '' clears."""
        min_usd, market, side = 0.0, "", ""
        for tok in text.replace(",", " ").split():
            low = tok.lower().lstrip("≥>=$")
            mult = {"k": 1e3, "m": 1e6, "b": 1e9}.get(low[-1:], 1.0) if low else 1.0
            num = low[:-1] if mult != 1.0 else low
            try:
                min_usd = float(num) * mult
                continue
            except ValueError:
                pass
            if low in ("long", "longs", "l", "▼l"):
                side = "long"
            elif low in ("short", "shorts", "s", "▲s"):
                side = "short"
            elif low in ("all", "*", "any"):
                market = side = ""
            else:
                market = tok.upper()
        return cls(min_usd, market, side)


BUSY_RATE = 20.0  # liquidations/s above which the tape slows its repaints
BUSY_REPAINT_S = 0.5

COLUMNS = (
    Column("time", "time", 8, 2, "<"),
    Column("venue", "ven", 3, 4, "<"),
    Column("market", "market", 8, 0, "<"),
    Column("side", "sd", 2, 0, "<"),
    Column("usd", "USD", 7, 1),
    Column("price", "price", 9, 0),
    Column("qty", "qty", 9, 5),
    Column("lag", "lag", 7, 6),
    Column("symbol", "symbol", 14, 7, "<"),
)


class LiquidationTape(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {
        "tape--long",
        "tape--short",
        "tape--large",
        "tape--dim",
        "tape--selected",
        "tape--header",
        "tape--cursor",
    }
    DEFAULT_CSS = """
    LiquidationTape { overflow: hidden hidden; }
    LiquidationTape > .tape--long { color: $liq-long; }
    LiquidationTape > .tape--short { color: $liq-short; }
    LiquidationTape > .tape--large { text-style: bold; }
    LiquidationTape > .tape--dim { color: $text-muted; }
    LiquidationTape > .tape--header { color: $text-muted; text-style: underline; }
    LiquidationTape > .tape--selected { background: $selected; }
    LiquidationTape > .tape--cursor { text-style: reverse; }
    """

    def __init__(self, large_usd: float = 250_000.0, rows: int = RING_ROWS, **kw) -> None:
        super().__init__(**kw)
        self.large_usd = large_usd
        self.ring: deque[Liquidation] = deque(maxlen=rows)
        self.filter = TapeFilter()
        self.rate = 0.0  # liquidations per second of event time, all of them (before the filter)
        self.skipped = 0  # arrived faster than the tape could show them
        self.hidden = 0  # removed by the filter
        self.received = 0  # handed to the tape (shown or hidden); received + skipped = all liquidations
        self.selected = ""
        self.cursor = 0  # row under the cursor, 0 = newest
        self._painted_at = float("-inf")
        self._unpainted = False
        # drawn rows by (event, selected market?, cursor?): a new liquidation shifts every row down
        # one line, so each repaint redraws every line, but only the new rows are formatted
        self._strips: dict[tuple, Strip] = {}
        self._strips_for: tuple = ()  # (width, base style): a change empties the cache
        self._pass: tuple | None = None  # (width, base style, scroll offset, focus) during render_lines
        reuse_framed_rows(self)

    # -- data in --------------------------------------------------------------------------
    def ingest(self, fresh: Iterable[Liquidation], skipped: int, rate: float) -> None:
        """One refresh's worth of new liquidations, oldest first."""
        keep = self.filter.keep
        n = 0
        for ev in fresh:
            n += 1
            if keep(ev):
                self.ring.append(ev)
            else:
                self.hidden += 1
        self.received += n
        self.skipped += skipped
        self.rate = rate
        if n or skipped:
            self._sync_size()
            self._unpainted = True
        # In a burst every row moves on every repaint: faster than anyone reads, and the bulk of
        # what an SSH link carries. Above BUSY_RATE the tape repaints at BUSY_REPAINT_S.
        now = time.monotonic()
        painting = self._unpainted and (rate < BUSY_RATE or now - self._painted_at >= BUSY_REPAINT_S)
        if painting or rate < BUSY_RATE:  # a new title repaints the whole pane: in a burst, with the rows
            set_title(self, self.title_text())
        if painting:
            self._painted_at, self._unpainted = now, False
            self.refresh()
            self._draw_ahead()

    def _draw_ahead(self) -> None:
        """Draw the pane's lines now, in this callback, rather than in the compositor pass that
        follows: Textual keeps what `render_lines` drew until a line is marked dirty again, so
        the pass only composes them. Every row has moved, so this is the pane's whole cost; split
        off, neither callback holds the loop for both."""
        width, height = self.outer_size
        if width > 0 and height > 0 and self.is_attached:
            self.render_lines(Region(0, 0, width, height))

    def _sync_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.ring) + 1)

    def set_filter(self, flt: TapeFilter, history: Iterable[Liquidation]) -> None:
        """Apply a filter and refill the ring from what the engine still holds."""
        self.filter = flt
        self.ring.clear()
        self.hidden = 0
        self.ring.extend(ev for ev in history if flt.keep(ev))
        self.cursor = 0
        self._sync_size()
        self.scroll_to(y=0, animate=False)
        set_title(self, self.title_text())
        self.refresh()

    def title_text(self) -> Text:
        parts = ["Tape"]
        if self.filter.active:
            parts.append(self.filter.describe())
        parts.append(f"{fmt.rate(self.rate)}/s")
        if self.skipped:
            parts.append(f"{fmt.count(self.skipped)} skipped")
        if self.hidden and self.filter.active:
            parts.append(f"{fmt.count(self.hidden)} hidden")
        return Text(" · ".join(parts))

    def set_selected(self, market: str) -> None:
        if market != self.selected:
            self.selected = market
            self.refresh()

    # -- cursor ---------------------------------------------------------------------------
    def move_cursor(self, step: int | None = None, to: int | None = None) -> None:
        last = max(0, len(self.ring) - 1)
        self.cursor = max(0, min(last, to if to is not None else self.cursor + (step or 0)))
        rows = max(1, self.size.height - 1)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + rows:
            self.scroll_to(y=self.cursor - rows + 1, animate=False)
        self.refresh()

    def cursor_market(self) -> str | None:
        if not self.ring:
            return None
        return self.ring[-1 - min(self.cursor, len(self.ring) - 1)].market

    # -- drawing --------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        # what every line needs, once per pass: the base style walks every ancestor's styles
        # (~80 µs), the size and scroll offset go through the screen's geometry
        self._pass = (self.size.width, self.rich_style, self.scroll_offset.y, self.has_focus)
        try:
            return super().render_lines(crop)
        finally:
            self._pass = None

    @guard_render_line  # a row that cannot draw shows the error; the console keeps running
    def render_line(self, y: int) -> Strip:
        width, base, top, focused = self._pass or (
            self.size.width,
            self.rich_style,
            self.scroll_offset.y,
            self.has_focus,
        )
        if self._strips_for != (width, base):
            self._strips.clear()
            self._strips_for = (width, base)
        if y == 0:
            hdr = self._strips.get(("header",))
            if hdr is None:
                style = base + self.get_component_rich_style("tape--header")
                hdr = self._strips[("header",)] = Strip(
                    [Segment(header(fit(COLUMNS, width)), style)]
                ).adjust_cell_length(width, base)
            return hdr
        i = top + y - 1
        if i >= len(self.ring):
            if i == 0 and y == 1:
                msg = "no liquidations match the filter" if self.filter.active else "waiting for liquidations…"
                dim = base + self.get_component_rich_style("tape--dim")
                return Strip([Segment(msg, dim)]).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        ev = self.ring[-1 - i]
        on_cursor = i == self.cursor and focused
        key = (ev, ev.market == self.selected, on_cursor)
        strip = self._strips.get(key)
        if strip is None:
            drop_oldest(self._strips, keep=3 * max(20, self.size.height))
            row = base + self.get_component_rich_style("tape--cursor") if on_cursor else base
            strip = self._strips[key] = Strip(self._segments(ev, row, fit(COLUMNS, width))).adjust_cell_length(
                width, row
            )
        return strip

    def _segments(self, ev: Liquidation, row: Style, cols) -> list[Segment]:
        long = ev.side == "long"
        side_style = row + self.get_component_rich_style("tape--long" if long else "tape--short")
        big = ev.usd >= self.large_usd
        usd_style = side_style + self.get_component_rich_style("tape--large") if big else side_style
        dim = row + self.get_component_rich_style("tape--dim")
        mkt_style = row + self.get_component_rich_style("tape--selected") if ev.market == self.selected else row
        cells = {
            "time": (fmt.hhmmss(ev.ts_event), dim),
            "venue": (fmt.venue(ev.venue), row),
            "market": (short_name(ev.market), mkt_style + Style(bold=True) if big else mkt_style),
            "side": ("▼L" if long else "▲S", side_style),
            "usd": (fmt.usd(ev.usd), usd_style),
            "price": (fmt.price(ev.price), row),
            "qty": (_qty(ev.qty), dim),
            "lag": (f"{max(0.0, (ev.ts_recv - ev.ts_event) * 1000):.0f}ms", dim),
            "symbol": (ev.symbol, dim),
        }
        # one segment per run of equal style (the gap joins the cell after it): every segment costs
        # a full colour sequence on the wire, so fewer segments is fewer bytes over SSH
        segs: list[Segment] = []
        for n, c in enumerate(cols):
            text, style = cells[c.key]
            text = (" " if n else "") + c.cell(text)
            if segs and segs[-1].style == style:
                segs[-1] = Segment(segs[-1].text + text, style)
            else:
                segs.append(Segment(text, style))
        return segs


def _qty(q: float) -> str:
    if q >= 1e6:
        return f"{q / 1e6:.2f}M"
    if q >= 1000:
        return f"{q:,.0f}"
    if q >= 1:
        return f"{q:.2f}"
    return f"{q:.4f}"
