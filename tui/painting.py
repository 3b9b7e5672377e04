"""ScreenPainter: the console's side of the snapshot, as a mixin of the app.

The timer reads the engine once per render cycle (`_take_snapshot`), then repaints one group of
panes per tick (`_budget_tick`), so no loop callback, and no compositor pass after it, redraws
the whole screen; keys, commands and resizes repaint everything at once (`refresh_panes`).
Nothing raised while painting ends the console: each pane's update is contained, and anything
else is announced once per kind.
"""

from __future__ import annotations

from rich.text import Text
from textual.css.query import NoMatches

from core.engine import MODE_LABELS
from core.events import short_name
from core.snapshot_rows import EngineSnapshot
from tui import numbers as fmt
from tui import views
from tui.render_guard import describe, pane_update
from tui.screens.stats import tier_lines
from tui.widgets.header import ModeHeader
from tui.widgets.heat import HeatPane
from tui.widgets.info_view import InfoView
from tui.widgets.meters import WindowMeters
from tui.widgets.positions import PositionsPane
from tui.widgets.repaint import set_title
from tui.widgets.risk import RiskPane
from tui.widgets.signal_panel import SignalPanel
from tui.widgets.status_line import StatusLine
from tui.widgets.tape import BUSY_RATE, LiquidationTape

RENDER_PHASES = 7  # timer ticks per render cycle: the snapshot, then one tick per group of panes


