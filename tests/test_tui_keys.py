"""Pilot tests: keys become engine commands, and the screen follows the engine's snapshot."""

from __future__ import annotations

import dataclasses

from core.engine_commands import Arm, Confirm, Disarm, Flatten, FlattenAll, Kill, Reject
from core.engine_events import CommandApplied
from tests.runner_helpers import until
from tests.snapshot_apps.console_app import BTC, ETH, build_app
from tests.tui_helpers import screen_text
from tui.widgets.info_view import InfoView
from tui.widgets.meters import WindowMeters
from tui.widgets.prompt_bar import PromptBar
from tui.widgets.signal_panel import SignalPanel
from tui.widgets.tape import LiquidationTape

SIZE = (80, 24)


def recorder(app) -> list:
    """Every command the engine applied, in order."""
    seen: list = []
    app.engine.subscribe(lambda ev: seen.append(ev.command) if isinstance(ev, CommandApplied) else None)
    return seen


def panel(app) -> SignalPanel:
    return app.query_one(SignalPanel)


async def test_a_then_s_arms_semi_auto_from_a_docked_prompt():
    app = build_app("watching")
    app.engine.submit(Disarm())
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert app.query_one(PromptBar).active
        assert app.query_one("#main").display  # the market stays on screen behind the question
        await pilot.press("s")
        assert app.engine.mode == "semi"
        assert cmds == [Arm("semi")]
        assert not app.query_one(PromptBar).active


async def test_a_then_u_arms_full_auto_and_escape_cancels():
    app = build_app("watching")
    app.engine.submit(Disarm())
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", "escape")
        assert app.engine.mode == "watch" and cmds == []
        await pilot.press("a", "u")
        assert app.engine.mode == "auto"
        assert cmds == [Arm("auto")]


async def test_arm_prompt_warns_when_a_feed_is_down():
    app = build_app("watching")
    app.engine.submit(Disarm())
    app.engine.set_feed_state("bybit", "reconnecting", "connection refused")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        text = screen_text(app)
        assert "⚠ feeds down: BYB reconnecting" in text


async def test_d_disarms_to_watch():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        assert app.engine.mode == "watch"
        assert cmds == [Disarm()]


async def test_semi_auto_signal_docks_a_panel_and_the_screen_stays_live():
    app = build_app("signal")
    (sid,) = app.engine.signals
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert panel(app).signal is not None and panel(app).signal.id == sid
        assert app.screen is app.screen_stack[0]  # no modal screen: the panes keep repainting
        text = screen_text(app)
        assert "SIGNAL 1/1" in text and "Tape" in text and "Windows" in text
        await pilot.press("y")
        assert cmds == [Confirm(sid)]
        assert ETH in app.engine.pending_entries  # the entry order is on its way to the paper broker
        await pilot.pause()
        assert panel(app).signal is None


async def test_n_skips_the_signal():
    app = build_app("signal")
    (sid,) = app.engine.signals
    sig = app.engine.signals[sid]
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        assert cmds == [Reject(sid)]
        assert sig.status == "rejected"
        await pilot.pause()
        assert panel(app).signal is None


