"""What backtest, study and sweep all start with: the config (with a playbook override) and
the recording, each failing with a clear message and exit code instead of a traceback."""
from __future__ import annotations

import sys

from core.backtest import Recording, load_recording, with_playbook
from core.config import Config, ConfigError, load_config


def load_inputs(command: str, file: str, config: str | None, playbook: str | None) -> tuple[Config, Recording] | int:
    try:
        cfg = with_playbook(load_config(config), playbook)
    except ConfigError as exc:
        print(f"{command}: config error: {exc}", file=sys.stderr)
        return 2
    try:
        rec = load_recording(file)
    except OSError as exc:
        print(f"{command}: cannot read {file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return cfg, rec
