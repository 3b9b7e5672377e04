"""Theme files load, validate with the file and key named, and every theme renders."""

from __future__ import annotations

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem, ColorType
from textual.filter import monochrome_style

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


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ('name = "x"\nprimary = "#zzz"\n', "primary"),
        ('name = "x"\nprimary = "#123456"\nsparkle = 1\n', "sparkle"),
        ('name = "x"\nprimary = "#123456"\n[variables]\nliq-long = "nope"\n', "variables.liq-long"),
        ('name = "x"\nprimary = "#123456"\n[variables]\nmystery = "#123456"\n', "mystery"),
        ('primary = "#123456"\n', "name"),
        ('name = "x"\nprimary = "#123456"\ndark = "yes"\n', "dark"),
    ],
)
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


# -- borders and focus visible in every theme and colour system ---------------------------------

SYSTEMS = ("truecolor", "256", "16", "no_color")


def _seen(color: RichColor | None, system: str) -> tuple:
    """What the terminal shows for a colour under a colour system (None = the terminal's default)."""
    if color is None or color.type == ColorType.DEFAULT:
        return ("default",)
    if color.type in (ColorType.STANDARD, ColorType.EIGHT_BIT) and color.number is not None and color.number < 16:
        return ("ansi", color.number)  # ANSI themes: the terminal's own palette entry
    if system == "256":
        color = color.downgrade(ColorSystem.EIGHT_BIT)
        return ("256", color.number)
    if system == "16":
        color = color.downgrade(ColorSystem.STANDARD)
        return ("16", color.number)
    r, g, b = color.get_truecolor()
    return ("rgb", r, g, b)


def _visible(fg: tuple, bg: tuple) -> bool:
    if fg == bg:
        return False
    if bg == ("default",) and fg in (("ansi", 0), ("16", 0), ("256", 0)):
        return False  # black on the (usually black) default background: ESC[30m
    if fg[0] == "rgb" and bg[0] == "rgb":
        return abs(sum(fg[1:]) - sum(bg[1:])) / 3 >= 24  # enough difference in brightness to read
    return True


def _border_cell(app, x: int, y: int):
    line = app.screen._compositor.render_full_update(simplify=True).strips[y]
    col = 0
    for seg in (seg for strip in line for seg in strip):
        if col + seg.cell_length > x:
            return seg.text[x - col], seg.style
        col += seg.cell_length
    raise AssertionError("cell outside the screen")


@pytest.mark.parametrize("system", SYSTEMS)
async def test_pane_borders_and_focus_are_visible_in_every_theme(system):
    from tests.snapshot_apps.console_app import build_app

    app = build_app("watching")
    async with app.run_test(size=(80, 24)) as pilot:
        for name in app.theme_names:
            app.theme = name
            await pilot.pause()
            # the tape's top-left corner (unfocused) and the windows list's (focused)
            checks = {"tape": _border_cell(app, 0, 1), "windows (focused)": _border_cell(app, 40, 1)}
            glyphs = {k: g for k, (g, _) in checks.items()}
            assert glyphs["tape"] != glyphs["windows (focused)"], name  # focus reads without colour too
            for what, (glyph, style) in checks.items():
                assert glyph.strip(), (name, what)
                if system == "no_color":
                    style = monochrome_style(style) if not name.startswith("ansi") else style
                    system_ = "truecolor"
                else:
                    system_ = system
                fg, bg = _seen(style.color, system_), _seen(style.bgcolor, system_)
                assert _visible(fg, bg), f"{name} {system}: {what} border {fg} on {bg}"


def test_score_high_never_looks_like_long_liquidations():
    themes = load_themes()
    from textual.color import Color

    for name, theme in themes.items():
        a, b = Color.parse(theme.variables["score-high"]), Color.parse(theme.variables["liq-long"])
        distance = sum(abs(x - y) for x, y in zip(a.rgb, b.rgb, strict=True))
        assert distance >= 120, (
            f"{name}: score-high {theme.variables['score-high']} vs liq-long {theme.variables['liq-long']}"
        )
    from tui.theme_loader import VARIABLE_DEFAULTS

    assert VARIABLE_DEFAULTS["score-high"] != VARIABLE_DEFAULTS["liq-long"]
