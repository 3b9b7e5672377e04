"""Typed commands: the only way the console (or a script) changes what the engine does, and the
typed result each one gets back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Mode(StrEnum):
    """What the engine does with a signal: nothing, ask (semi-auto), or trade it (full-auto)."""

    WATCH = "watch"
    SEMI = "semi"
    AUTO = "auto"

    @property
    def label(self) -> str:
        return MODE_LABELS[self]


MODES: tuple[str, ...] = tuple(m.value for m in Mode)  # for argparse choices and messages
MODE_LABELS: dict[str, str] = {Mode.WATCH: "WATCH", Mode.SEMI: "SEMI-AUTO", Mode.AUTO: "FULL-AUTO"}


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


class ResultCode(StrEnum):
    """What happened to a command; callers match on this, the message is for people."""

    ARMED = "armed"
    DISARMED = "disarmed"
    REFUSED_LOSS_LIMIT = "refused_loss_limit"
    UNKNOWN_MODE = "unknown_mode"
    CONFIRMED = "confirmed"
    SKIPPED = "skipped"
    NO_SUCH_SIGNAL = "no_such_signal"
    WRONG_MODE = "wrong_mode"
    SIGNAL_EXPIRED = "signal_expired"
    CLOSING = "closing"
    KILLED = "killed"
    UNKNOWN_COMMAND = "unknown_command"


@dataclass(frozen=True)
class CommandResult:
    ok: bool
    code: ResultCode
    message: str  # one line for the console and the journal

    def __str__(self) -> str:
        return self.message
