"""Venue-neutral account state for the fakes: prices, one-way positions, balance, fills, faults."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Execution:
    qty: float
    price: float
    fee: float


@dataclass
class Ledger:
    prices: dict[str, float] = field(default_factory=dict)
    positions: dict[str, list[float]] = field(default_factory=dict)  # symbol -> [signed qty, entry price]
    balance: float = 100_000.0
    fee_rate: float = 0.0004
    leverage: dict[str, int] = field(default_factory=lambda: defaultdict(lambda: 20))
    margin_mode: dict[str, str] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def position(self, symbol: str) -> float:
        return self.positions.get(symbol, [0.0, 0.0])[0]

    def set_position(self, symbol: str, qty: float, entry: float) -> None:
        self.positions[symbol] = [qty, entry]

    def execute(self, symbol: str, sign: int, qty: float, reduce_only: bool) -> Execution | str:
        """A market fill at the set price; a string is the reason it was refused."""
        px = self.prices[symbol]
        pos, entry = self.positions.get(symbol, [0.0, 0.0])
        if reduce_only:
            if pos == 0 or (pos > 0) == (sign > 0):
                return "reduce_only"
            qty = min(qty, abs(pos))
        elif (pos == 0 or (pos > 0) == (sign > 0)) and qty * px / self.leverage[symbol] > self.balance:
            return "margin"
        new = round(pos + sign * qty, 12)
        if pos == 0 or (pos > 0) == (sign > 0):
            entry = (abs(pos) * entry + qty * px) / (abs(pos) + qty)
        else:
            closed = min(qty, abs(pos))
            self.balance += (px - entry) * closed * (1 if pos > 0 else -1)
            if abs(new) > 0 and (new > 0) != (pos > 0):
                entry = px
        fee = qty * px * self.fee_rate
        self.balance -= fee
        self.positions[symbol] = [new, entry if new else 0.0]
        return Execution(qty, px, fee)


class Faults:
    """Queued one-shot faults per (method, path)."""

    def __init__(self) -> None:
        self._q: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.lock = threading.Lock()

    def add(self, method: str, path: str, *kinds: str) -> None:
        with self.lock:
            self._q[(method, path)].extend(kinds)

    def take(self, method: str, path: str) -> str:
        with self.lock:
            q = self._q.get((method, path))
            return q.pop(0) if q else ""
