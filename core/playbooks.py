"""The playbooks' per-market detectors, built from the registry in core/playbook_names.py."""

from __future__ import annotations

from importlib import import_module

from core.config import Config
from core.playbook_names import REGISTRY, playbooks_for
from core.signals import Detector


def detector_class(name: str) -> type[Detector]:
    module, _, cls = REGISTRY[name].partition(":")
    found: type[Detector] = getattr(import_module(module), cls)
    return found


def detectors_for(market: str, cfg: Config) -> list[Detector]:
    """One detector per playbook the config runs on `market`, in registry order."""
    return [detector_class(name).for_market(market, cfg) for name in playbooks_for(cfg, market)]
