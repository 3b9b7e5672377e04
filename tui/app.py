"""LiqHuntApp: the console. It reads engine state on one timer and sends typed commands back.

Composition: `make_app(engine, source, clock, config, theme)` builds it for the CLI, tests and
snapshots. The source (simulator, replay, live feeds) runs as a worker in the same asyncio
loop and feeds the engine; a source fault is shown, never fatal. Engine events are used only
for what cannot wait for the next repaint: confirm dialogs, closing them, announcing entries.
"""
from __future__ import annotations

import itertools
from typing import Iterable

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from core.config import Config
from core.engine import MODE_LABELS, Engine
from core.engine_commands import Arm, Command, Disarm, Flatten, FlattenAll, Kill
from core.engine_events import ModeChanged, PositionClosed, RiskBlocked, SignalEnded, SignalRaised
from core.events import short_name
from tui import numbers as fmt
from tui.confirm_queue import ConfirmQueue
from tui.feed_status import feed_lines
from tui.liq_levels import LevelsProvider, RealisedLevels
from tui.rate_meter import RateMeter
from tui.render_guard import describe, pane_update
from tui.screens.choice import HelpScreen, arm_dialog, quit_dialog
from tui.screens.tape_filter import TapeFilterScreen
from tui.theme_loader import ANSI_THEME, DEFAULT_THEME, VARIABLE_DEFAULTS, load_themes, wants_ansi
from tui.widgets.header import ModeHeader
from tui.widgets.heat import HeatPane
from tui.widgets.meters import WindowMeters
from tui.widgets.positions import PositionRow, PositionsPane
from tui.widgets.risk import RiskPane
from tui.widgets.tape import LiquidationTape, TapeFilter
from tui.widgets.repaint import set_title

ANNOUNCED = (SignalRaised, SignalEnded, ModeChanged, RiskBlocked, PositionClosed)


class LiqHuntApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "liqhunt"
    BINDINGS = [
        Binding("ctrl+k", "kill", "Kill", priority=True, show=False),
        Binding("f9", "disarm", "Disarm", priority=True, show=False),
        Binding("a", "arm", "Arm"),
        Binding("d", "disarm", "Disarm", priority=True),
        Binding("f", "flatten", "Flat"),
        Binding("F", "flatten_all", "All"),
        Binding("k", "kill", "Kill", priority=True),
        Binding("y", "answer('confirm')", "Yes", show=False),
        Binding("n", "answer('reject')", "No", show=False),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("s", "stats", "Stats"),
        Binding("t", "next_theme", "Theme"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit_console", "Quit"),
        Binding("up", "select(-1)", "Up", show=False),
        Binding("down", "select(1)", "Down", show=False),
    ]

    def __init__(self, engine: Engine, source=None, config: Config | None = None, theme: str | None = None,
                 themes: dict[str, Theme] | None = None, levels: LevelsProvider | None = None,
                 ansi: bool = False, clock=None, journal=None) -> None:
        super().__init__(ansi_color=True if ansi else None)
        self.engine = engine
        self.clock = clock or engine.clock  # the dialogs count down on this (the engine's time)
        self.source = source
        self.cfg = config or engine.cfg
        self.levels = levels or RealisedLevels()
        self.journal = journal  # for the stats screen's history; None when nothing is journaled
        self.startup_notes: list[str] = []  # shown once the screen is up (e.g. positions restored)
        self.mount_hooks: list = []  # run in on_mount, inside the event loop (signal handlers)
        self.confirms = ConfirmQueue(self)
        self.selected = ""
        self._user_selected = False
        self._tape_seen = engine.liquidations_seen - len(engine.tape)  # the tape opens on what the engine holds
        self._liq_rate = RateMeter()
        self._msg_rate = RateMeter()
        self.source_error = ""
        self.source_done = False
        self._journal_errors = 0
        self.refresh_error = ""  # the last screen-update failure, shown in the header; never fatal  # journal rows that failed to commit (disk full, read-only): shown, never fatal
        self.views = []
        self._unsubscribe = None
        themes = themes if themes is not None else load_themes()
        for t in themes.values():
            self.register_theme(t)
        self.theme_names = [n for n in (DEFAULT_THEME, "liq-light", "liq-contrast", "liq-cb") if n in themes]
        self.theme_names += sorted(set(themes) - set(self.theme_names)) + [ANSI_THEME]
        self.theme = theme or (ANSI_THEME if ansi else DEFAULT_THEME if DEFAULT_THEME in themes else "textual-dark")

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield ModeHeader(id="header")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield LiquidationTape(large_usd=self.cfg.ui.large_usd, id="tape")
                yield PositionsPane(id="positions")
            with Vertical(id="right"):
                yield WindowMeters(window_s=self.cfg.window.window_s, id="meters")
                yield HeatPane(id="heat")
                yield RiskPane(id="risk")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for hook in self.mount_hooks:
            hook()
        for note in self.startup_notes:
            self.notify(note, title="journal", timeout=10, markup=False)
        self._unsubscribe = self.engine.subscribe(self._on_engine_event)
        self.set_interval(1 / self.cfg.ui.refresh_hz, self.refresh_panes)
        self.refresh_panes()
        if self.engine.mode == "semi":  # signals raised before the console opened still get their dialog
            for sig in list(self.engine.signals.values()):
                self.confirms.offer(sig)
        if self.source is not None:
            self.run_worker(self._run_source(), name="source", group="engine", exclusive=True, exit_on_error=False)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def on_resize(self) -> None:
        self.screen.set_class(self.size.width >= 120, "-wide")
        self.screen.set_class(self.size.height >= 36, "-tall")

    async def _run_source(self) -> None:
        try:
            await self.source.run(self.engine)
        except Exception as exc:  # a source fault must never take the console down
            self.source_error = f"{type(exc).__name__}: {exc}"
            self.notify(f"event source stopped: {self.source_error}", title="source failed", severity="error", timeout=30)
            return
        if getattr(self.source, "finished", False):
            self.source_done = True
            self.notify("replay finished: the screen stays up; q quits", title="replay finished", timeout=15)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "engine" and event.state == WorkerState.ERROR and not self.source_error:
            self.source_error = str(event.worker.error)
            self.notify(f"event source stopped: {self.source_error}", severity="error", timeout=30)

    # -- engine -> screen -------------------------------------------------------------------
    def _on_engine_event(self, ev: object) -> None:
        """Called inside the engine: only queue the few events the screen must act on now."""
        if isinstance(ev, ANNOUNCED):
            self.call_later(self._handle_engine_event, ev)

    def _handle_engine_event(self, ev: object) -> None:
        eng = self.engine
        if isinstance(ev, SignalRaised):
            if eng.mode == "semi" and ev.signal.status == "pending":
                self.confirms.offer(ev.signal)
        elif isinstance(ev, SignalEnded):
            sig = ev.signal
            self.confirms.ended(sig.id)
            if sig.status == "entered":
                auto = eng.mode == "auto"
                self.notify(f"{'FULL-AUTO ' if auto else ''}entry: {sig.order_side.upper()} {fmt.qty(sig.qty)} "
                            f"{short_name(sig.market)} ≈{fmt.usd(sig.notional)} @ {fmt.price(sig.price)}, score {sig.score.total:.1f}",
                            title="entered", severity="warning" if auto else "information", markup=False)
                if auto and self.cfg.ui.bell:
                    self.bell()
        elif isinstance(ev, ModeChanged):
            if ev.new == "watch":
                self.confirms.clear()
            elif ev.new == "semi":
                for sig in list(eng.signals.values()):
                    self.confirms.offer(sig)
            if ev.reason != "user":
                self.notify(f"mode {MODE_LABELS[ev.new]}: {ev.reason}", severity="warning", markup=False)
        elif isinstance(ev, RiskBlocked):
            if eng.mode != "watch" or ev.rule == "kill_switch":
                self.notify(f"{short_name(ev.market)} blocked: {ev.message}", title=ev.rule, severity="warning", markup=False)
        elif isinstance(ev, PositionClosed):
            t = ev.trade
            self.notify(f"closed {short_name(t.market)} {t.side} ({t.reason}): {fmt.usd(t.pnl, signed=True)}",
                        severity="information", markup=False)

    def refresh_panes(self) -> None:
        """The timer's repaint. Nothing raised here may end the console: each pane's update is
        contained (the pane shows the error), and anything else is announced once per kind."""
        try:
            self._refresh_panes()
        except Exception as exc:
            self._refresh_failed(exc)

    def _refresh_failed(self, exc: Exception) -> None:
        message = describe(exc)
        if message != self.refresh_error:
            self.refresh_error = message
            self.notify(f"screen update failed: {message}; the engine keeps running", title="console error",
                        severity="error", timeout=15, markup=False)

    def _refresh_panes(self) -> None:
        try:
            tape = self.screen_stack[0].query_one(LiquidationTape) if self.screen_stack else None
        except NoMatches:
            tape = None
        if tape is None or not tape.is_attached:
            return  # starting up or shutting down
        eng = self.engine
        now = eng.now if eng.now != float("-inf") else self.clock.now()
        # tape: only what arrived since the last refresh; what scrolled out of the engine's ring is counted
        seen = eng.liquidations_seen
        new, self._tape_seen = seen - self._tape_seen, seen
        take = min(new, len(eng.tape))
        fresh = list(itertools.islice(reversed(eng.tape), take))[::-1]
        if isinstance(self.levels, RealisedLevels):
            self.levels.observe(fresh)
        rate = self._liq_rate.update(now, seen)
        if rate is None:  # not enough event time yet: estimate from what the tape holds
            rate = _tape_rate(eng.tape, now)
        msg_rate = self._msg_rate.update(now, sum(eng.counts.values())) or 0.0
        with pane_update(tape):
            tape.ingest(fresh, new - take, rate)
        # meters and selection
        self.views = views = eng.market_views()
        if views and (not self.selected or (not self._user_selected and views[0].market != self.selected)):
            self.selected = views[0].market
        meters = self.query_one(WindowMeters)
        with pane_update(meters):
            meters.show(views, self.selected)
        with pane_update(tape):
            tape.set_selected(self.selected)
        # heat for the selected market
        heat = self.query_one(HeatPane)
        with pane_update(heat):
            price = eng.mark_of(self.selected) if self.selected else None
            lv = self.levels.levels(self.selected, price) if price else None
            heat.show(self.selected, price, lv)
        # positions
        unreal = eng.unrealised()
        pane = self.query_one(PositionsPane)
        with pane_update(pane):
            rows = [PositionRow(p, eng.mark_of(p.market), now, max(0.0, p.max_hold_until - p.entry_ts), eng.position_exit_hint(p))
                    for p in eng.positions.values()]
            title = f"Positions {len(eng.positions)}/{eng.risk.cfg.max_open_positions} · open {fmt.usd(unreal, signed=True)}"
            set_title(pane, subtitle=f"closed {len(eng.trades)} {fmt.usd(eng.realised_pnl, signed=True)} · fees {fmt.usd(eng.fees_paid)}")
            pane.show(rows, list(eng.pending_entries), title, self.selected)
        # risk and header
        feeds = feed_lines(eng, self.source, msg_rate, bool(self.source_error))
        risk = self.query_one(RiskPane)
        with pane_update(risk):
            set_title(risk, f"Risk · {MODE_LABELS[eng.mode]}")
            risk.show(eng, feeds)
        alerts = []
        if eng.risk.killed:
            alerts.append("KILLED")
        if self.source_error:
            alerts.append("SOURCE FAILED")
        if self.source_done or getattr(self.source, "finished", False):
            alerts.append("REPLAY FINISHED")
        if eng.stale_venues:
            alerts.append("STALE " + ",".join(fmt.venue(v) for v in sorted(eng.stale_venues)))
        if self._check_journal():
            alerts.append(f"JOURNAL FAILING {self._journal_errors}")
        if self.refresh_error:
            alerts.append("SCREEN ERROR")
        if len(self.confirms) > 1:
            alerts.append(f"{len(self.confirms)} to confirm")
        label = getattr(self.source, "label", "") if self.source is not None else "no source"
        ok = sum(1 for f in feeds if f.ok)
        header = self.query_one(ModeHeader)
        with pane_update(header):
            header.show(eng.mode, label, eng.risk.realised_today + unreal, (ok, len(feeds)), now, alerts)

    def _check_journal(self) -> int:
        """Rows the journal could not write; the first failure is announced (positions are then
        not crash-safe on disk, though the engine keeps every stop)."""
        stats = getattr(self.journal, "stats", None)
        failed = (stats.errors + stats.dropped) if stats is not None else 0
        if failed > self._journal_errors:
            if not self._journal_errors:
                self.notify(f"journal cannot write ({failed} rows lost so far): positions keep their stops here, "
                            "but a crash would not restore them; check the disk", title="journal failing",
                            severity="error", timeout=30, markup=False)
            self._journal_errors = failed
        return failed

    # -- screen -> engine: typed commands only -------------------------------------------------
    def submit(self, cmd: Command) -> str:
        result = self.engine.submit(cmd)
        self.refresh_panes()
        return result

    def risk_context(self, market: str) -> str:
        eng = self.engine
        rc = eng.risk.cfg
        return (f"trades today {short_name(market)} {eng.risk.trades_today[market]}/{rc.max_trades_per_market_per_day}"
                f" · open {len(eng.positions)}/{rc.max_open_positions}"
                f" · daily loss {fmt.usd(eng.risk.daily_loss(eng.unrealised()))}/{fmt.usd(rc.daily_loss_limit_usd)}")

    def action_arm(self) -> None:
        def done(mode: str | None) -> None:
            if mode:
                result = self.submit(Arm(mode))
                self.notify(result, severity="warning" if mode == "auto" else "information", markup=False)
        self.push_screen(arm_dialog(MODE_LABELS[self.engine.mode]), done)

    def action_disarm(self) -> None:
        if self.engine.mode == "watch":
            self.notify("already WATCH (not trading)", markup=False)
            return
        self.notify(self.submit(Disarm()) + ": WATCH", markup=False)

    def action_kill(self) -> None:
        result = self.submit(Kill())
        self.notify(result, title="kill switch", severity="error", markup=False)

    def action_flatten(self) -> None:
        m = self.selected
        if m not in self.engine.positions:
            held = ", ".join(short_name(p) for p in self.engine.positions) or "none"
            self.notify(f"no {short_name(m) if m else ''} position to flatten (open: {held}); select with ↑/↓",
                        severity="warning", markup=False)
            return
        self.notify(f"flatten {short_name(m)}: " + self.submit(Flatten(m)), markup=False)

    def action_flatten_all(self) -> None:
        self.notify("flatten all: " + self.submit(FlattenAll()), markup=False)

    def action_answer(self, answer: str) -> None:
        if not self.confirms.answer(answer):
            self.notify("no signal waiting for confirmation", markup=False)

    def action_select(self, step: int) -> None:
        markets = [v.market for v in self.views] or list(self.engine.positions)
        if not markets:
            return
        i = markets.index(self.selected) if self.selected in markets else -step
        self.selected = markets[(i + step) % len(markets)]
        self._user_selected = True
        self.refresh_panes()

    def action_filter(self) -> None:
        tape = self.query_one(LiquidationTape)
        f = tape.filter
        current = " ".join(p for p in (fmt.amount(f.min_usd) if f.min_usd else "", f.market, f.side) if p)

        def done(text: str | None) -> None:
            if text is not None:
                tape.set_filter(TapeFilter.parse(text), list(self.engine.tape))
        self.push_screen(TapeFilterScreen(current), done)

    def action_next_theme(self) -> None:
        names = self.theme_names
        i = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(i + 1) % len(names)]
        self.notify(f"theme {self.theme}", markup=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_stats(self) -> None:
        from tui.screens.stats import StatsScreen

        self.push_screen(StatsScreen(self.engine, self.journal))

    def action_quit_console(self) -> None:
        n = len(self.engine.positions)
        if not n:
            self.exit()
            return

        def done(choice: str | None) -> None:
            if choice == "flatten":
                self.submit(FlattenAll())
                self._exit_when_flat(deadline=self.clock.now() + 5.0, tries=30)
            elif choice == "leave":
                self.exit()
        self.push_screen(quit_dialog(n), done)

    def _exit_when_flat(self, deadline: float, tries: int) -> None:
        """Closing orders fill after the broker's latency: quit once they have, so the journal
        records the trades closed rather than positions left open."""
        self.engine.tick()
        if not self.engine.positions and not self.engine.orders:
            self.exit()
        elif tries <= 0:
            self.notify("positions still closing; quitting anyway (the journal keeps them)", severity="warning")
            self.exit()
        else:
            self.set_timer(0.1, lambda: self._exit_when_flat(deadline, tries - 1))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Arm (a)", "semi-auto or full-auto", self.action_arm)
        yield SystemCommand("Disarm (d / F9)", "back to WATCH", self.action_disarm)
        yield SystemCommand("KILL (k / ctrl+k)", "flatten everything and disarm", self.action_kill)
        yield SystemCommand("Flatten selected (f)", "close the selected market's position", self.action_flatten)
        yield SystemCommand("Flatten all (F)", "close every position", self.action_flatten_all)
        yield SystemCommand("Confirm signal (y)", "enter the signal in the dialog", lambda: self.action_answer("confirm"))
        yield SystemCommand("Skip signal (n)", "reject the signal in the dialog", lambda: self.action_answer("reject"))
        yield SystemCommand("Filter tape (/)", "min USD, market, side", self.action_filter)
        yield SystemCommand("Stats (s)", "win rate and P&L per playbook and score tier", self.action_stats)
        yield SystemCommand("Next theme (t)", "cycle the liqhunt themes", self.action_next_theme)
        yield SystemCommand("Help (?)", "keys and symbols", self.action_help)
        yield SystemCommand("Quit (q)", "asks first when positions are open", self.action_quit_console)


def _tape_rate(tape, now: float, span: float = 10.0) -> float:
    n = 0
    for ev in reversed(tape):
        if ev.ts_recv < now - span:
            break
        n += 1
    return n / span


def make_app(engine: Engine, source=None, clock=None, config: Config | None = None, theme: str | None = None,
             levels: LevelsProvider | None = None, env: dict[str, str] | None = None, journal=None) -> LiqHuntApp:
    """The one way to build the console (CLI, tests, snapshots). The ANSI theme is chosen here,
    before the App exists, when NO_COLOR is set or the terminal has no colour."""
    ansi = wants_ansi(env) and theme is None
    return LiqHuntApp(engine, source, config or engine.cfg, theme=theme, levels=levels, ansi=ansi, clock=clock, journal=journal)
