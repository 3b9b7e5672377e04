"""LiqHuntApp: the console. It reads engine state on one timer and sends typed commands back.

Composition: `make_app(engine, source, clock, config, theme)` builds it for the CLI, tests and
snapshots. The source (simulator, replay, live feeds) runs as a worker in the same asyncio
loop and feeds the engine; a source fault is shown, never fatal. Engine events are used only
for what cannot wait for the next repaint: confirm dialogs, closing them, announcing entries.
What each key does is `ConsoleKeys` (tui/keys.py); painting the panes from the snapshot inside
the render budget is `ScreenPainter` (tui/painting.py).
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
from core.engine import Engine
from core.engine_commands import Command, FlattenAll
from core.heat_levels import LevelsProvider, RealisedLevels
from core.snapshot import SnapshotBuilder
from core.snapshot_rows import EngineSnapshot
from tui.confirm_queue import ConfirmQueue
from tui.keys import ConsoleKeys
from tui.painting import RENDER_PHASES, ScreenPainter
from tui.rate_meter import RateMeter
from tui.theme_loader import ANSI_THEME, DEFAULT_THEME, VARIABLE_DEFAULTS, load_themes, wants_ansi
from tui.widgets.header import ModeHeader
from tui.widgets.heat import HeatPane
from tui.widgets.info_view import InfoView
from tui.widgets.meters import WindowMeters
from tui.widgets.positions import PositionsPane
from tui.widgets.prompt_bar import PromptBar
from tui.widgets.risk import RiskPane
from tui.widgets.signal_panel import SignalPanel
from tui.widgets.status_line import StatusLine
from tui.widgets.tape import LiquidationTape


class LiqHuntApp(ConsoleKeys, ScreenPainter, App[None]):
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
        self._user_moved = False  # a key moved the selection: repaint the list now, busy or not
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
