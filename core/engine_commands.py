"""Typed commands: the only way the console (or a script) changes what the engine does."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Arm:
    mode: Literal["semi", "auto"]


@dataclass(frozen=True)
class Disarm:
    reason: str = "user"


@dataclass(frozen=True)
class Confirm:
    signal_id: str


@dataclass(frozen=True)
class Reject:
    signal_id: str


@dataclass(frozen=True)
class Flatten:
    market: str


@dataclass(frozen=True)
class FlattenAll:
    pass


@dataclass(frozen=True)
class Kill:
    """Flatten everything and disarm, no questions asked."""


Command = Arm | Disarm | Confirm | Reject | Flatten | FlattenAll | Kill
