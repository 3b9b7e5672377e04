"""SignalPanel: the semi-auto confirm, docked at the bottom so the market stays live above it
(on the right at ≥ 160 columns).

Everything is read from the snapshot on every refresh (never stale): queue position, time
left, the plan, dollar risk at the stop against the daily loss limit, reward:risk, notional
against the caps, why this size, each filter with its value, and the keys. When the panel has
fewer rows than that takes (80×24), the filters go to two columns (each value cut to its
column), then the playbook's sentence goes, then passing filters are listed by name only:
every filter stays on screen, and the market view (⏎) has them all in full.
"""

from __future__ import annotations

import textwrap

from rich.style import Style
from rich.text import Text
from textual.css.scalar import Unit
from textual.widget import Widget

from core.events import short_name
from core.snapshot_rows import RiskView, SignalView
from tui import numbers as fmt
from tui.widgets.repaint import RepaintWhenChanged, set_title

BAR_W = 20
SHORT = {"proximity": "prox", "funding": "fund"}  # so the five components fit one line at 80 columns


def _w(weight: float) -> str:
    return f"{weight:g}".removeprefix("0") if 0 < weight < 1 else f"{weight:g}"


class SignalPanel(RepaintWhenChanged, Widget, can_focus=False):
    COMPONENT_CLASSES = {
        "signal--sell",
        "signal--buy",
        "signal--dim",
        "signal--bad",
        "signal--ok",
        "signal--warn",
        "signal--key",
    }
    DEFAULT_CSS = """
    SignalPanel { height: auto; max-height: 12; display: none; border: heavy $mode-semi;
        border-title-style: bold; border-subtitle-style: bold; background: $surface; text-wrap: nowrap; text-overflow: clip; }
    SignalPanel.-active { display: block; }
    SignalPanel > .signal--sell { color: $liq-long; text-style: bold; }
    SignalPanel > .signal--buy { color: $liq-short; text-style: bold; }
    SignalPanel > .signal--dim { color: $text-muted; }
    SignalPanel > .signal--bad { color: $error; text-style: bold; }
    SignalPanel > .signal--ok { color: $success; }
    SignalPanel > .signal--warn { color: $warning; text-style: bold; }
    SignalPanel > .signal--key { text-style: bold reverse; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.signal: SignalView | None = None
        self.risk: RiskView | None = None
        self.pos = (0, 0)

    def show(self, signal: SignalView | None, pos: tuple[int, int], risk: RiskView) -> None:
        self.signal, self.pos, self.risk = signal, pos, risk
        self.set_class(signal is not None, "-active")
        if signal is not None:
            n, total = pos
            set_title(
                self,
                f"SIGNAL {n}/{total} · {short_name(signal.market)} {signal.order_side.upper()} ({signal.playbook})",
                f"{signal.seconds_left:.0f} s left",
            )
        self.refresh_if_changed()

    def render(self) -> Text:
        s, rk = self.signal, self.risk
        if s is None or rk is None:
            return Text(no_wrap=True, overflow="crop")
        width = self.content_size.width or 78
        rows = self._row_limit()
        # the most detail that fits the rows the panel has; the last one fits whatever it costs
        for filters, why in (("full", True), ("columns", True), ("columns", False), ("names", True)):
            out = self._text(s, rk, width, filters, why)
            if out.plain.count("\n") + 1 <= rows:
                return out
        return self._text(s, rk, width, "names", False)

    def _row_limit(self) -> int:
        """Content rows the panel may take: its max-height (bottom dock), or its column (right dock)."""
        mh = self.styles.max_height
        if mh is not None and mh.unit == Unit.CELLS:
            return max(1, int(mh.value) - 2)
        height = self.parent.size.height if isinstance(self.parent, Widget) else self.app.size.height
        return max(1, height - 2)

    def _text(self, s: SignalView, rk: RiskView, width: int, filters: str, why: bool) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        cls = self.get_component_rich_style
        dim = cls("signal--dim")
        # 1: the plan (stop and target move to the next line rather than being cut)
        side = cls("signal--sell" if s.order_side == "sell" else "signal--buy")
        head = "SELL ▼" if s.order_side == "sell" else "BUY ▲"
        out.append(head, side)
        plan = f" {fmt.qty(s.qty)} {short_name(s.market)} {fmt.usd(s.notional)} @ {fmt.price(s.price)}"
        out.append(plan)
        stop, target = fmt.price(s.stop_price), fmt.price(s.take_profit_price)
        legs = f"  stop {stop} ({s.stop_pct:.2f}%)  target {target} ({s.take_profit_pct:.2f}%)"
        if len(head) + len(plan) + len(legs) > width:  # tighter before it takes a second line
            legs = f" stop {stop} {s.stop_pct:.2f}% target {target} {s.take_profit_pct:.2f}%"
        if len(head) + len(plan) + len(legs) <= width:
            out.append(legs)
        else:
            out.append(f"\nstop {stop} ({s.stop_pct:.2f}%)  target {target} ({s.take_profit_pct:.2f}%)")
        # 2: keys and the time left, always on screen however short the panel
        out.append("\n")
        out.append(" y ", cls("signal--key"))
        out.append(" take  ")
        out.append(" n ", cls("signal--key"))
        out.append(" skip  ")
        out.append(" ] ", cls("signal--key"))
        out.append(" next  ", Style())
        total_s = max(0.001, s.expires_ts - s.raised_ts)
        filled = round(BAR_W * s.seconds_left / total_s)
        out.append("█" * filled + "░" * (BAR_W - filled), cls("signal--warn"))
        out.append(f" {s.seconds_left:4.1f} s", Style(bold=True))
        # 3: what it risks
        share = s.risk_usd / rk.daily_loss_limit * 100 if rk.daily_loss_limit > 0 else 0.0
        left_today = max(0.0, rk.daily_loss_limit - rk.daily_loss)
        out.append("\nrisk ", dim)
        out.append(f"{fmt.usd(s.risk_usd)}", cls("signal--bad") if s.risk_usd > left_today else Style(bold=True))
        at_stop = f" at stop = {share:.0f}% of daily limit {fmt.usd(rk.daily_loss_limit)} ({fmt.usd(left_today)} left)"
        out.append(at_stop)
        reward = f"  reward {fmt.usd(s.reward_usd)}  R:R {s.reward_risk:.2f}"
        wrap = 5 + len(fmt.usd(s.risk_usd)) + len(at_stop) + len(reward) > width  # a narrow (right) dock
        out.append("\nreward " if wrap else "  reward ", dim)
        out.append(f"{fmt.usd(s.reward_usd)}  R:R {s.reward_risk:.2f}", Style(bold=True))
        # 3: notional against the caps
        total_after = rk.open_notional + s.notional
        out.append("\nnotional ", dim)
        out.append(
            f"{fmt.usd(s.notional)}/{fmt.usd(rk.max_notional_per_trade)} per trade",
            cls("signal--bad") if s.notional > rk.max_notional_per_trade else Style(),
        )
        out.append(" · ", dim)
        out.append(
            f"{fmt.usd(total_after)}/{fmt.usd(rk.max_total_notional)} total",
            cls("signal--bad") if total_after > rk.max_total_notional else Style(),
        )
        out.append(f" · open {rk.open_positions + rk.pending_entries}/{rk.max_open}", dim)
        # 4: why this size
        out.append("\nsize", dim)
        if s.size_skip:
            out.append(f" skip: {s.size_skip}", cls("signal--warn"))
        else:  # "a = b ÷ c → cap" may not fit one line: break it at its own steps
            steps = s.size_reason.replace(" = ", " =\0").replace(" → ", "\0→ ").split("\0")
            _wrap(out, [(p, Style()) for p in steps], width, col=4, sep=" ")
        # 5: score and filters, each with its value, wrapped to the panel
        sc = s.score
        out.append("\nscore ", dim)
        out.append(f"{sc.total:.1f} =", Style(bold=True))
        items = [
            (f"{SHORT.get(c.name, c.name)} {c.value:.1f}{'' if c.known else '?'}×{_w(c.weight)}", dim)
            for c in sc.components
        ]
        _wrap(out, items, width, col=8 + len(f"{sc.total:.1f}"), sep=" ")
        out.append("\n")
        ok, bad = cls("signal--ok"), cls("signal--bad")
        if filters == "full":
            _wrap(
                out,
                [(f"{'✓' if f.passed else '✗'}{f.name} {f.detail}", ok if f.passed else bad) for f in s.filters],
                width,
                col=0,
            )
        elif filters == "columns":
            cell = (width - 2) // 2
            for i, f in enumerate(s.filters):
                text = _clip(f"{'✓' if f.passed else '✗'}{f.name} {f.detail}", cell)
                if i % 2:
                    out.append("  ")
                elif i:
                    out.append("\n")
                out.append(text.ljust(cell) if i % 2 == 0 else text, ok if f.passed else bad)
        else:  # failing filters with their values, passing ones by name
            failing = [f for f in s.filters if not f.passed]
            passing = [f.name for f in s.filters if f.passed]
            for f in failing:
                out.append(_clip(f"✗{f.name} {f.detail}", width) + "\n", bad)
            if passing:
                out.append(f"✓ {len(passing)} pass:", ok)
                _wrap(out, [(n, ok) for n in passing], width, col=len(f"✓ {len(passing)} pass:"), sep=" ")
                out.append("  (⏎ values)", dim) if len(out.plain.rsplit("\n", 1)[-1]) + 12 <= width else None
            elif out.plain.endswith("\n"):
                out.right_crop(1)
        if why and s.playbook != "ride":  # the ride playbook's why is its filters, already listed above
            text = f"why: {s.why}"
            lines = textwrap.wrap(text, width) if filters == "full" else [_clip(text, width)]
            out.append("\n" + "\n".join(lines), Style(italic=True))
        return out


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _wrap(out: Text, items: list[tuple[str, Style]], width: int, col: int, sep: str = "  ") -> None:
    """Append items separated by `sep`, starting a new line rather than cutting one."""
    for item, style in items:
        if col and col + len(item) + len(sep) > width:
            out.append("\n")
            col = 0
        elif col:
            out.append(sep)
            col += len(sep)
        out.append(item, style)
        col += len(item)