async def test_expiry_closes_the_panel_and_the_signals_log_keeps_it():
    app = build_app("signal")
    (sig,) = app.engine.signals.values()
    cmds = recorder(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert panel(app).signal is not None
        app.engine.clock.set(sig.expires_ts + 0.1)
        app.engine.tick()  # the engine expires it and says so
        app.refresh_panes()
        await pilot.pause()
        assert panel(app).signal is None
        assert sig.status == "expired" and cmds == []
        await pilot.press("l")
        await pilot.pause()
        text = screen_text(app)
        assert "Signals log" in text and "expired" in text and "not confirmed in time" in text


async def test_panel_figures_follow_the_engine_not_the_moment_it_opened():
    app = build_app("signal")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "open 1/3" in screen_text(app)
        app.engine.positions.clear()  # e.g. the BTC position closed while the panel is up
        app.refresh_panes()
        await pilot.pause()
        assert "open 0/3" in screen_text(app)


async def test_queued_signals_show_their_position_and_each_is_answered_once():
    app = build_app("signal")
    (first,) = app.engine.signals.values()
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        second = dataclasses.replace(first, id="SOL#1", market="SOL-USDT-PERP", raised_ts=first.raised_ts + 1)
        app.engine.signals[second.id] = second
        app.refresh_panes()
        await pilot.pause()
        assert app.confirms.position() == (1, 2)
        assert "SIGNAL 1/2" in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert panel(app).signal.id == "SOL#1" and "SIGNAL 1/1" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert panel(app).signal is None
        assert cmds == [Confirm(first.id), Reject("SOL#1")]


async def test_kill_is_shift_k_ctrl_k_and_lowercase_k_only_moves():
    for key in ("ctrl+k", "K"):
        app = build_app("signal")
        (sig,) = app.engine.signals.values()
        cmds = recorder(app)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            assert cmds == [Kill()]
            assert app.engine.risk.killed and app.engine.mode == "watch"
            assert app.engine.positions[BTC].exit_pending == "kill"
            assert sig.status == "rejected"
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        first = app.selected
        await pilot.press("k")
        assert cmds == [] and not app.engine.risk.killed
        assert app.selected != first


async def test_kill_beats_a_focused_filter_input():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press("ctrl+k")
        assert cmds == [Kill()]


async def test_f9_disarms_while_the_panel_is_open():
    app = build_app("signal")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f9")
        await pilot.pause()
        assert app.engine.mode == "watch"
        assert panel(app).signal is None


async def test_f_asks_once_then_flattens_the_selected_market_only():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        assert app.selected == BTC  # the busiest market is selected first
        await pilot.press("f")
        await pilot.pause()
        assert cmds == []  # asked, not done
        assert "flatten BTC" in screen_text(app)
        await pilot.press("f")
        assert cmds == [Flatten(BTC)]
        assert app.engine.positions[BTC].exit_pending == "flatten"


async def test_f_then_y_flattens_and_escape_cancels():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f", "escape", "f")
        assert cmds == []  # the second f after a cancel asks again
        await pilot.press("y")
        assert cmds == [Flatten(BTC)]


async def test_f_without_a_position_on_the_selected_market_sends_nothing():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        assert app.selected != BTC
        await pilot.press("f", "f")
        assert cmds == []


async def test_shift_f_asks_then_flattens_all_and_disarms():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("F")
        assert cmds == []
        await pilot.press("F")
        assert cmds == [FlattenAll(), Disarm("flatten all")]
        assert app.engine.mode == "watch"


def add_active_markets(app, n: int) -> None:
    """Small liquidations on `n` more markets, so the windows list outgrows the pane."""
    from core.events import Liquidation

    now = app.clock.now()
    for i in range(n):
        m = f"X{i:02d}-USDT-PERP"
        app.engine.process(Liquidation("binance", m, f"X{i:02d}USDT", "long", 1.0, 2_000.0 + i, 2_000.0 + i, now, now))


async def test_windows_list_scrolls_with_the_selection_and_says_how_many_more():
    app = build_app("watching")
    add_active_markets(app, 12)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        meters = app.query_one(WindowMeters)
        n = len(app.snap.markets)
        assert n > meters.visible_rows(), "fixture has more markets than rows at 80x24"
        assert f"+{n - meters.visible_rows()} more" in screen_text(app)
        await pilot.press("G")
        await pilot.pause()
        last = app.snap.markets[-1].market
        assert app.selected == last
        assert "above" in screen_text(app)
        assert "›" + last.split("-")[0] in screen_text(app).replace(" ", "")  # the selection is on screen
        await pilot.press("j")  # no wrap to the top
        assert app.selected == last
        await pilot.press("g")
        assert app.selected == app.snap.markets[0].market


async def test_enter_opens_the_market_view_and_escape_returns():
    app = build_app("watching")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        info = app.query_one(InfoView)
        assert info.kind == "market" and not app.query_one("#main").display
        text = screen_text(app)
        for part in ("Market BTC", "price", "score", "speed", "filters", "heat", "position", "SHORT"):
            assert part in text, part
        assert "liqhunt" in text  # the header stays
        await pilot.press("escape")
        assert info.kind == "" and app.query_one("#main").display


async def test_enter_on_a_tape_row_opens_that_market():
    app = build_app("watching")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.query_one(LiquidationTape).focus()
        tape = app.query_one(LiquidationTape)
        await pilot.press("j")
        market = tape.cursor_market()
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(InfoView).kind == "market" and app.selected == market


async def test_quit_with_open_positions_asks_and_cancel_keeps_running():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        assert app.query_one(PromptBar).active
        await pilot.press("escape")
        assert not app.query_one(PromptBar).active and app.is_running
        await pilot.press("q", "f")
        app.clock.advance(1.0)  # the closing order fills after the paper broker's latency
        await until(lambda: BTC not in app.engine.positions, 10, "the flatten filled")
        assert cmds == [FlattenAll()]
        assert BTC not in app.engine.positions  # quit waited for the close, so it is journaled as a trade
    assert app.return_code == 0


async def test_quit_leaving_positions_sends_nothing():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q", "l")
        await pilot.pause()
    assert cmds == [] and BTC in app.engine.positions


async def test_quit_without_positions_exits_at_once():
    app = build_app("watching")
    app.engine.positions.clear()
    async with app.run_test(size=SIZE) as pilot:
        app.refresh_panes()
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_slash_filters_the_tape_by_size_market_and_side():
    app = build_app("watching")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press("d")  # typed into the filter, not a disarm
        assert app.engine.mode == "semi"
        await pilot.press("backspace", *"500k eth long", "enter")
        tape = app.query_one(LiquidationTape)
        assert tape.filter.min_usd == 500_000 and tape.filter.market == "ETH" and tape.filter.side == "long"
        assert tape.ring and all(ev.usd >= 500_000 and ev.market == ETH for ev in tape.ring)


async def test_t_cycles_themes_and_question_mark_documents_every_key():
    app = build_app("watching")
    async with app.run_test(size=(100, 50)) as pilot:
        first = app.theme
        await pilot.press("t")
        await pilot.pause()
        assert app.theme != first and app.theme in app.theme_names
        await pilot.press("question_mark")
        await pilot.pause()
        info = app.query_one(InfoView)
        assert info.kind == "help"
        text = "\n".join(line.plain for line in info.lines)
        for binding in app.BINDINGS:
            if binding.action in ("back",):
                continue
            shown = binding.key_display or binding.key.split(",")[0]
            aliases = {
                "question_mark": "?",
                "slash": "/",
                "right_square_bracket": "]",
                "left_square_bracket": "[",
                "ctrl+k": "ctrl+k",
                "f9": "F9",
                "space": "space",
                "plus": "+",
                "minus": "-",
                "enter": "enter",
                "down": "↓",
                "up": "↑",
                "home": "g",
                "end": "G",
            }
            assert aliases.get(binding.key.split(",")[0], shown) in text, binding.key
        for glyph in ("▼L", "▲S", "✗score", "SIG", "IN POS", "NO DATA", "+N more", "◐", "✖", "○"):
            assert glyph in text, glyph
        await pilot.press("escape")
        assert info.kind == ""


async def test_messages_go_to_one_status_line_with_history():
    app = build_app("watching")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("K")  # a kill produces several messages
        await pilot.pause()
        assert not app._notifications  # no toasts stacked over the panes
        status = app.query_one("#status")
        assert any("KILLED" in m.text for m in status.history)
        assert "KILLED" in screen_text(app).splitlines()[0]  # and the header says so while it lasts
        await pilot.press("m")
        await pilot.pause()
        assert "Messages" in screen_text(app)


async def test_positions_pane_grows_when_a_position_opens():
    app = build_app("watching")
    held = dict(app.engine.positions)
    app.engine.positions.clear()
    async with app.run_test(size=SIZE) as pilot:
        app.refresh_panes()
        await pilot.pause()
        assert "no open positions" in screen_text(app)
        app.engine.positions.update(held)
        app.refresh_panes()
        await pilot.pause()
        text = screen_text(app)
        assert "BTC ▼SHORT" in text and "SL " in text  # both lines of the position, not one
