"""Which playbooks exist, by name: the one list the config, the engine, the reports and the CLI read.

A playbook is one module holding a per-market `Detector` subclass (its state machine, its setup
inputs and its filters); adding one means writing that module and one line below. Entries are
"module:Class" strings so this registry can be read (e.g. by config validation) without importing
the playbooks themselves.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.config import Config
    from core.signals import Detector

REGISTRY: dict[str, str] = {
    "ride": "core.signals:SignalDetector",  # ride the cascade while it runs
    "fade": "core.fade:FadeDetector",  # fade the reversal once it is exhausted
}
ALL = "both"  # the config's word for every playbook at once (kept from when there were two)

PLAYBOOK_NAMES: tuple[str, ...] = tuple(REGISTRY)
PLAYBOOK_CHOICES: tuple[str, ...] = (*PLAYBOOK_NAMES, ALL)


def expand(choice: str) -> tuple[str, ...]:
    """A config or command-line choice as playbook names: "both" is every playbook."""
    return PLAYBOOK_NAMES if choice == ALL else (choice,)


def detector_class(name: str) -> type[Detector]:
    module, _, cls = REGISTRY[name].partition(":")
    found: type[Detector] = getattr(import_module(module), cls)
    return found


def detectors_for(market: str, cfg: Config) -> list[Detector]:
    """One detector per playbook the config runs on `market`, in registry order."""
    from core.config import playbooks_for

    return [detector_class(name).for_market(market, cfg) for name in playbooks_for(cfg, market)]
