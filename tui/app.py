"""LiqHuntApp: the console. It reads engine state on one timer and sends typed commands back.

Composition: `make_app(engine, source, clock, config, theme)` builds it for the CLI, tests and
snapshots. The source (simulator, replay, live feeds) runs as a worker in the same asyncio
loop and feeds the engine; a source fault is shown, never fatal. Engine events are used only
for what cannot wait for the next repaint: confirm dialogs, closing them, announcing entries.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import Worker, WorkerState

from core.alerts import AlertDispatcher, AlertWatch, webhooks_from
from core.config import Config
from core.engine import MODE_LABELS, Engine
from core.engine_commands import Command, FlattenAll
from core.events import short_name
from core.heat_levels import LevelsProvider, RealisedLevels
from core.snapshot import SnapshotBuilder
from core.snapshot_rows import EngineSnapshot
from tui import numbers as fmt
from tui import views
from tui.confirm_queue import ConfirmQueue
from tui.keys import ConsoleKeys
from tui.rate_meter import RateMeter
from tui.render_guard import describe, pane_update
from tui.screens.stats import tier_lines
from tui.theme_loader import ANSI_THEME, DEFAULT_THEME, VARIABLE_DEFAULTS, load_themes, wants_ansi
from tui.widgets.header import ModeHeader
from tui.widgets.heat import HeatPane
from tui.widgets.info_view import InfoView
from tui.widgets.meters import WindowMeters
from tui.widgets.positions import PositionsPane
from tui.widgets.prompt_bar import PromptBar
from tui.widgets.repaint import set_title
from tui.widgets.risk import RiskPane
from tui.widgets.signal_panel import SignalPanel
from tui.widgets.status_line import StatusLine
from tui.widgets.tape import BUSY_RATE, LiquidationTape

RENDER_PHASES = 7  # timer ticks per render cycle: the snapshot, then one tick per group of panes


class LiqHuntApp(ConsoleKeys, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "liqhunt"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-normal"), (120, "-wide"), (160, "-xwide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-h24"), (30, "-h30"), (40, "-tall")]
    BINDINGS = [
        Binding("ctrl+k", "kill", "Kill", priority=True, show=False),
        Binding("K", "kill", "Kill", priority=True),
        Binding("f9", "disarm", "Disarm", priority=True, show=False),
        Binding("a", "arm", "Arm"),
        Binding("d", "disarm", "Disarm"),
        Binding("f", "flatten", "Flat"),
        Binding("F", "flatten_all", "All"),
        Binding("y", "yes", "Yes", show=False),
        Binding("n", "answer(False)", "No", show=False),
        Binding("right_square_bracket", "next_signal(1)", "Next signal", show=False),
        Binding("left_square_bracket", "next_signal(-1)", "Previous signal", show=False),
        Binding("j,down", "move(1)", "Down", show=False),
        Binding("k,up", "move(-1)", "Up", show=False),
        Binding("g,home", "move_to(0)", "Top", show=False),
        Binding("G,end", "move_to(-1)", "Bottom", show=False),
        Binding("enter", "open_market", "Market", show=False),
        Binding("escape", "back", "Back", show=False),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("l", "view('signals')", "Signals"),
        Binding("e", "view('feeds')", "Feeds"),
        Binding("m", "view('messages')", "Messages"),
        Binding("s", "view('stats')", "Stats"),
        Binding("t", "next_theme", "Theme"),
        Binding("question_mark", "view('help')", "Help", key_display="?"),
        Binding("q", "quit_console", "Quit"),
        Binding("space", "pause", "Pause", show=False),
        Binding("plus,equals_sign", "speed(2.0)", "Faster", show=False),
        Binding("minus", "speed(0.5)", "Slower", show=False),
        Binding("greater_than_sign", "seek(60)", "+1 min", show=False, key_display=">"),
        Binding("right_curly_bracket", "seek(600)", "+10 min", show=False, key_display="}"),
        Binding("c", "seek(0)", "Next cascade", show=False),
        Binding("less_than_sign,left_curly_bracket", "seek(-1)", "No seek back", show=False, key_display="<"),
    ]

    def __init__(
        self,
        engine: Engine,
        source=None,
        config: Config | None = None,
        theme: str | None = None,
        themes: dict[str, Theme] | None = None,
        levels: LevelsProvider | None = None,
        ansi: bool = False,
        clock=None,
        journal=None,
    ) -> None:
        super().__init__(ansi_color=True if ansi else None)
        self.engine = engine  # commands only (engine.submit); everything shown comes from the snapshot
        self.clock = clock or engine.clock
        self.source = source
        self.cfg = config or engine.cfg
        self.journal = journal  # for the stats view's history; None when nothing is journaled
        self.startup_notes: list[str] = []  # shown once the screen is up (e.g. positions restored)
        self.mount_hooks: list = []  # run in on_mount, inside the event loop (signal handlers)
        al = self.cfg.alerts
        self.alert_watch = AlertWatch(engine, al.kinds, al.loss_near_pct)
        hooks = webhooks_from(al)
        self.dispatcher = AlertDispatcher(hooks, al.queue_size, al.retries, al.timeout_s) if hooks else None
        if self.dispatcher is not None:
            self.alert_watch.sinks.append(self.dispatcher.offer)  # delivered by a worker; never blocks the engine
        self.snapshots = SnapshotBuilder(engine, source, levels or RealisedLevels(), self.alert_watch)
        self.snap: EngineSnapshot | None = None
        self.confirms = ConfirmQueue()
        self.selected = ""
        self._user_selected = False
        self._list_offset = 0
        self._liq_rate = RateMeter()
        self._tape_history: deque = deque(maxlen=self.cfg.window.tape_rows)  # unfiltered, to refilter the tape
        self._asked: tuple[str, str, float] | None = None
        self._tick = 0
        self._phase = 0  # which step of the render cycle the next timer tick does (_budget_tick)
        self._calm = True  # this cycle repaints the lists too (not every other cycle in a burst)
        self._rate = 0.0  # liquidations/s, for the tape's title and its busy mode
        self._tape_fresh: list = []  # tape rows taken from the engine, not yet handed to the tape pane
        self._tape_skipped = 0
        self._user_moved = False  # a key moved the selection: repaint the list now, busy or not  # ("one", market, when) / ("all", "", when)
        self._journal_text = ""
        self.source_error = ""
        self.source_done = False
        if hasattr(source, "request_seek"):
            source.burst_usd = self.cfg.signal.watch_min_usd  # the size that starts a watch starts a cascade
            source.on_seek = self._seek_changed
        self._journal_errors = 0  # journal rows that failed to commit (disk full, read-only): shown, never fatal
        self.refresh_error = ""  # the last screen-update failure, shown in the header; never fatal
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
            yield SignalPanel(id="signal-side")  # the same panel, docked right at ≥ 160 columns
        yield InfoView(id="info")
        with Vertical(id="bottom"):  # docked as one block: docks on the same edge would overlap
            yield SignalPanel(id="signal")
            yield PromptBar(id="prompt")
            yield StatusLine(id="status")

    def on_mount(self) -> None:
        for hook in self.mount_hooks:
            hook()
        for note in self.startup_notes:
            self.flash(note, "warn")
        self.set_interval(1 / (self.cfg.ui.refresh_hz * RENDER_PHASES), self._budget_tick)
        self.action_focus_default()
        self.refresh_panes()
        self.call_after_refresh(self.refresh_panes)  # again with the first layout's sizes
        if self.dispatcher is not None:
            self.run_worker(self.dispatcher.run(), name="alerts", group="alerts", exit_on_error=False)
        if self.source is not None:
            self.run_worker(self._run_source(), name="source", group="engine", exclusive=True, exit_on_error=False)

    def on_unmount(self) -> None:
        self.snapshots.close()
        self.alert_watch.close()

    def on_resize(self) -> None:
        """Breakpoint classes follow every resize (Textual sets them on the screen); the panes are
        rebuilt once the new layout is in, so rows and scores fit the new size, not the old one."""
        self.call_after_refresh(lambda: self.call_after_refresh(self.refresh_panes))

    async def _run_source(self) -> None:
        try:
            await self.source.run(self.engine)
        except Exception as exc:  # a source fault must never take the console down
            self._source_failed(f"{type(exc).__name__}: {exc}")
            return
        if getattr(self.source, "finished", False):
            self.source_done = True
            self.flash("replay ENDED: the screen stays up; q quits", "warn")

    def _seek_changed(self, seeking: bool, note: str) -> None:
        """While a seek runs, what happens on the way raises no alert and asks no confirm: signals
        expire by engine time as in play, and one still waiting when the seek ends is shown then."""
        self.alert_watch.muted = seeking
        if not seeking:
            self.refresh_panes()  # what ended on the way goes to the history first; the outcome is the last line
            self.flash(note)

    def _source_failed(self, error: str) -> None:
        self.source_error = self.snapshots.source_error = error
        self.flash(f"event source stopped: {error}", "error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "engine" and event.state == WorkerState.ERROR and not self.source_error:
            self._source_failed(str(event.worker.error))

    # -- snapshot -> screen -----------------------------------------------------------------
    def flash(self, text: str, level: str = "info") -> None:
        """One line at the bottom (k9s-style), kept in the history (m)."""
        try:
            self.query_one(StatusLine).flash(text, level, self.clock.now())  # event time, also mid-seek
        except NoMatches:
            pass

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

    # -- screen -> engine: typed commands only -------------------------------------------------
    def submit(self, cmd: Command) -> str:
        """The result's message, for a notification (the engine's CommandResult carries the code)."""
        result = self.engine.submit(cmd)
        self.refresh_panes()
        return str(getattr(result, "message", result))

    def action_quit_console(self) -> None:
        n = len(self.snap.positions) if self.snap else 0
        if not n:
            self.exit()
            return

        def done(choice: str | None) -> None:
            if choice == "flatten":
                self.submit(FlattenAll())
                self._exit_when_flat(deadline=self.clock.now() + 5.0, tries=30)
            elif choice == "leave":
                self.exit()

        self.query_one(PromptBar).ask(
            "quit",
            "Quit",
            [Text(f"{n} position{'s' if n != 1 else ''} open.")],
            [("f", "flatten", "flatten all, then quit"), ("l", "leave", "quit and leave the (paper) positions open")],
            done,
        )

    def _exit_when_flat(self, deadline: float, tries: int) -> None:
        """Closing orders fill after the broker's latency: quit once they have, so the journal
        records the trades closed rather than positions left open."""
        self.engine.tick()
        if not self.engine.positions and not self.engine.orders:
            self.exit()
        elif tries <= 0:
            self.flash("positions still closing; quitting anyway (the journal keeps them)", "warn")
            self.exit()
        else:
            self.set_timer(0.1, lambda: self._exit_when_flat(deadline, tries - 1))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Arm (a)", "semi-auto or full-auto", self.action_arm)
        yield SystemCommand("Disarm (d / F9)", "back to WATCH", self.action_disarm)
        yield SystemCommand("KILL (K / ctrl+k)", "flatten everything and disarm", self.action_kill)
        yield SystemCommand("Flatten selected (f)", "close the selected market's position", self.action_flatten)
        yield SystemCommand("Flatten all (F)", "close every position and disarm", self.action_flatten_all)
        yield SystemCommand("Take signal (y)", "enter the signal in the panel", lambda: self.action_answer(True))
        yield SystemCommand("Skip signal (n)", "reject the signal in the panel", lambda: self.action_answer(False))
        yield SystemCommand("Filter tape (/)", "min USD, market, side", self.action_filter)
        yield SystemCommand(
            "Signals log (l)", "every signal and what became of it", lambda: self.action_view("signals")
        )
        yield SystemCommand("Feeds (e)", "per venue state, rate, lag, drops, retry", lambda: self.action_view("feeds"))
        yield SystemCommand(
            "Stats (s)", "win rate and P&L per playbook and score tier", lambda: self.action_view("stats")
        )
        yield SystemCommand("Next theme (t)", "cycle the liqhunt themes", self.action_next_theme)
        yield SystemCommand("Help (?)", "keys and glyphs", lambda: self.action_view("help"))
        yield SystemCommand("Quit (q)", "asks first when positions are open", self.action_quit_console)


def _tape_rate(tape, now: float, span: float = 10.0) -> float:
    n = 0
    for ev in reversed(tape):
        if ev.ts_recv < now - span:
            break
        n += 1
    return n / span


def make_app(
    engine: Engine,
    source=None,
    clock=None,
    config: Config | None = None,
    theme: str | None = None,
    levels: LevelsProvider | None = None,
    env: dict[str, str] | None = None,
    journal=None,
) -> LiqHuntApp:
    """The one way to build the console (CLI, tests, snapshots). The ANSI theme is chosen here,
    before the App exists, when NO_COLOR is set or the terminal has no colour."""
    ansi = wants_ansi(env) and theme is None
    return LiqHuntApp(
        engine, source, config or engine.cfg, theme=theme, levels=levels, ansi=ansi, clock=clock, journal=journal
    )
