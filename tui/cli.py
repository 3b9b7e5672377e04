"""The `liqhunt` console script: core's commands plus the ones that open the console."""
from __future__ import annotations

import sys

from core.cli import main as core_main

# each opens the Textual console (bench: runs it); imported only when the command line is
# built, and each module imports textual lazily inside run() so `liqhunt sim` never loads it
CONSOLE_COMMANDS: list[str] = ["tui.commands.demo_cmd", "tui.commands.replay_cmd", "tui.commands.run_cmd",
                               "tui.commands.bench_cmd"]


def main(argv: list[str] | None = None) -> int:
    return core_main(argv, extra=CONSOLE_COMMANDS)


if __name__ == "__main__":
    sys.exit(main())
