"""The `liqhunt` command: one composition root (tui.cli) over core's screenless commands and the
console's, one console opener for demo / replay / run, and a version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core import __version__
from tui.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_version_is_printed_and_exits_zero(capsys):
    # main() turns argparse's exits into return codes (core.cli), so --version returns 0
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"liqhunt {__version__}"


def test_the_console_script_has_every_command_and_core_alone_has_no_console_ones():
    from core.cli import build_parser as core_parser
    from tui.cli import CONSOLE_COMMANDS, build_parser

    def names(parser) -> set[str]:
        (sub,) = [a for a in parser._actions if a.dest == "command"]
        return set(sub.choices)

    console = {"demo", "replay", "run", "bench"}
    assert console | {"sim", "backtest", "record", "config", "doctor"} <= names(build_parser())
    assert not console & names(core_parser())
    assert len(CONSOLE_COMMANDS) == len(console)


def test_core_cli_never_loads_the_screen():
    code = "import sys; from core.cli import build_parser; build_parser(); print(sorted({m.split('.')[0] for m in sys.modules}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "textual" not in out and "'tui'" not in out


@pytest.mark.parametrize("command", [["demo", "--warmup", "0"], ["run", "--venues", "binance"]])
def test_every_console_command_names_an_unknown_theme_in_one_line(command, tmp_path, capsys):
    # run included: it opens the console through the same opener (no connection is made before the theme check)
    rc = main(
        [*command, "--theme", "nope", "--journal", str(tmp_path / "j.sqlite"), "--cache-dir", str(tmp_path)]
        if command[0] == "run"
        else [*command, "--theme", "nope"]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        rc == 2 and len(err) == 1 and err[0].startswith(f"liqhunt {command[0]}: error: --theme: unknown theme 'nope'")
    )
