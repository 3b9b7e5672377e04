"""ConsoleKeys: what each key does, as a mixin of the app: typed commands to the engine, moving
the selection and the cursor, opening the views. Everything it reads comes from the snapshot
(`self.snap`); everything it changes in the engine goes through `self.submit(command)`.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import work

from core.engine import MODE_LABELS
from core.engine_commands import Arm, Disarm, Flatten, FlattenAll, Kill
from core.events import short_name
from tui import numbers as fmt
from tui.screens.stats import tier_lines
from tui.widgets.info_view import InfoView
from tui.widgets.meters import WindowMeters
from tui.widgets.prompt_bar import PromptBar
from tui.widgets.tape import LiquidationTape, TapeFilter

ASK_AGAIN_S = 5.0  # a flatten asked for is confirmed by the same key (or y) within this


class ConsoleKeys:
    """Key actions of `LiqHuntApp` (see its BINDINGS); `?` lists them all."""

    def action_arm(self) -> None:
        snap = self.snap
        lines = [Text(f"Now {MODE_LABELS[snap.mode if snap else 'watch']}. Trade signals how?")]
        bad = [f for f in (snap.feeds if snap else ()) if not f.ok]
        if snap is not None and (bad or not snap.feeds):
            what = (
                ", ".join(f"{fmt.venue(f.venue)} {'never connected' if f.never_connected else f.state}" for f in bad)
                or "no source"
            )
            lines.append(
                Text(
                    f"⚠ feeds down: {what}. Entries are blocked while a feed is stale;"
                    " armed markets on these venues see no data.",
                    style="bold",
                )
            )

        def done(mode: str | None) -> None:
            if mode:
                self.flash(self.submit(Arm(mode)), "warn" if mode == "auto" else "info")

        self.query_one(PromptBar).ask(
            "arm",
            "Arm",
            lines,
            [
                ("s", "semi", "SEMI-AUTO: ask me to confirm each entry"),
                ("u", "auto", "FULL-AUTO: enter by itself, announce each entry"),
            ],
            done,
        )

    def action_disarm(self) -> None:
        if self.snap is not None and self.snap.mode == "watch":
            self.flash("already WATCH (not trading)")
            return
        self.flash(self.submit(Disarm()) + ": WATCH", "warn")

    def action_kill(self) -> None:
        self._asked = None
        self.flash(self.submit(Kill()), "error")

    def _ask_again(self, kind: str, market: str) -> bool:
        """True when this is the second press (or y) for the same question within ASK_AGAIN_S."""
        asked, self._asked = self._asked, None
        if asked is not None and asked[:2] == (kind, market) and time.monotonic() - asked[2] <= ASK_AGAIN_S:
            return True
        self._asked = (kind, market, time.monotonic())
        return False

    def action_flatten(self) -> None:
        m = self.selected
        pos = self.snap.position(m) if self.snap else None
        if pos is None:
            held = ", ".join(short_name(p.market) for p in self.snap.positions) if self.snap else ""
            self.flash(
                f"no {short_name(m) if m else ''} position to flatten (open: {held or 'none'}); select with j/k", "warn"
            )
            return
        if not self._ask_again("one", m):
            self.flash(
                f"flatten {short_name(m)} {pos.side.upper()} {fmt.qty(pos.qty)} ({fmt.usd(pos.pnl, signed=True)})?"
                " f again or y · esc cancels",
                "warn",
            )
            return
        self.flash(f"flatten {short_name(m)}: " + self.submit(Flatten(m)), "warn")

    def action_flatten_all(self) -> None:
        n = len(self.snap.positions) if self.snap else 0
        if not self._ask_again("all", ""):
            self.flash(
                f"flatten all {n} position{'s' if n != 1 else ''} and disarm? F again or y · esc cancels", "warn"
            )
            return
        result = self.submit(FlattenAll())
        if self.snap is not None and self.snap.mode != "watch":
            self.submit(Disarm("flatten all"))
        self.flash(f"flatten all: {result}; disarmed to WATCH", "warn")

    def action_yes(self) -> None:
        if self._asked is not None:
            kind, market, _ = self._asked
            if kind == "one":
                self.selected = market
                self.action_flatten()
            else:
                self.action_flatten_all()
            return
        self.action_answer(True)

    def action_answer(self, take: bool) -> None:
        cmd = self.confirms.answer(take)
        if cmd is None:
            self.flash("no signal waiting for confirmation")
            return
        self.flash(self.submit(cmd))

    def action_next_signal(self, step: int) -> None:
        self.confirms.step(step)
        if self.snap is not None:
            self._refresh_signal_panel(self.snap)

    # -- moving ---------------------------------------------------------------------------------
    def action_focus_default(self) -> None:
        info = self.query_one(InfoView)
        (info if info.kind else self.query_one(WindowMeters)).focus()

    def action_move(self, step: int) -> None:
        focused = self.focused
        if isinstance(focused, InfoView):
            focused.scroll_lines(step)
        elif isinstance(focused, LiquidationTape):
            focused.move_cursor(step)
        else:
            self._select_row(step=step)

    def action_move_to(self, where: int) -> None:
        focused = self.focused
        if isinstance(focused, InfoView):
            focused.scroll_lines(to=0 if where == 0 else 10**9)
        elif isinstance(focused, LiquidationTape):
            focused.move_cursor(to=0 if where == 0 else 10**9)
        else:
            self._select_row(to=where)

    def _select_row(self, step: int = 0, to: int | None = None) -> None:
        markets = [v.market for v in self.snap.markets] if self.snap else []
        if not markets:
            return
        if to is not None:
            i = 0 if to == 0 else len(markets) - 1
        else:
            i = markets.index(self.selected) if self.selected in markets else 0
            i = max(0, min(len(markets) - 1, i + step))  # no wrapping: the cursor never leaves the list
        self.selected = markets[i]
        self._user_selected = True
        self._user_moved = True
        self.refresh_panes()

    def action_open_market(self) -> None:
        focused = self.focused
        market = focused.cursor_market() if isinstance(focused, LiquidationTape) else self.selected
        if not market:
            return
        self.selected = market
        self._user_selected = True
        self._open_view("market")

    def action_view(self, kind: str) -> None:
        info = self.query_one(InfoView)
        if info.kind == kind:
            self.action_back()
            return
        if kind == "stats" and self.journal is not None:
            self.load_history()
        self._open_view(kind)

    def _open_view(self, kind: str) -> None:
        info = self.query_one(InfoView)
        info.open(kind)
        self.query_one("#main").display = False
        info.focus()
        self.refresh_panes()

    def action_back(self) -> None:
        if self._asked is not None:
            self._asked = None
            self.flash("cancelled")
            return
        info = self.query_one(InfoView)
        if info.kind:
            info.close()
            self.query_one("#main").display = True
            self.action_focus_default()
            self.refresh_panes()

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def load_history(self) -> None:
        try:
            rows = self.journal.trades(source=getattr(self.journal, "source", None) or None)
            text = "\n".join(
                tier_lines(rows, f"Journal history ({getattr(self.journal, 'source', '') or 'all'} sessions)")
            )
        except Exception as exc:  # a journal problem must not take the console down
            text = f"Journal history unavailable: {exc}"
        self.call_from_thread(setattr, self, "_journal_text", text)

    # -- other keys -----------------------------------------------------------------------------
    def action_filter(self) -> None:
        tape = self.query_one(LiquidationTape)
        f = tape.filter
        current = " ".join(p for p in (fmt.amount(f.min_usd) if f.min_usd else "", f.market, f.side) if p)

        def done(text: str | None) -> None:
            if text is not None:
                tape.set_filter(TapeFilter.parse(text), list(self._tape_history))

        self.query_one(PromptBar).ask(
            "filter",
            "Filter the tape",
            [Text("e.g. 50k · BTC · long · 1m ETH short · empty = show all")],
            [],
            done,
            input_value=current,
        )

    def action_next_theme(self) -> None:
        names = self.theme_names
        i = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(i + 1) % len(names)]
        self.flash(f"theme {self.theme}")

    def action_pause(self) -> None:
        src = self.source
        if src is None or not hasattr(src, "paused") or (self.snap and self.snap.source.kind == "live"):
            self.flash("nothing to pause: live feeds run in real time")
            return
        src.paused = not src.paused
        self.flash("paused (space resumes)" if src.paused else "resumed")
        self.refresh_panes()

    def action_speed(self, factor: float) -> None:
        src = self.source
        if src is None or not hasattr(src, "speed") or (self.snap and self.snap.source.kind == "live"):
            self.flash("speed applies to replay and the simulator only")
            return
        src.speed = max(0.125, min(256.0, src.speed * factor))
        self.flash(f"speed ×{src.speed:g}")
        self.refresh_panes()

    def action_seek(self, seconds: int) -> None:
        """Forward through the engine: +seconds of event time, or (0) to just before the next cascade."""
        src = self.source
        if src is None or not hasattr(src, "request_seek") or (self.snap and self.snap.source.kind == "live"):
            self.flash("seek applies to replay and the simulator only: live feeds run in real time")
            return
        if seconds < 0:
            self.flash(
                "no seek back: the engine's state is built from every event so far; restart the replay (--from)",
                "warn",
            )
            return
        self.flash(src.request_seek(seconds or None))
        self.refresh_panes()
