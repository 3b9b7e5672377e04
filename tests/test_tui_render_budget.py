"""The console's repaint is spread over the loop: one group of panes per timer tick, from one snapshot."""

from __future__ import annotations

from core.snapshot import SnapshotBuilder
from tests.snapshot_apps.console_app import BTC, ETH, build_app, prepared_engine
from tui.app import RENDER_PHASES


def test_only_rows_on_screen_and_the_selected_market_get_the_costly_parts():
    engine, _ = prepared_engine("signal")  # BTC in position, ETH signalling: both with filter checks
    everything = SnapshotBuilder(engine).build(BTC, rows=(0, 100)).markets
    assert [m.market for m in everything][:2] == [BTC, ETH] and all(m.filters for m in everything[:2])
    for selected, expect_full in ((BTC, {BTC}), (ETH, {BTC, ETH})):
        snap = SnapshotBuilder(engine).build(selected, rows=(0, 1))  # one row on screen: BTC
        assert [m.market for m in snap.markets] == [m.market for m in everything]  # same list, same order
        assert snap.markets[0].score is not None and all(m.score is None for m in snap.markets[1:])
        for m, full in zip(snap.markets, everything, strict=True):
            want = (full.filters, full.outcome) if m.market in expect_full else ((), "")
            assert (m.filters, m.outcome) == want, m.market  # the market view of the selection needs them
            assert (m.long_usd, m.short_usd, m.state, m.price) == (
                full.long_usd,
                full.short_usd,
                full.state,
                full.price,
            )


async def test_each_timer_tick_repaints_one_group_of_panes_from_the_cycles_snapshot(monkeypatch):
    app = build_app("watching")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app._phase = 0
        calls: list[str] = []
        builds = []
        build = app.snapshots.build
        monkeypatch.setattr(app.snapshots, "build", lambda *a, **kw: builds.append(1) or build(*a, **kw))
        painters = ("_paint_tape", "_paint_meters", "_paint_heat", "_paint_positions", "_paint_risk", "_paint_chrome")
        for name in painters:
            real = getattr(app, name)
            monkeypatch.setattr(app, name, lambda real=real, name=name: calls.append(name) or real())
        per_tick = []
        for _ in range(2 * RENDER_PHASES):
            before = len(calls)
            app._budget_tick()
            per_tick.append(calls[before:])
        assert len(builds) == 2  # one snapshot per cycle
        assert all(len(t) <= 1 for t in per_tick)  # never more than one group in one loop callback
        assert sorted(set(calls)) == sorted(painters)
        assert calls[: RENDER_PHASES - 1] == calls[RENDER_PHASES - 1 :]  # the same order every cycle
        app.refresh_panes()  # keys and commands still repaint everything at once
        assert calls[-(RENDER_PHASES - 1) :] == calls[: RENDER_PHASES - 1]
        assert "BTC ▼SHORT" in app.query_one("#positions").render().plain
