"""Where the journal lives: the user data directory by platform convention, unless told otherwise."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

MEMORY = ":memory:"
FILENAME = "journal.sqlite"


def default_journal_path(
    env: Mapping[str, str] | None = None, platform: str | None = None, home: Path | None = None
) -> Path:
    """$XDG_DATA_HOME/liqhunt/journal.sqlite, else ~/.local/share/liqhunt/…;
    macOS ~/Library/Application Support/liqhunt/…; Windows %APPDATA%\\liqhunt\\…"""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    home = Path.home() if home is None else home
    if platform == "darwin":
        base = home / "Library" / "Application Support"
    elif platform.startswith("win"):
        base = Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming"
    else:
        xdg = env.get("XDG_DATA_HOME", "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / "liqhunt" / FILENAME


def resolve_journal_path(arg: str | None, in_memory_by_default: bool = False) -> str:
    """`--journal PATH` wins; otherwise live/demo sessions use the user data directory and
    tests and backtests (`in_memory_by_default`) keep the journal in memory."""
    if arg:
        return arg
    return MEMORY if in_memory_by_default else str(default_journal_path())