class ScreenPainter:
    """Snapshot → screen for `LiqHuntApp` (its state is set in the app's `__init__`)."""

    def refresh_panes(self) -> None:
        """A full repaint now (keys, commands, start-up, resizes; the timer spreads it: `_budget_tick`).
        Nothing raised here may end the console: each pane's update is contained (the pane shows the
        error in place), and anything else is announced once per kind."""
        try:
            self._refresh_panes()
        except Exception as exc:
            self._report_refresh_error(exc)

    def _report_refresh_error(self, exc: Exception) -> None:
        """Announced once per kind of failure; the engine keeps running."""
        message = describe(exc)
        if message != self.refresh_error:
            self.refresh_error = message
            self.notify(
                f"screen update failed: {message}; the engine keeps running",
                title="console error",
                severity="error",
                timeout=15,
                markup=False,
            )

    def _refresh_panes(self) -> None:
        """Everything at once: a new snapshot and every pane (keys, commands, resizes, start-up)."""
        if self._take_snapshot() is not None:
            for paint in self._painters:
                paint()

    def _budget_tick(self) -> None:
        """The timer's repaint, spread over RENDER_PHASES ticks: the snapshot on the first, then one
        group of panes per tick, so that one loop callback (and the compositor pass after it) never
        redraws the whole screen and a frame waits at most for one pane. Each pane still repaints
        at `refresh_hz`, from the snapshot taken at the start of its cycle."""
        phase, self._phase = self._phase, (self._phase + 1) % RENDER_PHASES
        try:
            if phase == 0:
                self._take_snapshot()
            elif self.snap is not None and self._screen_ready():
                self._painters[phase - 1]()
        except Exception as exc:
            self._report_refresh_error(exc)

    @property
    def _painters(self):
        return (
            self._paint_tape,
            self._paint_meters,
            self._paint_heat,
            self._paint_positions,
            self._paint_risk,
            self._paint_chrome,
        )

    def _screen_ready(self) -> bool:
        try:
            tape = self.screen_stack[0].query_one(LiquidationTape) if self.screen_stack else None
        except NoMatches:
            return False
        return tape is not None and tape.is_attached  # not while starting up or shutting down

    def _take_snapshot(self) -> EngineSnapshot | None:
        """Read the engine once (rows scored only for the visible part of the list), hand over what
        cannot wait (notices, alerts, the selection), and leave the panes to the painters."""
        if not self._screen_ready():
            return None
        meters = self.query_one(WindowMeters)
        # before the first layout the pane has no size yet: score as many rows as the screen has
        visible = (
            (meters.visible_rows() if meters.content_size.height > 0 else self.size.height) if meters.display else 0
        )
        market_view = self.query_one(InfoView).kind == "market"  # the chart's history only when it is shown
        snap = self.snap = self.snapshots.build(
            self.selected, rows=(self._list_offset, max(visible, 1)), price_history=market_view
        )
        for n in snap.notices:
            self.flash(n.text, n.level)
        self._announce(snap)
        # tape: only what arrived since the last build; what scrolled out of the engine's ring is counted
        self._tape_history.extend(snap.tape)
        self._tape_fresh.extend(snap.tape)
        self._tape_skipped += snap.tape_skipped
        rate = self._liq_rate.update(snap.now, snap.liquidations_seen)
        if rate is None:  # not enough event time yet: estimate from what the tape holds
            rate = _tape_rate(self._tape_history, snap.now)
        self._rate = rate
        # the windows list, its selection and scroll
        order = [m.market for m in snap.markets]
        if order and (not self._user_selected or self.selected not in order):
            self.selected = order[0]  # the busiest market until the user picks one (j/k)
            self._user_selected = False
        self._scroll_to_selection(order, visible)
        # in a burst every figure moves on every refresh: the lists repaint at half the rate
        # (what an SSH link carries), the header, positions and the signal panel at full rate
        self._tick += 1
        self._calm = rate < BUSY_RATE or self._tick % 2 == 0 or self._user_moved
        self._user_moved = False
        return snap

    def _paint_tape(self) -> None:
        tape = self.query_one(LiquidationTape)
        fresh, skipped = self._tape_fresh, self._tape_skipped
        self._tape_fresh, self._tape_skipped = [], 0
        with pane_update(tape):
            tape.ingest(fresh, skipped, self._rate)
        with pane_update(tape):
            tape.set_selected(self.selected)

    def _paint_meters(self) -> None:
        snap = self.snap
        if self._calm and snap is not None:
            meters = self.query_one(WindowMeters)
            with pane_update(meters):
                meters.show(snap.markets, self.selected, self._list_offset)

    def _paint_heat(self) -> None:
        """At the lists' rate (every other cycle in a burst)."""
        snap = self.snap
        if self._calm and snap is not None:
            heat = self.query_one(HeatPane)
            with pane_update(heat):
                heat.show(snap.selected, snap.selected_price, snap.heat)

    def _paint_positions(self) -> None:
        """On every cycle."""
        snap = self.snap
        if snap is None:
            return
        rk = snap.risk
        pane = self.query_one(PositionsPane)
        with pane_update(pane):
            set_title(
                pane,
                subtitle=f"closed {snap.closed_trades} {fmt.usd(snap.realised_pnl, signed=True)} · fees {fmt.usd(snap.fees_paid)}",
            )
            pane.show(
                snap.positions,
                snap.pending_entries,
                f"Positions {len(snap.positions)}/{rk.max_open} · open {fmt.usd(rk.unrealised, signed=True)}",
                self.selected,
            )

    def _paint_risk(self) -> None:
        """The title on every cycle (it carries the mode), the counters at the lists' rate."""
        snap = self.snap
        if snap is None:
            return
        risk = self.query_one(RiskPane)
        set_title(risk, f"Risk · {MODE_LABELS[snap.mode]}")
        if self._calm:
            with pane_update(risk):
                risk.show(snap.risk, snap.feeds)

    def _paint_chrome(self) -> None:
        """The signal panel, the header, the status line and an open view."""
        snap = self.snap
        if snap is None:
            return
        self._refresh_signal_panel(snap)
        alerts = []
        if snap.risk.killed:
            alerts.append("KILLED")
        if self.source_error:
            alerts.append("SOURCE FAILED")
        if snap.stale_venues:
            alerts.append("STALE " + ",".join(fmt.venue(v) for v in snap.stale_venues))
        if self._check_journal():
            alerts.append(f"JOURNAL FAILING {self._journal_errors}")
        if self.refresh_error:
            alerts.append("SCREEN ERROR")
        header = self.query_one(ModeHeader)
        with pane_update(header):
            header.show(snap.mode, snap.source, snap.pnl_today, snap.feeds, snap.now, alerts)
        self.query_one(StatusLine).tick()
        self._refresh_info(snap)

    def _announce(self, snap: EngineSnapshot) -> None:
        """Alerts: the bell (once per refresh, however many), and a line for those no notice covers."""
        if not snap.alerts:
            return
        for a in snap.alerts:
            if a.kind in ("confirm", "loss_near"):
                self.flash(f"{a.title}: {a.text}", "warn")
        if self.cfg.ui.bell:
            self.bell()

    def _scroll_to_selection(self, order: list[str], visible: int) -> None:
        if self.selected in order and visible > 0:
            i = order.index(self.selected)
            if i < self._list_offset:
                self._list_offset = i
            elif i >= self._list_offset + visible:
                self._list_offset = i - visible + 1
        self._list_offset = max(0, min(self._list_offset, max(0, len(order) - visible)))

    def _refresh_signal_panel(self, snap: EngineSnapshot) -> None:
        if snap.mode == "semi" and not snap.source.seeking:
            self.confirms.sync([s.id for s in snap.to_confirm])
        else:
            self.confirms.clear()
        active = next((s for s in snap.signals if s.id == self.confirms.active), None)
        for panel in self.query(SignalPanel):  # one shows: at the bottom, or on the right when wide (app.tcss)
            panel.show(active, self.confirms.position(), snap.risk)
        right = self.screen.has_class("-xwide")
        self.screen.set_class(active is not None and not right, "-signal")
        self.screen.set_class(active is not None and right, "-signal-right")

    def _refresh_info(self, snap: EngineSnapshot) -> None:
        info = self.query_one(InfoView)
        if not info.kind:
            return
        width = info.content_size.width or self.size.width
        if info.kind == "market":
            info.show(
                f"Market {short_name(self.selected)}",
                views.market_lines(
                    snap, self.selected, snap.selected_prices if snap.selected == self.selected else (), width
                ),
            )
        elif info.kind == "signals":
            info.show(f"Signals log · {len(snap.signal_log)}", views.signal_log_lines(snap))
        elif info.kind == "feeds":
            info.show("Feeds", views.feed_lines(snap.feeds, width))
        elif info.kind == "messages":
            info.show("Messages", views.message_lines(self.query_one(StatusLine).history))
        elif info.kind == "help":
            info.show("Help: keys and glyphs", views.help_lines(width))
        elif info.kind == "stats":
            text = "\n".join(tier_lines(list(snap.trades), "This session"))
            text += "\n\n" + (
                self._journal_text
                or ("Journal history: reading…" if self.journal else "Journal history: no journal attached")
            )
            info.show("Stats per playbook and score tier", [Text(line) for line in text.split("\n")])

    def _check_journal(self) -> int:
        """Rows the journal could not write; the first failure is announced (positions are then
        not crash-safe on disk, though the engine keeps every stop)."""
        stats = getattr(self.journal, "stats", None)
        failed = (stats.errors + stats.dropped) if stats is not None else 0
        if failed > self._journal_errors:
            if not self._journal_errors:
                self.flash(
                    f"journal cannot write ({failed} rows lost so far): a crash would not restore positions; check the disk",
                    "error",
                )
            self._journal_errors = failed
        return failed


def _tape_rate(tape, now: float, span: float = 10.0) -> float:
    n = 0
    for ev in reversed(tape):
        if ev.ts_recv < now - span:
            break
        n += 1
    return n / span
