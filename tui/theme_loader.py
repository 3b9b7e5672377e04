"""themes/*.toml -> Textual `Theme`s, validated at load so a bad file fails with its name and key.

A theme file sets Textual's base colours at the top level and liqhunt's own slots in a
`[variables]` table (liq-long, liq-short, mode-watch, ...). Slots a file leaves out fall back
to `VARIABLE_DEFAULTS`, which use ANSI colour names so they also work in the 16-colour
`ansi-dark` theme picked for terminals without colour.
"""

from __future__ import annotations

import importlib.util
import os
import tomllib
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme


def shipped_themes_dir() -> Path:
    """The top-level themes/ folder in a checkout (the source of truth); in an installed wheel the
    same files, shipped as the data package `liqhunt_themes` (see setup.py)."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "themes").is_dir():
        return checkout / "themes"
    spec = importlib.util.find_spec("liqhunt_themes")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return checkout / "themes"  # neither: load_themes names this path in its error


THEMES_DIR = shipped_themes_dir()
DEFAULT_THEME = "liq-dark"
ANSI_THEME = "ansi-dark"

BASE_COLOURS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
OTHER_KEYS = {"name": str, "dark": bool, "luminosity_spread": float, "text_alpha": float}

# liqhunt's own colour slots, with defaults for themes (including Textual's built-ins) that lack them
VARIABLE_DEFAULTS: dict[str, str] = {
    "liq-long": "ansi_red",  # long positions liquidated (forced sells, price falling)
    "liq-short": "ansi_green",  # short positions liquidated (squeeze, price rising)
    "liq-large": "ansi_bright_white",
    "gain": "ansi_green",
    "loss": "ansi_red",
    "mode-watch": "ansi_white",
    "mode-watch-text": "ansi_black",
    "mode-semi": "ansi_yellow",
    "mode-semi-text": "ansi_black",
    "mode-auto": "ansi_red",
    "mode-auto-text": "ansi_bright_white",
    "score-low": "ansi_bright_black",
    "score-mid": "ansi_yellow",
    "score-high": "ansi_magenta",  # never the colour of long liquidations
    "selected": "ansi_blue",
    "pane-border": "ansi_bright_black",  # visible on the terminal's own background
    "pane-focus": "ansi_bright_cyan",
}


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and the key."""


def _colour(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{path.name}: {key} must be a colour string, got {value!r}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{path.name}: {key} = {value!r} is not a colour") from None
    return value


def load_theme_file(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{path.name}: not valid TOML ({exc})") from None
    kwargs: dict = {}
    for key, value in data.items():
        if key == "variables":
            continue
        if key in BASE_COLOURS:
            kwargs[key] = _colour(path, key, value)
        elif key in OTHER_KEYS:
            want = OTHER_KEYS[key]
            if want is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, want):
                raise ThemeFileError(f"{path.name}: {key} must be {want.__name__}, got {value!r}")
            kwargs[key] = value
        else:
            raise ThemeFileError(f"{path.name}: unknown key {key!r}")
    for required in ("name", "primary"):
        if required not in kwargs:
            raise ThemeFileError(f"{path.name}: missing key {required!r}")
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{path.name}: [variables] must be a table")
    for key, value in variables.items():
        if key not in VARIABLE_DEFAULTS:
            raise ThemeFileError(f"{path.name}: unknown variable {key!r} (known: {', '.join(VARIABLE_DEFAULTS)})")
        _colour(path, f"variables.{key}", value)
    theme = Theme(**kwargs, variables=dict(variables))
    try:
        theme.to_color_system().generate()
    except Exception as exc:  # noqa: BLE001 - report any generation failure against the file
        raise ThemeFileError(f"{path.name}: {exc}") from None
    return theme


def load_themes(directory: Path = THEMES_DIR) -> dict[str, Theme]:
    """Every themes/*.toml, by name; raises ThemeFileError on the first bad file, or when the
    directory holds no theme at all (a broken install, not a reason to fall back silently)."""
    themes = {}
    if not any(directory.glob("*.toml")):
        raise ThemeFileError(f"no theme files in {directory}: reinstall liqhunt (themes ship in the package)")
    for path in sorted(directory.glob("*.toml")):
        theme = load_theme_file(path)
        themes[theme.name] = theme
    return themes


def wants_ansi(env: dict[str, str] | None = None) -> bool:
    """NO_COLOR set, or a terminal that cannot show colour: use the ANSI theme, chosen before App init."""
    env = os.environ if env is None else env
    if "NO_COLOR" in env:
        return True
    term = env.get("TERM", "")
    return term in ("dumb", "vt100", "vt102", "vt220", "ansi-mono") or term.endswith("-mono") or term.endswith("-m")
