"""Hostile config files: what is read before TOML parsing, and settings that contradict each other.

`config --check` on a FIFO used to block for ever (open() waits for a writer); a binary file, a
non-UTF-8 byte, an integer of 4,300 digits or arrays nested 100k deep gave tracebacks; and some
settings that cannot both hold were accepted with "ok". Every case is now a `ConfigError`: one
line naming the file (or both keys) and the reason.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

MAX_CONFIG_BYTES = 1 << 20  # a liqhunt config is a few KB; a megabyte is not a config file

# Textual's built-in theme names (8.2), which the console also accepts, and its ANSI themes
TEXTUAL_THEMES = (
    "textual-dark",
    "textual-light",
    "nord",
    "gruvbox",
    "dracula",
    "tokyo-night",
    "monokai",
    "flexoki",
    "catppuccin-mocha",
    "catppuccin-latte",
    "catppuccin-frappe",
    "catppuccin-macchiato",
    "solarized-light",
    "solarized-dark",
    "rose-pine",
    "rose-pine-moon",
    "rose-pine-dawn",
    "atom-one-dark",
    "atom-one-light",
    "ansi-dark",
    "ansi-light",
)


class ConfigError(ValueError):
    """A bad config: `key` is the file or the dotted key (``risk.max_open_positions``). Defined here,
    below core.config, so the file checks need nothing from it; core.config re-exports it."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def _error(key: str, reason: str) -> ConfigError:
    return ConfigError(key, reason)


def read_config_text(path: str | Path) -> str:
    """The file's text; the file type is checked *before* opening it, so a FIFO never blocks."""
    p = Path(path)
    name = str(p)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise _error(name, f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise _error(name, "is a directory, not a config file")
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "a device"
        )
        raise _error(name, f"is {kind}, not a regular file; pass a TOML file")
    if st.st_size > MAX_CONFIG_BYTES:
        raise _error(name, f"is {st.st_size:,} bytes; a config file is at most {MAX_CONFIG_BYTES:,}")
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise _error(name, f"cannot read: {exc.strerror or exc}") from None
    nul = raw.find(b"\0")
    if nul >= 0:
        raise _error(name, f"is a binary file (NUL byte at offset {nul}), not TOML text")
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark (Windows editors write one) is still UTF-8 text
    except UnicodeDecodeError as exc:
        raise _error(
            name, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None


def parse_toml(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _error(name, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise _error(name, "not valid TOML: nested too deeply") from None
    except (ValueError, OverflowError, MemoryError) as exc:  # e.g. an integer beyond Python's 4,300-digit limit
        reason = str(exc).split("\n")[0][:120]
        raise _error(name, f"not valid TOML: {reason}") from None


def shown(value: Any, limit: int = 60) -> str:
    """A value for a one-line message: never 4,000 digits."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond the digit limit
        return "a number too large to show"
    return text if len(text) <= limit else f"{text[: limit - 12]}… ({len(text):,} chars)"


def check_conflicts(cfg: Any) -> None:
    """Settings that are each valid but cannot hold together; the message names both keys."""
    f = cfg.filters
    for key, names in (("filters.markets", f.markets), ("filters.exclude_markets", f.exclude_markets)):
        if any(not n.strip() for n in names):
            raise _error(key, 'has an empty market name; name each market, e.g. "BTC-USDT-PERP"')
    # the same market in two spellings is the same conflict
    both = sorted({m.strip().upper() for m in f.markets} & {m.strip().upper() for m in f.exclude_markets})
    if both:
        raise _error("filters.markets", f"{both[0]!r} is also in filters.exclude_markets; keep it in one of the two")
    if not f.sides:
        raise _error("filters.sides", 'is empty: no liquidation would be kept; use ["long", "short"], or one of them')
    r = cfg.risk
    if r.max_notional_per_trade_usd > r.max_total_notional_usd:
        raise _error(
            "risk.max_notional_per_trade_usd",
            f"{r.max_notional_per_trade_usd:g} is above risk.max_total_notional_usd ({r.max_total_notional_usd:g})",
        )
    w = cfg.window
    if w.short_window_s > w.window_s:
        raise _error(
            "window.short_window_s", f"{w.short_window_s:g} s is longer than window.window_s ({w.window_s:g} s)"
        )


def theme_names() -> list[str]:
    """Themes the console can show: the shipped themes/*.toml (checkout or installed data package) and Textual's."""
    names = set(TEXTUAL_THEMES)
    dirs = [Path(__file__).resolve().parent.parent / "themes"]
    try:
        import importlib.util

        spec = importlib.util.find_spec("liqhunt_themes")
        if spec is not None and spec.submodule_search_locations:
            dirs += [Path(d) for d in spec.submodule_search_locations]
    except (ImportError, ValueError):
        pass
    for d in dirs:
        if d.is_dir():
            for p in d.glob("*.toml"):
                try:
                    names.add(str(tomllib.loads(p.read_text(encoding="utf-8")).get("name") or p.stem))
                except (OSError, ValueError):
                    names.add(p.stem)
    return sorted(names)


def check_theme(cfg: Any) -> None:
    names = theme_names()
    if cfg.ui.theme and cfg.ui.theme not in names:
        raise _error("ui.theme", f"unknown theme {cfg.ui.theme!r}; known: {', '.join(names)}")
