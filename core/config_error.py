"""The one error a bad config raises: it names the key (``risk.max_open_positions``) and the reason.

A module of its own so the config's guards (core/config_guard.py) can raise it without importing
core.config, which imports them.
"""
from __future__ import annotations


class ConfigError(ValueError):
    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason
