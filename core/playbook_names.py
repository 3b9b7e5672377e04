"""Which playbooks exist, by name: the one list the config, the engine, the reports and the CLI read.

A playbook is one module holding a per-market `Detector` subclass (its state machine, its setup
inputs and its filters); adding one means writing that module and one line below. Entries are
"module:Class" strings, and this module imports nothing from liqhunt, so config validation can
read it without importing the playbooks (core/playbooks.py builds their detectors).
"""

from __future__ import annotations

from typing import Any

REGISTRY: dict[str, str] = {
    "ride": "core.signals:SignalDetector",  # ride the cascade while it runs
    "fade": "core.fade:FadeDetector",  # fade the reversal once it is exhausted
}
ALL = "both"  # the config's word for every playbook at once (kept from when there were two)

PLAYBOOK_NAMES: tuple[str, ...] = tuple(REGISTRY)
PLAYBOOK_CHOICES: tuple[str, ...] = (*PLAYBOOK_NAMES, ALL)


def expand(choice: str) -> tuple[str, ...]:
    """A config or command-line choice as playbook names: "both" is every playbook."""
    return tuple(REGISTRY) if choice == ALL else (choice,)


def playbooks_for(cfg: Any, market: str) -> tuple[str, ...]:
    """The playbooks `cfg` (a core.config.Config) runs on `market`: its [playbook] default, or
    the market's own `MARKET=playbook` override."""
    choice: str = cfg.playbook.default
    for item in cfg.playbook.markets:
        m, _, pb = item.partition("=")
        if m == market:
            choice = pb
    return expand(choice)
