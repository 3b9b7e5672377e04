"""Pilot tests: keys become engine commands, and the screen follows the engine's state."""
from __future__ import annotations

from core.engine_commands import Arm, Confirm, Disarm, Flatten, FlattenAll, Kill, Reject
from core.engine_events import CommandApplied
from tests.snapshot_apps.console_app import BTC, ETH, build_app
from tui.screens.choice import ChoiceDialog, HelpScreen
from tui.screens.confirm import ConfirmSignal
from tui.screens.tape_filter import TapeFilterScreen
from tui.widgets.tape import LiquidationTape

SIZE = (80, 24)


def recorder(app) -> list:
    """Every command the engine applied, in order."""
    seen: list = []
    app.engine.subscribe(lambda ev: seen.append(ev.command) if isinstance(ev, CommandApplied) else None)
    return seen


async def test_a_then_s_arms_semi_auto():
    app = build_app("watching")
    app.engine.submit(Disarm())
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("s")
        assert app.engine.mode == "semi"
        assert cmds == [Arm("semi")]


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


async def test_d_disarms_to_watch():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        assert app.engine.mode == "watch"
        assert cmds == [Disarm()]


async def test_semi_auto_signal_opens_dialog_and_y_confirms_by_id():
    app = build_app("signal")
    (sid,) = app.engine.signals
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSignal) and app.screen.signal.id == sid
        await pilot.press("y")
        assert cmds == [Confirm(sid)]
        assert ETH in app.engine.pending_entries  # the entry order is on its way to the paper broker
        assert not isinstance(app.screen, ConfirmSignal)


async def test_n_rejects_the_signal():
    app = build_app("signal")
    (sid,) = app.engine.signals
    sig = app.engine.signals[sid]
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        assert cmds == [Reject(sid)]
        assert sig.status == "rejected"
        assert not isinstance(app.screen, ConfirmSignal)


async def test_expiry_closes_the_dialog_without_a_command():
    app = build_app("signal")
    (sig,) = app.engine.signals.values()
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSignal)
        app.engine.clock.set(sig.expires_ts + 0.1)
        app.engine.tick()  # the engine expires it and says so
        await pilot.pause()
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmSignal)
        assert sig.status == "expired" and cmds == []


async def test_queued_signals_each_get_one_dialog_and_none_is_entered_twice():
    app = build_app("signal")
    (first,) = app.engine.signals.values()
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # a second signal arrives while the first dialog is open: a clone on another market
        import dataclasses
        second = dataclasses.replace(first, id="SOL#1", market="SOL-USDT-PERP")
        app.engine.signals[second.id] = second
        app.confirms.offer(second)
        app.confirms.offer(second)  # offered twice (e.g. re-arm): still one dialog
        app.confirms.offer(first)
        assert len(app.confirms) == 2
        await pilot.press("y")
        assert isinstance(app.screen, ConfirmSignal) and app.screen.signal.id == "SOL#1"
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmSignal)
        assert cmds == [Confirm(first.id), Reject("SOL#1")]


async def test_kill_works_while_the_dialog_is_open():
    for key in ("ctrl+k", "k"):
        app = build_app("signal")
        (sig,) = app.engine.signals.values()
        cmds = recorder(app)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ConfirmSignal)
            await pilot.press(key)
            await pilot.pause()
            assert cmds == [Kill()]
            assert app.engine.risk.killed and app.engine.mode == "watch"
            assert app.engine.positions[BTC].exit_pending == "kill"
            assert sig.status == "rejected" and not isinstance(app.screen, ConfirmSignal)


async def test_f9_disarms_while_the_dialog_is_open():
    app = build_app("signal")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f9")
        await pilot.pause()
        assert app.engine.mode == "watch"
        assert not isinstance(app.screen, ConfirmSignal)


async def test_f_flattens_the_selected_market_only():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        assert app.selected == BTC  # the busiest market is selected first
        await pilot.press("f")
        assert cmds == [Flatten(BTC)]
        assert app.engine.positions[BTC].exit_pending == "flatten"


async def test_f_without_a_position_on_the_selected_market_sends_nothing():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down")
        assert app.selected != BTC
        await pilot.press("f")
        assert cmds == []


async def test_shift_f_flattens_all():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("F")
        assert cmds == [FlattenAll()]


async def test_quit_with_open_positions_asks_and_cancel_keeps_running():
    app = build_app("watching")
    cmds = recorder(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("escape")
        assert not isinstance(app.screen, ChoiceDialog) and app.is_running
        await pilot.press("q", "f")
        app.clock.advance(1.0)  # the closing order fills after the paper broker's latency
        await pilot.pause(0.5)
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
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_slash_filters_the_tape_by_size_market_and_side():
    app = build_app("watching")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert isinstance(app.screen, TapeFilterScreen)
        await pilot.press("d")  # typed into the filter, not a disarm
        assert app.engine.mode == "semi"
        await pilot.press("backspace", *"500k eth long", "enter")
        tape = app.query_one(LiquidationTape)
        assert tape.filter.min_usd == 500_000 and tape.filter.market == "ETH" and tape.filter.side == "long"
        assert tape.ring and all(ev.usd >= 500_000 and ev.market == ETH for ev in tape.ring)


async def test_t_cycles_themes_and_question_mark_opens_help():
    app = build_app("watching")
    async with app.run_test(size=SIZE) as pilot:
        first = app.theme
        await pilot.press("t")
        assert app.theme != first and app.theme in app.theme_names
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_full_auto_entry_is_announced_with_the_bell():
    from tests.snapshot_apps.console_app import ETH_CASCADE_AT, prepared_engine, scripted

    engine, clock = prepared_engine("watching")
    engine.submit(Arm("auto"))
    from tui.app import make_app

    app = make_app(engine, None, clock, engine.cfg)
    bells = []
    app.bell = lambda: bells.append(1)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        start = clock.now() - 231.0
        for ev in scripted(ETH, start, start + 240, start + ETH_CASCADE_AT):
            if ev.ts_recv > clock.now():
                clock.set(ev.ts_recv)
                engine.process(ev)
        await pilot.pause()
        assert ETH in engine.pending_entries or ETH in engine.positions
        assert bells == [1]
        assert any("FULL-AUTO entry" in str(n.message) for n in app._notifications)
