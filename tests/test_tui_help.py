"""`?` at 80 columns: every explanation wraps under itself; nothing is cut at the pane's edge."""

from __future__ import annotations

from tests.snapshot_apps.console_app import build_app
from tui.views import HELP_GLYPHS, HELP_KEYS
from tui.widgets.info_view import InfoView


async def test_help_at_80_columns_wraps_instead_of_cutting():
    app = build_app("watching")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        info = app.query_one(InfoView)
        width = info.content_size.width
        lines = [line.plain for line in info.lines]
    assert all(len(line) < width for line in lines)  # the pane shows each whole
    flowing = " ".join(" ".join(line.split()) for line in lines)
    for _, keys in HELP_KEYS:
        for _, what in keys:
            assert " ".join(what.split()) in flowing, what
    for _, what in HELP_GLYPHS:
        assert what in flowing, what
