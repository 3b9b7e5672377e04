"""Snapshots of the console from a seeded simulator with the clock standing still."""
from __future__ import annotations

import pytest

from tests.snapshot_apps.console_app import build_app

THEMES = ["liq-dark", "liq-cb"]


@pytest.mark.parametrize("theme", THEMES)
def test_main_screen_80x24(snap_compare, theme):
    assert snap_compare(build_app("watching", theme), terminal_size=(80, 24))


@pytest.mark.parametrize("theme", THEMES)
def test_main_screen_160x48(snap_compare, theme):
    assert snap_compare(build_app("watching", theme), terminal_size=(160, 48))


@pytest.mark.parametrize("theme", THEMES)
def test_confirm_dialog_80x24(snap_compare, theme):
    assert snap_compare(build_app("signal", theme), terminal_size=(80, 24))
