"""The text of the content area's views, each a pure function of the snapshot (tested without a screen)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

from rich.text import Text

from core.events import short_name
from core.snapshot_rows import EngineSnapshot, FeedView
from tui import numbers as fmt
from tui.widgets.heat import SPARK, rebucket
from tui.widgets.risk import FEED_GLYPHS, RULE_LABELS, feed_glyph
from tui.widgets.status_line import Message

BOLD, DIM = "bold", "dim"


def price_sparkline(prices: Sequence[float], width: int) -> str:
    """The last minutes of price as one line of ▁…█ scaled between their low and high."""
    if not prices or width <= 0:
        return ""
    step = max(1, len(prices) // width) if len(prices) > width else 1
    pts = [prices[i] for i in range(0, len(prices), step)][-width:]
    lo, hi = min(pts), max(pts)
    if hi <= lo:
        return SPARK[3] * len(pts)
    return "".join(SPARK[min(len(SPARK) - 1, int((p - lo) / (hi - lo) * (len(SPARK) - 1) + 0.5))] for p in pts)


CHART_ROWS = 5
EIGHTHS = " ▁▂▃▄▅▆▇█"


def price_chart(prices: Sequence[tuple[float, float]], width: int, rows: int = CHART_ROWS) -> list[str]:
    """The price over time as `rows` lines of block columns (1/8-cell steps) between its low and high,
    one column per equal slice of time (the last price of each), the high and low labelled on the right."""
    if len(prices) < 2 or width < 12:
        return []
    lo = min(p for _, p in prices)
    hi = max(p for _, p in prices)
    label_w = max(len(fmt.price(hi)), len(fmt.price(lo))) + 1
    cols = max(4, width - label_w)
    t0, t1 = prices[0][0], prices[-1][0]
    slot = (t1 - t0) / cols or 1.0
    values: list[float | None] = [None] * cols
    for ts, p in prices:
        values[min(cols - 1, int((ts - t0) / slot))] = p
    last = prices[0][1]
    for i, v in enumerate(values):  # a slice without a sample carries the price before it
        if v is None:
            values[i] = last
        else:
            last = v
    levels = [rows * 8 // 2 if hi <= lo else round((v - lo) / (hi - lo) * (rows * 8 - 1)) + 1 for v in values]  # type: ignore[operator]
    out = []
    for r in range(rows - 1, -1, -1):
        line = "".join(EIGHTHS[max(0, min(8, lv - r * 8))] for lv in levels)
        label = fmt.price(hi) if r == rows - 1 else fmt.price(lo) if r == 0 else ""
        out.append(f"{line} {label}")
    return out


def market_lines(snap: EngineSnapshot, market: str, prices: Sequence[tuple[float, float]], width: int) -> list[Text]:
    lines: list[Text] = []
    mv = snap.market(market)
    price = snap.selected_price if snap.selected == market else (mv.price if mv else None)
    head = Text(f"{market}  ", style=BOLD)
    head.append(f"price {fmt.price(price)}")
    if mv is not None and mv.funding is not None:
        head.append(f"  funding {mv.funding * 100:+.4f} %/8h", style=DIM)
    lines.append(head)
    # price chart of the last minutes
    pts = [p for _, p in prices]
    span = prices[-1][0] - prices[0][0] if len(prices) > 1 else 0.0
    lines.append(
        Text(
            f"price, last {fmt.duration(span)} ({len(pts)} samples): low {fmt.price(min(pts)) if pts else '—'}"
            f" high {fmt.price(max(pts)) if pts else '—'}",
            style=DIM,
        )
    )
    chart = price_chart(prices, max(12, width - 4))
    for row in chart:
        lines.append(Text(row, style=BOLD))
    if not chart:
        lines.append(Text(price_sparkline(pts, max(10, width - 2)) or "no prices yet", style=BOLD))
    # window and state
    if mv is not None:
        lines.append(
            Text(
                f"window ▼L {fmt.usd(mv.long_usd)} ({mv.long_events})  ▲S {fmt.usd(mv.short_usd)} ({mv.short_events})"
                f"  {fmt.rate(mv.events_per_s)}/s  state {mv.state}{' (' + mv.playbook + ')' if mv.playbook else ''}"
            )
        )
        if mv.outcome:
            lines.append(Text(f"last watch: {mv.outcome}", style=DIM))
        # live score components with weights
        if mv.score is not None:
            sc = mv.score
            lines.append(
                Text(f"score {sc.total:.1f} / 10 (for {'▼L' if mv.dominant == 'long' else '▲S'} cascade)", style=BOLD)
            )
            for c in sc.components:
                bar = "█" * round(c.value * 10) + "░" * (10 - round(c.value * 10))
                lines.append(
                    Text(
                        f"  {c.name:<10}{bar} {c.value:4.2f} × {c.weight:<4g} = {c.value * c.weight * 10:4.2f}"
                        f"{'' if c.known else '  (unknown: neutral)'}  {c.detail}"
                    )
                )
        # filter checklist
        lines.append(Text("filters (last check)", style=BOLD))
        if not mv.filters:
            lines.append(Text("  not checked yet: no watch on this market", style=DIM))
        for f in mv.filters:
            lines.append(Text(f"  {'✓' if f.passed else '✗'} {f.name:<10}{f.detail}", style="" if f.passed else BOLD))
    else:
        lines.append(Text("no liquidations in the window on this market", style=DIM))
    # heat ladder around the price
    lv = snap.heat if snap.selected == market else None
    if lv is not None and price:
        lines.append(Text(f"heat ({lv.kind}) ±{lv.step_pct * len(lv.above):g} %", style=BOLD))
        above, below = rebucket(list(lv.above), 5), rebucket(list(lv.below), 5)
        top = max(above + below + [0.0])
        step = lv.step_pct * len(lv.above) / 5
        bar_w = max(4, min(40, width - 30))
        for k in range(4, -1, -1):
            cells = round(above[k] / top * bar_w) if top else 0
            lines.append(
                Text(
                    f"  {fmt.price(price * (1 + (k + 1) * step / 100)):>10} ▲{'█' * cells:<{bar_w}} {fmt.usd(above[k]) if above[k] else ''}"
                )
            )
        lines.append(Text(f"  {fmt.price(price):>10} ◀ price", style=BOLD))
        for k in range(5):
            cells = round(below[k] / top * bar_w) if top else 0
            lines.append(
                Text(
                    f"  {fmt.price(price * (1 - (k + 1) * step / 100)):>10} ▼{'█' * cells:<{bar_w}} {fmt.usd(below[k]) if below[k] else ''}"
                )
            )
    # the market's positions
    lines.append(Text("position", style=BOLD))
    p = snap.position(market)
    if p is None:
        lines.append(
            Text("  none" + ("  (entry order in flight)" if market in snap.pending_entries else ""), style=DIM)
        )
    else:
        lines.append(
            Text(
                f"  {p.side.upper()} {fmt.qty(p.qty)} @ {fmt.price(p.entry_price)}  mark {fmt.price(p.mark)}"
                f"  P&L {fmt.usd(p.pnl, signed=True)} ({p.r:+.1f}R)"
            )
        )
        lines.append(
            Text(
                f"  stop {fmt.price(p.stop_price)}  target {fmt.price(p.take_profit_price)}"
                f"  held {fmt.duration(p.held_s)}/{fmt.duration(p.max_hold_s)}  nearest exit {p.exit_rule} {p.exit_how}"
            )
        )
    return lines


def signal_log_lines(snap: EngineSnapshot) -> list[Text]:
    lines = [
        Text(f"{'time':<9}{'market':<10}{'pb':<5}{'side':<5}{'score':>5}  {'status':<9}reason", style="bold underline")
    ]
    if not snap.signal_log:
        lines.append(Text("no signals yet this session", style=DIM))
    for r in reversed(snap.signal_log):  # newest first
        style = "bold" if r.status in ("entered", "raised") else ""
        lines.append(
            Text(
                f"{fmt.hhmmss(r.ts):<9}{short_name(r.market):<10}{r.playbook:<5}{r.side.upper():<5}{r.score:>5.1f}"
                f"  {r.status:<9}{r.reason}",
                style=style,
            )
        )
    return lines


def feed_lines(feeds: Iterable[FeedView], width: int = 80) -> list[Text]:
    lines = [
        Text(
            f"  {'venue':<10}{'state':<16}{'msg/s':>6}{'lag':>7}{'last msg':>9}{'rc':>4}{'retry':>6}  drops by reason",
            style="bold underline",
        )
    ]
    feeds = list(feeds)
    if not feeds:
        lines.append(Text("  NO DATA: no source connected", style=BOLD))
    for f in feeds:
        state = "never connected" if f.never_connected else f.state
        age = "—" if f.last_msg_age_s is None else f"{f.last_msg_age_s:.0f}s ago"
        lag = "—" if f.lag_ms is None else f"{f.lag_ms:.0f}ms"
        rate = "—" if f.msgs_per_s is None else fmt.rate(f.msgs_per_s)
        retry = "—" if f.next_retry_s is None else f"{f.next_retry_s:.0f}s"
        drops = " ".join(f"{k} {v}" for k, v in f.dropped) or "none"
        lines.append(
            Text(
                f"{feed_glyph(f)} {f.venue:<10}{state:<16}{rate:>6}{lag:>7}{age:>9}{f.reconnects:>4}{retry:>6}"
                f"  {drops}",
                style="" if f.ok else BOLD,
            )
        )
        notes: list[tuple[str, str]] = []  # whole, wrapped: a reason says what to fix
        if f.never_connected and f.state == "down":
            notes.append((f"down (never reached this run): {f.reason or f.last_error or 'no reason given'}", BOLD))
        elif f.reason:
            notes.append((f.reason, DIM))
        elif f.last_error:
            notes.append((f"last error: {f.last_error}", DIM))
        if f.coverage:
            notes.append((f"liquidations: {f.coverage}", DIM))
        for note, style in notes:
            lines.extend(Text(f"    {part}", style=style) for part in textwrap.wrap(note, max(20, width - 6)))
    lines.append(Text(""))
    lines.append(Text("glyphs", style=BOLD))
    lines.extend(Text(f"  {g}  {meaning}") for g, meaning in FEED_GLYPHS)
    return lines


def message_lines(history: Iterable[Message]) -> list[Text]:
    msgs = list(history)
    if not msgs:
        return [Text("no messages yet", style=DIM)]
    mark = {"error": "✖", "warn": "⚠", "info": "·"}
    return [
        Text(
            f"{fmt.hhmmss(m.ts) if m.ts > 0 else '--:--:--'} {mark.get(m.level, '·')} {m.text}",
            style=BOLD if m.level != "info" else "",
        )
        for m in reversed(msgs)
    ]


HELP_KEYS = (
    (
        "Trading",
        (
            ("a", "arm: semi-auto (confirm each entry) or full-auto; warns when a feed is down"),
            ("d / F9", "disarm (back to WATCH; open positions keep their exits)"),
            ("K / ctrl+k", "KILL: flatten everything and disarm, no questions"),
            ("f", "flatten the selected market (asks: f again or y)"),
            ("F", "flatten all and disarm (asks: F again or y)"),
            ("y / n", "take / skip the signal in the signal panel"),
            ("] / [", "next / previous waiting signal"),
        ),
    ),
    (
        "Moving",
        (
            ("j k ↓ ↑", "move the cursor in the focused pane (or scroll a view)"),
            ("g / G", "first / last row"),
            ("tab", "focus the next pane (windows ⇄ tape); the focused pane's border is heavy"),
            ("enter", "market view of the row under the cursor (price, score, filters, heat, position)"),
            ("esc", "back to the main screen / cancel a question"),
        ),
    ),
    (
        "Views",
        (
            ("l", "signals log: every signal raised, taken, skipped, expired or blocked"),
            ("e", "feeds: state, msg/s, lag, last message, drops, reconnects, next retry"),
            ("m", "message history (the status line shows the latest)"),
            ("s", "stats per playbook and score tier (session and journal)"),
            ("/", "filter the tape: 50k BTC long · 1m · short · empty clears"),
            ("t", "next theme    ctrl+p command palette    ? this help    q quit"),
        ),
    ),
    (
        "Replay and simulator",
        (
            ("space", "pause / resume"),
            ("+ / -", "faster / slower"),
            ("> / }", "seek +1 / +10 min: every event on the way goes through the engine"),
            ("c", "seek to just before the next cascade (a large liquidation on a quiet market)"),
            ("< / {", "no seek back (the engine's state is built from every event): use --from"),
        ),
    ),
)

HELP_GLYPHS = (
    ("▼L", "long positions liquidated (forced sells, price falling)"),
    ("▲S", "short positions liquidated (squeeze, price rising)"),
    ("▼██│██▲", "window meter: long USD grows left, short right; log scale, $10k = 1 cell, $100M full"),
    ("✗score", "watching, but this filter fails first (the row says why it is not signalling)"),
    ("SIG 9s", "signal raised, 9 s left to enter (FADE = fade playbook)"),
    ("IN POS", "position open or entry order in flight"),
    ("watch/track", "a large liquidation started a watch (ride / fade playbook)"),
    ("›", "selected market (drives the heat pane)"),
    ("oi 0.5?×.1", "score component, value × weight; ? = input unknown, counted neutral (0.5)"),
    ("✓ / ✗", "filter passed / failing, with its value against the threshold"),
    ("⇢TP 1.1%", "the exit rule closest to firing and how far it is"),
    ("+1.2R", "P&L in units of the dollar risk at the stop"),
    ("✕$1.2M", "liquidations that really happened in that price range (heat overlay)"),
    ("▌MODE▐", "WATCH never trades · SEMI-AUTO asks · FULL-AUTO trades alone"),
    ("NO DATA", "no venue connected; ENDED = replay finished; ⏸ paused"),
    ("⏩ SEEK", "seeking: every event on the way goes through the engine"),
    ("+N more", "rows below the visible list; move down to see them"),
)


def help_lines(width: int = 0) -> list[Text]:
    """Every key and glyph; with `width`, a long explanation wraps under itself instead of being cut."""
    lines: list[Text] = []

    def rows(entries) -> None:
        for key, what in entries:
            parts = textwrap.wrap(what, width - 18) if width > 40 else [what]
            lines.append(Text(f"  {key:<12}{parts[0] if parts else ''}"))
            lines.extend(Text(" " * 14 + part) for part in parts[1:])

    for title, keys in HELP_KEYS:
        lines.append(Text(title, style=BOLD))
        rows(keys)
    lines.append(Text("Glyphs", style=BOLD))
    rows(HELP_GLYPHS)
    lines.append(Text("Feed glyphs", style=BOLD))
    rows(FEED_GLYPHS)
    note = (
        "Columns drop whole on narrow screens, in this order: tape symbol, lag, qty, venue, time;"
        " panes: heat, then risk. Market, side, price, P&L, mode and clock always stay."
    )
    lines.extend(Text(part, style=DIM) for part in (textwrap.wrap(note, width - 4) if width > 40 else [note]))
    return lines


def risk_rule_label(rule: str) -> str:
    return RULE_LABELS.get(rule, rule)
