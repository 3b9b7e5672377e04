"""What `demo`, `replay` and `run` share: config loading, the engine with its heatmap and
journal, crash recovery, and opening the app. This is the composition root."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.config import Config, ConfigError, with_playbook
from core.config_load import load_config
from core.engine_commands import MODES
from core.playbook_names import PLAYBOOK_CHOICES


def add_console_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=MODES, default="watch", help="start in this mode (default watch)")
    p.add_argument("--playbook", choices=PLAYBOOK_CHOICES, help="override the config's playbook for every market")
    p.add_argument("--theme", default=None, help="liq-dark (default), liq-light, liq-contrast, liq-cb, ansi-dark")
    p.add_argument("--config", default=None, metavar="FILE", help="config TOML (see `liqhunt config --defaults`)")
    p.add_argument(
        "--journal",
        default=None,
        metavar="PATH",
        help="SQLite journal (run: the user data dir by default; demo/replay: in memory unless given)",
    )
    p.add_argument("--no-mouse", action="store_true", help="leave the mouse to the terminal (copy/paste over SSH)")


def fail(command: str, message: str) -> int:
    print(f"liqhunt {command}: error: {message}", file=sys.stderr)
    return 2


def load(command: str, args: argparse.Namespace) -> Config | int:
    try:
        return with_playbook(load_config(args.config), getattr(args, "playbook", None))
    except ConfigError as exc:
        return fail(command, f"config: {exc}")
    except OSError as exc:
        return fail(command, f"config: {exc}")


@dataclass
class Session:
    engine: object
    journal: object | None
    fuel_map: object | None
    restored: list
    notes: list = field(default_factory=list)  # crash recovery: what was not restored, and why


def build_session(
    cfg: Config,
    clock,
    instruments,
    mode: str,
    args: argparse.Namespace,
    source_label: str,
    venues: list[str],
    broker=None,
    journal_by_default: bool = False,
    source_id: str = "",
) -> Session | int:
    """Engine + heatmap estimate + journal, with positions from the last session of this very
    source (`source_id`, see core.journal.recovery) restored. A journal that cannot be opened or
    written is a one-line error and exit code 1 (returned as an int), never a traceback."""
    from core.engine import Engine
    from core.heatmap.model import estimated_fuel_map
    from core.journal.journal import Journal
    from core.journal.paths import resolve_journal_path
    from core.journal.recovery import restore_into
    from core.journal.schema import JournalError

    fuel = estimated_fuel_map(cfg, clock, instruments)
    engine = Engine(cfg, clock, broker=broker, fuel_map=fuel, instruments=instruments, mode=mode)
    path = resolve_journal_path(getattr(args, "journal", None), in_memory_by_default=not journal_by_default)
    journal = None
    try:
        journal = Journal(path, clock)
        journal.open_session(
            mode, venues, cfg, source_label, broker=getattr(engine.broker, "name", "paper"), source_id=source_id
        )
        journal.attach(engine)
        restored = restore_into(engine, journal)
    except (JournalError, sqlite3.Error) as exc:
        if journal is not None:
            journal.close("could not start")
        fail(
            getattr(args, "command", None) or "console",
            str(exc) if isinstance(exc, JournalError) else f"journal {path}: {exc}",
        )
        return 1
    return Session(engine, journal, fuel, restored, list(journal.recovery_notes))


def open_console(
    command: str,
    args: argparse.Namespace,
    engine,
    source,
    clock,
    cfg: Config,
    session: Session | None = None,
    notes: Iterable[str] = (),
) -> int:
    """For the commands that are not async themselves (demo, replay): `run_console` on a new loop."""
    return asyncio.run(run_console(command, args, engine, source, clock, cfg, session, notes))


async def run_console(
    command: str,
    args: argparse.Namespace,
    engine,
    source,
    clock,
    cfg: Config,
    session: Session | None = None,
    notes: Iterable[str] = (),
) -> int:
    """The one console opener (demo, replay, run): builds the app (textual is imported only here)
    with its theme validated and its start-up notes, flushes the journal on SIGTERM / SIGHUP, and
    runs until the user quits. An unknown theme or a bad theme file is a one-line error."""
    from tui.app import make_app
    from tui.liq_levels import EstimatedLevels
    from tui.theme_loader import ThemeFileError

    levels = EstimatedLevels(session.fuel_map) if session and session.fuel_map is not None else None
    journal = session.journal if session else None
    opened = False
    try:
        try:
            # the theme is set below, once validated: an unknown name is a one-line error, not a traceback
            app = make_app(engine, source, clock, cfg, levels=levels, journal=journal)
        except ThemeFileError as exc:
            return fail(command, f"theme file: {exc}")
        if args.theme is None and cfg.ui.theme and app.theme != "ansi-dark":
            args.theme = cfg.ui.theme
        if args.theme:
            if args.theme not in app.available_themes:
                return fail(command, f"--theme: unknown theme {args.theme!r}; valid: {', '.join(app.theme_names)}")
            app.theme = args.theme
        app.startup_notes.extend(n for n in notes if n)
        if session and session.restored:
            app.startup_notes.append(
                f"restored {len(session.restored)} open position(s) from the journal with their stops"
            )
        if session:
            app.startup_notes.extend(session.notes)
        opened = True
        from tui.gc_hooks import tune_collector

        tune_collector(app)  # collections away from the event path (core/gc_policy.py)
    finally:
        if not opened and journal is not None:  # a one-line error above: the session still ends in the journal
            journal.close("could not start the console")
    from tui.lifecycle import finish_console, guard_console

    # SIGTERM / SIGHUP / a terminal that went away: disarm, journal the reason, exit within 2 s;
    # paper positions keep their stops in the journal and come back on the next start. A crash
    # of the app is journaled as one and exits non-zero.
    guard = guard_console(app, engine, journal)
    crash = None
    try:
        await app.run_async(mouse=not args.no_mouse)
    except Exception as exc:
        crash = exc
    return finish_console(guard, app, journal, command, crash)
