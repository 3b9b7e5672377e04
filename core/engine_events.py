"""What the engine tells its subscribers (console, journal, reports) happened."""

from __future__ import annotations

from dataclasses import dataclass

from core.brokers.base import Fill, Order
from core.engine_commands import CommandResult
from core.positions import ClosedTrade, Position
from core.signals import Signal


@dataclass(frozen=True)
class SignalRaised:
    ts: float
    signal: Signal


@dataclass(frozen=True)
class SignalEnded:
    """The signal was entered, rejected by the user, expired or blocked by risk (see signal.status)."""

    ts: float
    signal: Signal


@dataclass(frozen=True)
class WatchStarted:
    ts: float
    market: str
    liquidated: str
    usd: float


@dataclass(frozen=True)
class WatchEnded:
    ts: float
    market: str
    outcome: str


@dataclass(frozen=True)
class RiskBlocked:
    ts: float
    market: str
    rule: str
    message: str
    signal_id: str = ""


@dataclass(frozen=True)
class OrderSubmitted:
    ts: float
    order: Order


@dataclass(frozen=True)
class OrderFilled:
    ts: float
    order: Order
    fill: Fill


@dataclass(frozen=True)
class OrderRejected:
    ts: float
    order: Order
    reason: str


@dataclass(frozen=True)
class PositionOpened:
    ts: float
    position: Position


@dataclass(frozen=True)
class PositionClosed:
    ts: float
    trade: ClosedTrade


@dataclass(frozen=True)
class PositionRestored:
    """A position re-adopted after a restart, with its original stop, target and hold timer."""

    ts: float
    position: Position


@dataclass(frozen=True)
class ExitTriggered:
    ts: float
    position: Position
    reason: str
    mark: float


@dataclass(frozen=True)
class ModeChanged:
    ts: float
    old: str
    new: str
    reason: str


@dataclass(frozen=True)
class CommandApplied:
    """Every command, as received (kill and flatten included), for the journal."""

    ts: float
    command: object
    result: CommandResult


@dataclass(frozen=True)
class FeedStateChanged:
    ts: float
    venue: str
    state: str
    reason: str


@dataclass(frozen=True)
class FundingCharged:
    """A funding time passed while a position was open: `amount` USD paid (+) or received (−)."""

    ts: float  # the funding time
    position: Position
    rate: float  # per funding interval
    mark: float
    amount: float


# everything the engine emits; subscribers are typed by it (add a new event here too)
EngineEvent = (
    SignalRaised
    | SignalEnded
    | WatchStarted
    | WatchEnded
    | RiskBlocked
    | OrderSubmitted
    | OrderFilled
    | OrderRejected
    | PositionOpened
    | PositionClosed
    | PositionRestored
    | ExitTriggered
    | ModeChanged
    | CommandApplied
    | FeedStateChanged
    | FundingCharged
)
