"""The broker seam: the engine places orders through this and learns of fills from it.

Orders are submitted without waiting; fills come back when the engine calls `poll(now)`.
This lets a paper broker model latency on a simulated clock and a live broker finish its
HTTP calls in the background, behind one interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from core.events import OrderSide


class OrderIntent(StrEnum):
    ENTRY = "entry"  # opens a position from a signal
    EXIT = "exit"  # closes one (stop, target, exhaustion, hold, flatten, kill)


@dataclass
class Order:
    id: str
    market: str
    side: OrderSide
    qty: float
    intent: OrderIntent
    submitted_ts: float
    ref_price: float  # the price we decided at (signal price or trigger price), for slippage reports
    reason: str = ""  # exit reason, or the signal id for entries
    signal_id: str = ""
    position_id: str = ""
    reduce_only: bool = False
    status: str = "new"  # new | filled | rejected | cancelled
    reject_reason: str = ""


@dataclass(frozen=True)
class Fill:
    order_id: str
    market: str
    side: OrderSide
    qty: float
    price: float
    fee: float
    ts: float
    slippage_bps: float  # vs the order's ref_price, signed so that positive = worse for us
    latency_s: float
    broker: str = "paper"
    extras: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rejection:
    order_id: str
    market: str
    reason: str
    ts: float


class Broker(Protocol):
    name: str

    def submit(self, order: Order) -> None: ...

    def poll(self, now: float) -> list[Fill | Rejection]: ...

    def cancel_all(self, now: float) -> None: ...
