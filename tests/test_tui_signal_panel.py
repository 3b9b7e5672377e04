"""The signal panel at 80×24 shows every filter of a real fade signal (two columns when the rows are
short), and at ≥ 160 columns it docks on the right with everything in full."""

from __future__ import annotations

import dataclasses

import pytest

from tests.snapshot_apps.fade_app import build_fade_app
from tests.tui_helpers import screen_text
from tui.widgets.signal_panel import SignalPanel


def _panel_text(app, panel_id: str) -> str:
    """The screen inside the panel's region only."""
    region = app.query_one(f"#{panel_id}", SignalPanel).region
    lines = screen_text(app).splitlines()[region.y : region.bottom]
    return "\n".join(line[region.x : region.right] for line in lines)


async def _fade_panel(size: tuple[int, int], panel_id: str, size_reason: str | None = None) -> tuple[str, list[str]]:
    app = build_fade_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.pause()
        (sig,) = app.snap.signals
        assert sig.playbook == "fade" and sig.needs_confirm
        if size_reason is not None:  # a size that came out of a cap takes a second line
            app.snap = dataclasses.replace(app.snap, signals=(dataclasses.replace(sig, size_reason=size_reason),))
            for panel in app.query(SignalPanel):
                panel.show(app.snap.signals[0], (1, 1), app.snap.risk)
            await pilot.pause()
        assert app.query_one(f"#{panel_id}", SignalPanel).display
        return _panel_text(app, panel_id), [f.name for f in sig.filters]


@pytest.mark.parametrize(
    "size_reason",
    [None, "$100 × score 0.84 × vol 2.00 (max) = $168 risk ÷ 0.83% stop → notional cap $20,000 (per trade)"],
    ids=["as-sized", "capped"],
)
async def test_fade_signal_at_80x24_shows_every_filter(size_reason):
    text, names = await _fade_panel((80, 24), "signal", size_reason)
    assert len(names) >= 6
    listed = next((line.split("pass:")[1] for line in text.splitlines() if "pass:" in line), "").split()
    for name in names:  # with its mark and value, or (when the rows are very short) by name after "N pass:"
        assert f"✓{name}" in text or f"✗{name}" in text or name in listed, name
    # and the rest of the panel is still there: the plan, the keys, the risk, the size, the score
    for part in ("BUY ▲", " y ", "risk $", "notional", "size", "score"):
        assert part in text, part
    assert text.splitlines()[-1].lstrip("┃ ").startswith("┗") or "━┛" in text.splitlines()[-1]  # the border closes


async def test_wide_terminal_docks_the_panel_right_with_every_filter_in_full():
    app = build_fade_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.pause()
        side, bottom = app.query_one("#signal-side", SignalPanel), app.query_one("#signal", SignalPanel)
        assert side.display and not bottom.display
        assert side.region.right == 160 and side.region.y == 1  # right edge, under the header
        (sig,) = app.snap.signals
        text = _panel_text(app, "signal-side")
        for f in sig.filters:
            assert f"✓{f.name} {f.detail}" in text  # in full, with the value and the threshold
        assert "why: cascade moved" in text
        assert app.screen.has_class("-signal-right") and not app.screen.has_class("-signal")
        # the heat and risk panes keep their rows (the panel is beside them, not below)
        assert app.query_one("#heat").display and app.query_one("#risk").display
        # narrower: back to the bottom
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        assert bottom.display and not side.display
