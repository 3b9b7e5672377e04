"""Snapshots of the console from a seeded simulator with the clock standing still.

Look at the SVGs in tests/__snapshots__/test_tui_snapshots/ before accepting new ones
(`pytest --snapshot-update`): each size must show the mode, P&L, clock, every price uncut.
"""

from __future__ import annotations

import pytest

from tests.snapshot_apps.console_app import build_app
from tests.tui_helpers import screen_text

THEMES = ["liq-dark", "liq-cb"]
SIZES = [(80, 24), (100, 30), (160, 48)]


@pytest.mark.parametrize("theme", THEMES)
def test_main_screen_80x24(snap_compare, theme):
    assert snap_compare(build_app("watching", theme), terminal_size=(80, 24))


@pytest.mark.parametrize("size", SIZES[1:], ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen_sizes(snap_compare, size):
    assert snap_compare(build_app("watching"), terminal_size=size)


@pytest.mark.parametrize("theme", THEMES)
def test_signal_panel_80x24(snap_compare, theme):
    assert snap_compare(build_app("signal", theme), terminal_size=(80, 24))


def test_signal_panel_120x40(snap_compare):
    assert snap_compare(build_app("signal"), terminal_size=(120, 40))


def test_fade_signal_panel_80x24(snap_compare):
    from tests.snapshot_apps.fade_app import build_fade_app

    assert snap_compare(build_fade_app(), terminal_size=(80, 24))


def test_fade_signal_panel_docked_right_160x48(snap_compare):
    from tests.snapshot_apps.fade_app import build_fade_app

    assert snap_compare(build_fade_app(), terminal_size=(160, 48))


def test_market_view_100x30(snap_compare):
    assert snap_compare(build_app("watching"), press=["enter"], terminal_size=(100, 30))


def test_resize_120x40_to_80x24_to_200x50(snap_compare):
    async def run_before(pilot) -> None:
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.resize_terminal(200, 50)
        await pilot.pause()

    assert snap_compare(build_app("watching"), run_before=run_before, terminal_size=(120, 40))


async def _fresh(size) -> str:
    app = build_app("watching")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        return screen_text(app)


@pytest.mark.parametrize(
    "sequence",
    [[(120, 40), (80, 24), (200, 50)], [(100, 30), (200, 50)], [(200, 50), (80, 24)]],
    ids=lambda s: "→".join(f"{w}x{h}" for w, h in s),
)
async def test_every_resize_gives_the_layout_of_a_fresh_start(sequence):
    app = build_app("watching")
    async with app.run_test(size=sequence[0]) as pilot:
        await pilot.pause()
        for size in sequence[1:]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.pause()
            after_resize = screen_text(app)
            assert after_resize == await _fresh(size), f"after resizing to {size}"


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_numbers_are_never_cut(size):
    app = build_app("watching")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(app)
        lines = text.splitlines()
        header, bottom = lines[0], lines[-1]
        assert "SEMI-AUTO" in header and "P&L +$" in header and "00:03:51" in header
        assert "q Quit" in bottom and "? Help" in bottom
        pos = app.snap.positions[0]
        from tui import numbers as fmt

        assert fmt.usd(pos.pnl, signed=True) in text  # the position's P&L, whole
        assert "Tape" in text and "Windows" in text and "Positions" in text


async def test_run_mode_header_keeps_pnl_and_clock_and_names_are_whole_at_80_columns():
    from core.events import Liquidation

    app = build_app("watching")
    app.source.label = "LIVE binance,bybit,okx,bitmex,deribit ● REC"
    now = app.clock.now()
    app.engine.process(
        Liquidation("binance", "1000PEPE-USDT-PERP", "1000PEPEUSDT", "long", 0.012345, 1e7, 123_456.0, now, now)
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
    assert "P&L +$" in lines[0] and "00:03:51" in lines[0] and "SEMI-AUTO" in lines[0]
    tape_row = next(line for line in lines if "1000PEPE" in line and "▼L" in line)
    assert "$123k" in tape_row and "0.012345" in tape_row  # market, size and price whole
    assert "Positions" in "".join(lines) and "q Quit" in lines[-1]
