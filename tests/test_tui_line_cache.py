"""The line-API panes draw exactly what Textual would draw from the same Text, at a fraction of the cost."""

from __future__ import annotations

from rich.segment import Segment
from textual.visual import Visual, visualize

from core.signals import FilterResult
from tests.test_tui_snapshot_model import PaneApp, _row
from tui.widgets.meters import WindowMeters
from tui.widgets.repaint import height_may_change, text_strip

ROWS = (
    _row(
        "BTC-USDT-PERP",
        53_500_000,
        "watching",
        (FilterResult("window", True, "ok"), FilterResult("score", False, "4.1 vs 7")),
    ),
    _row("1000PEPE-USDT-PERP", 207_000),
    _row("E-USDT-PERP", 2e6, "in position"),
    _row("F-USDT-PERP", 5e5, "SIGNAL"),
    *(_row(f"X{i}-USDT-PERP", 20_000 * i) for i in range(12)),
)


def _drawn(strip) -> list[tuple[str, str]]:
    """What reaches the screen: each run of text with its style, after Textual joins equal neighbours."""
    return [(s.text, str(s.style)) for s in Segment.simplify(strip)]


async def test_meters_lines_match_textuals_own_conversion_at_every_width():
    for size in ((45, 10), (60, 12), (100, 20), (140, 30)):
        app = PaneApp(WindowMeters())
        async with app.run_test(size=size) as pilot:
            meters = app.pane
            for selected in ("BTC-USDT-PERP", "F-USDT-PERP"):
                meters.show(ROWS, selected, 1)
                await pilot.pause()
                width, style = meters.content_size.width, meters.visual_style
                lines = meters.build_lines()
                assert len(lines) > 5
                for y, line in enumerate(lines):
                    ours = text_strip(meters, line, width, style, y)
                    theirs = Visual.to_strips(meters, visualize(meters, line, markup=False), width, 1, style)[0]
                    assert _drawn(ours) == _drawn(theirs), (size, y, line.plain)
                    assert [s.text for s in ours] == [s.text for s in theirs]  # neighbours kept apart alike


async def test_meters_convert_only_the_lines_that_changed():
    app = PaneApp(WindowMeters())
    async with app.run_test(size=(80, 20)) as pilot:
        meters = app.pane
        meters.show(ROWS, "", 0)
        await pilot.pause()
        drawn = dict(meters._line_strips)
        assert len(drawn) >= len(ROWS)  # every line was drawn once
        meters.show(ROWS[:2] + (ROWS[2].__class__(**{**_fields(ROWS[2]), "long_usd": 9e6}),) + ROWS[3:], "", 0)
        kept = meters._line_strips
        changed = [y for y in drawn if y not in kept]
        assert changed == [3]  # the header is line 0: the third market's line only
        assert all(kept[y] is drawn[y] for y in kept)


def _fields(view) -> dict:
    return {f: getattr(view, f) for f in view.__slots__}


def test_an_auto_height_pane_lays_out_only_when_its_size_can_change():
    # a box 10 lines tall holding more than 10 lines is at its max-height: more lines change nothing
    assert not height_may_change(14, 12, 10)
    # fewer lines than the box: it is at its min-height
    assert not height_may_change(2, 3, 10)
    # crossing the box's height, or a box not laid out yet
    assert height_may_change(9, 11, 10) and height_may_change(11, 9, 10) and height_may_change(10, 11, 10)
    assert height_may_change(3, 4, 0)
