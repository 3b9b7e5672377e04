"""The theme names a config may pick (`ui.theme`), found without importing the console: the
shipped themes/*.toml (a checkout's folder, or the installed data package `liqhunt_themes`)
plus the 16-colour `ansi-dark`. The console validates again against what it actually loaded."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ANSI_THEME = "ansi-dark"


def themes_dir() -> Path | None:
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "themes").is_dir():
        return checkout / "themes"
    spec = importlib.util.find_spec("liqhunt_themes")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return None


def shipped_theme_names() -> set[str]:
    """File stems are the names (each file's `name` key matches it; the theme loader checks that)."""
    d = themes_dir()
    names = {p.stem for p in d.glob("*.toml")} if d is not None else set()
    return names | {ANSI_THEME}
