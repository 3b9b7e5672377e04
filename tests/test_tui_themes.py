"""Theme files load, validate with the file and key named, and every theme renders."""
from __future__ import annotations

import pytest

from tui.theme_loader import THEMES_DIR, ThemeFileError, load_theme_file, load_themes, wants_ansi


def test_shipped_themes_load():
    assert {"liq-dark", "liq-light", "liq-contrast", "liq-cb"} <= set(load_themes())


def test_colour_blind_theme_uses_no_red_or_green_for_sides():
    cb = load_theme_file(THEMES_DIR / "liq-cb.toml")
    from textual.color import Color

    for var in ("liq-long", "liq-short", "gain", "loss"):
        r, g, b = Color.parse(cb.variables[var]).rgb
        assert not (r > 150 and g < 90 and b < 90), var  # not red
        assert not (g > 150 and r < 100 and b < 100), var  # not green


@pytest.mark.parametrize(("body", "names"), [
    ('name = "x"\nprimary = "#zzz"\n', "primary"),
    ('name = "x"\nprimary = "#123456"\nsparkle = 1\n', "sparkle"),
    ('name = "x"\nprimary = "#123456"\n[variables]\nliq-long = "nope"\n', "variables.liq-long"),
    ('name = "x"\nprimary = "#123456"\n[variables]\nmystery = "#123456"\n', "mystery"),
    ('primary = "#123456"\n', "name"),
    ('name = "x"\nprimary = "#123456"\ndark = "yes"\n', "dark"),
])
def test_bad_theme_file_names_file_and_key(tmp_path, body, names):
    path = tmp_path / "broken.toml"
    path.write_text(body)
    with pytest.raises(ThemeFileError) as exc:
        load_theme_file(path)
    assert "broken.toml" in str(exc.value) and names in str(exc.value)


def test_no_color_or_a_mono_terminal_picks_the_ansi_theme():
    assert wants_ansi({"NO_COLOR": "", "TERM": "xterm-256color"})
    assert wants_ansi({"TERM": "dumb"})
    assert not wants_ansi({"TERM": "xterm-256color"})
    assert not wants_ansi({"TERM": "tmux-256color", "COLORTERM": "truecolor"})


async def test_every_theme_renders_the_console():
    from tests.snapshot_apps.console_app import build_app
    from tests.tui_helpers import screen_text

    app = build_app("watching")
    async with app.run_test(size=(80, 24)) as pilot:
        for name in app.theme_names:
            app.theme = name
            await pilot.pause()
            text = screen_text(app)
            assert "SEMI-AUTO" in text and "Tape" in text, name


async def test_make_app_under_no_color_starts_in_the_ansi_theme():
    from tests.snapshot_apps.console_app import prepared_engine
    from tui.app import make_app

    engine, clock = prepared_engine("watching")
    app = make_app(engine, None, clock, env={"NO_COLOR": "1"})
    assert app.theme == "ansi-dark"
