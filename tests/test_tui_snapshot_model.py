"""The console's data: EngineSnapshot built from the engine, the confirm queue, and panes drawn from snapshots."""

from __future__ import annotations

import dataclasses

import pytest
from textual.app import App, ComposeResult

from core.cascade_score import CascadeScore, ScoreComponent
from core.engine_commands import Confirm, Reject
from core.signals import FilterResult, Signal
from core.snapshot import SnapshotBuilder, needs_confirm, signal_risk
from core.snapshot_rows import MarketView
from tests.snapshot_apps.console_app import BTC, ETH, prepared_engine
from tests.tui_helpers import screen_text
from tui.confirm_queue import ConfirmQueue
from tui.widgets.meters import WindowMeters
from tui.widgets.signal_panel import SignalPanel


class PaneApp(App):
    """One pane, with liqhunt's theme variables, to draw from a hand-built snapshot."""

    CSS = "Screen > * { height: 1fr; }"

    def __init__(self, pane) -> None:
        super().__init__()
        self.pane = pane

    def get_theme_variable_defaults(self) -> dict[str, str]:
        from tui.theme_loader import VARIABLE_DEFAULTS

        return dict(VARIABLE_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield self.pane


def hand_signal(**kw) -> Signal:
    """ETH sell: 2 ETH at $3,000 ($6,000), stop 0.8 %, target 2 %."""
    score = CascadeScore(8.0, (ScoreComponent("speed", 0.9, 0.3, True, ""), ScoreComponent("oi", 0.5, 0.1, False, "")))
    base = dict(
        id="ETH#9",
        market=ETH,
        liquidated="long",
        order_side="sell",
        score=score,
        first_ts=0.0,
        first_usd=1e6,
        raised_ts=0.0,
        expires_ts=1e12,
        price=3_000.0,
        window_usd=8e6,
        window_events=15,
        filters=(FilterResult("window", True, "$8.0M vs $5.0M"), FilterResult("score", True, "8.0 vs 7")),
        qty=2.0,
        notional=6_000.0,
        stop_pct=0.8,
        take_profit_pct=2.0,
    )
    base.update(kw)
    return Signal(**base)


def test_dollar_risk_and_reward_to_risk_are_the_hand_computed_figures():
    engine, _ = prepared_engine("watching")
    engine.signals.clear()
    engine.signals["ETH#9"] = hand_signal()
    (view,) = SnapshotBuilder(engine).build().signals
    # by hand: $6,000 × 0.8 % = $48 at the stop; $6,000 × 2 % = $120 at the target; 120 / 48 = 2.5
    assert view.risk_usd == pytest.approx(48.0)
    assert view.reward_usd == pytest.approx(120.0)
    assert view.reward_risk == pytest.approx(2.5)
    assert view.stop_price == pytest.approx(3_024.0) and view.take_profit_price == pytest.approx(2_940.0)
    assert signal_risk(10_000, 1.5, 3.0) == pytest.approx((150.0, 300.0, 2.0))


async def test_signal_panel_shows_risk_against_the_daily_limit_and_the_caps():
    engine, _ = prepared_engine("watching")
    engine.signals.clear()
    engine.signals["ETH#9"] = hand_signal()
    snap = SnapshotBuilder(engine).build()

    app = PaneApp(SignalPanel())
    async with app.run_test(size=(100, 20)) as pilot:
        app.query_one(SignalPanel).show(snap.signals[0], (2, 4), snap.risk)
        await pilot.pause()
        text = screen_text(app)
    assert "SIGNAL 2/4" in text
    assert "risk $48 at stop = 10% of daily limit $500" in text  # 48 / 500 = 9.6 % → 10 %
    assert "R:R 2.50" in text and "reward $120" in text
    assert "$6.0k/$50k per trade" in text
    open_notional = sum(p.notional for p in engine.positions.values())
    from tui import numbers as fmt

    assert f"{fmt.usd(open_notional + 6_000)}/$150k total" in text
    assert (
        "✓window $8.0M vs $5.0M" in text and "score 8.0 =" in text and "speed 0.9×.3" in text and "oi 0.5?×.1" in text
    )


def test_confirm_rule_lives_in_core():
    sig = hand_signal()
    assert needs_confirm("semi", sig)
    assert not needs_confirm("auto", sig) and not needs_confirm("watch", sig)
    assert not needs_confirm("semi", dataclasses.replace(sig, qty=0.0))  # sizing already said skip
    assert not needs_confirm("semi", dataclasses.replace(sig, status="entered"))


def test_confirm_queue_is_a_pure_state_machine():
    q = ConfirmQueue()
    q.sync(["a", "b", "c"])
    assert q.active == "a" and q.position() == (1, 3)
    q.step(1)
    assert q.active == "b" and q.position() == (2, 3)
    assert q.answer(True) == Confirm("b")
    assert q.active == "c" and q.position() == (2, 2)
    q.sync(["a", "b", "c", "d"])  # b was answered: never offered again
    assert q.ids == ["a", "c", "d"] and q.active == "c"
    q.sync(["a", "d"])  # c expired in the engine
    assert q.active == "a"
    assert q.answer(False) == Reject("a")
    assert q.answer(False) == Reject("d")
    assert q.answer(True) is None and q.position() == (0, 0)


def test_scores_are_computed_only_for_the_rows_on_screen():
    from core.events import Liquidation

    engine, clock = prepared_engine("watching")
    now = clock.now()
    for i in range(6):  # enough active markets that some rows are off screen
        engine.process(Liquidation("binance", f"X{i}-USDT-PERP", f"X{i}USDT", "long", 1.0, 5_000.0, 5_000.0, now, now))
    snap = SnapshotBuilder(engine).build(rows=(1, 2))
    assert len(snap.markets) >= 6
    scored = [m.score is not None for m in snap.markets]
    assert scored[1:3] == [True, True] and not scored[0] and not any(scored[3:])
    assert snap.markets[0].market == BTC and snap.markets[0].state == "in position"


def test_snapshot_is_frozen_and_carries_only_new_tape_rows():
    engine, _ = prepared_engine("watching")
    b = SnapshotBuilder(engine)
    first = b.build()
    assert len(first.tape) == len(engine.tape) and first.tape_skipped == 0
    assert b.build().tape == ()  # nothing new since
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.mode = "auto"  # type: ignore[misc]


def _row(market: str, usd: float, state: str = "idle", filters=()) -> MarketView:
    return MarketView(
        market, usd, 0.0, 3, 0, 0.5, None, "long", state, None, 100.0, None, "ride" if state != "idle" else "", filters
    )


async def test_windows_rows_say_which_filter_fails_and_bars_are_absolute():
    rows = (
        _row(
            "BTC-USDT-PERP",
            53_500_000,
            "watching",
            (FilterResult("window", True, "ok"), FilterResult("score", False, "4.1 vs 7")),
        ),
        _row("1000PEPE-USDT-PERP", 207_000),
        *(_row(f"X{i}-USDT-PERP", 20_000) for i in range(12)),
    )

    app = PaneApp(WindowMeters())
    async with app.run_test(size=(100, 10)) as pilot:
        meters = app.query_one(WindowMeters)
        meters.show(rows, "BTC-USDT-PERP", 0)
        await pilot.pause()
        text = screen_text(app)
        visible = meters.visible_rows()
    assert "✗score" in text and "score: 4.1 vs 7" in text  # the state cell and, when wide, the reason
    assert "1000PEPE" in text  # never cut to 1000
    assert visible == 8 and f"+{len(rows) - visible} more" in text
    btc, pepe = (line for line in text.splitlines() if "BTC" in line or "1000PEPE" in line)
    assert btc.count("█") > pepe.count("█") > 0  # $53.5M and $207k no longer both fill the bar


async def test_positions_pane_keeps_pnl_and_the_exit_reason_whole_at_80_columns():
    from core.snapshot_rows import PositionView
    from tui.widgets.positions import PositionsPane

    pos = PositionView(
        "1000PEPE-USDT-PERP",
        "short",
        1_234_567.0,
        0.012345,
        0.012410,
        0.012450,
        0.012100,
        0.85,
        -1_240.5,
        75.0,
        600.0,
        "exhaustion",
        "vol −40/50 %",
        "",
        -1.9,
    )
    app = PaneApp(PositionsPane())
    async with app.run_test(size=(38, 5)) as pilot:  # the left column's width at 80×24
        app.pane.show((pos,), (), "Positions", "")
        await pilot.pause()
        text = screen_text(app)
    assert "1000PEPE" in text and "−$1.2k" in text and "-1.9R" in text
    assert "⇢exhaust vol −40/50%" in text


async def test_risk_pane_from_a_snapshot_says_why_a_venue_is_down():
    from core.snapshot_rows import FeedView, RiskView
    from tui.widgets.risk import RiskPane

    risk = RiskView(
        False,
        1,
        0,
        3,
        -120.0,
        -300.0,
        420.0,
        500.0,
        (("BTC-USDT-PERP", 2),),
        6,
        (("stale_feed", 3),),
        (1_767_225_600.0, "ETH-USDT-PERP", "stale_feed", "feed stale: bybit"),
        9_000.0,
        50_000.0,
        150_000.0,
    )
    feeds = (
        FeedView("binance", "connected", 40.0, 80.0, received=10),
        FeedView("bybit", "reconnecting", reason="connection refused"),
    )
    app = PaneApp(RiskPane())
    async with app.run_test(size=(60, 9)) as pilot:
        app.pane.show(risk, feeds)
        await pilot.pause()
        text = screen_text(app)
    assert "loss $420/$500" in text and "today −$420" in text and "BTC 2/6" in text
    assert "○BYB" in text and "BYB never connected: connection refused" in text
    assert "stale feed: feed stale: bybit" in text


async def test_a_pane_repaints_only_the_lines_that_changed():
    """Bandwidth: one moving figure costs one line on the wire, not the pane (private Textual API, 8.2)."""
    rows = tuple(_row(f"X{i}-USDT-PERP", 20_000 + i) for i in range(6))
    app = PaneApp(WindowMeters())
    async with app.run_test(size=(80, 10)) as pilot:
        meters = app.pane
        meters.show(rows, "", 0)
        await pilot.pause()
        meters._repaint_regions.clear()
        changed = rows[:2] + (dataclasses.replace(rows[2], long_usd=9e6),) + rows[3:]
        meters.show(changed, "", 0)
        dirty = list(meters._repaint_regions)
    assert len(dirty) == 1 and dirty[0].height == 1  # the third market's line only


async def test_stats_view_shows_this_session_by_playbook_and_tier():
    from tests.snapshot_apps.console_app import build_app

    app = build_app("watching")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        text = screen_text(app)
        assert "Stats per playbook and score tier" in text and "This session" in text
        assert "Journal history: no journal attached" in text
        await pilot.press("s")  # the same key closes it
        assert app.query_one("#main").display
