"""What `demo`, `replay` (and later `run`) share: config loading, --mode/--theme checks, opening the app."""
from __future__ import annotations

import argparse
import sys

from core.config import Config, ConfigError, load_config

MODES = ("watch", "semi", "auto")


def add_console_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=MODES, default="watch", help="start in this mode (default watch)")
    p.add_argument("--theme", default=None, help="liq-dark (default), liq-light, liq-contrast, liq-cb, ansi-dark")
    p.add_argument("--config", default=None, metavar="FILE", help="config TOML (see `liqhunt config --defaults`)")
    p.add_argument("--no-mouse", action="store_true", help="leave the mouse to the terminal (copy/paste over SSH)")


def fail(command: str, message: str) -> int:
    print(f"liqhunt {command}: error: {message}", file=sys.stderr)
    return 2


def load(command: str, args: argparse.Namespace) -> Config | int:
    try:
        return load_config(args.config)
    except ConfigError as exc:
        return fail(command, f"config: {exc}")
    except OSError as exc:
        return fail(command, f"config: {exc}")


def open_console(command: str, args: argparse.Namespace, engine, source, clock, cfg: Config) -> int:
    """Build the app (textual is imported only here) and run it until the user quits."""
    from tui.app import make_app
    from tui.theme_loader import ThemeFileError

    try:
        app = make_app(engine, source, clock, cfg, theme=args.theme or None)
    except ThemeFileError as exc:
        return fail(command, f"theme file: {exc}")
    if args.theme is None and cfg.ui.theme and app.theme != "ansi-dark":
        args.theme = cfg.ui.theme
    if args.theme:
        if args.theme not in app.available_themes:
            return fail(command, f"--theme: unknown theme {args.theme!r}; valid: {', '.join(app.theme_names)}")
        app.theme = args.theme
    app.run(mouse=not args.no_mouse)
    return 0
