"""One gate per venue connection: reads the venues' rate-limit headers and holds requests back.

The gate never hammers: after a 429/418 (Binance) or retCode 10006 / HTTP 403 (Bybit) every request
waits until the venue said it may come back, and a caller that cannot wait that long is told so
instead of sending.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping


class RateGate:
    def __init__(
        self, weight_limit_1m: int = 2400, weight_headroom: float = 0.9, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.weight_limit_1m = weight_limit_1m
        self.weight_headroom = weight_headroom
        self._mono = monotonic
        self.blocked_until = 0.0
        self.used_weight_1m = 0
        self.order_count: dict[str, int] = {}
        self.bybit_remaining: int | None = None
        self.banned = False

    def wait_s(self) -> float:
        return max(0.0, self.blocked_until - self._mono())

    def block_for(self, seconds: float, banned: bool = False) -> None:
        self.blocked_until = max(self.blocked_until, self._mono() + max(seconds, 0.0))
        self.banned = self.banned or banned

    async def acquire(self, max_wait_s: float) -> bool:
        """Wait out any block; False (without waiting) if that would take longer than `max_wait_s`."""
        w = self.wait_s()
        if w > max_wait_s:
            return False
        if w > 0:
            await asyncio.sleep(w)
        if self.wait_s() == 0:
            self.banned = False
        return True

    def note_binance(self, headers: Mapping[str, str]) -> None:
        used = headers.get("x-mbx-used-weight-1m")
        if used is not None and used.isdigit():
            self.used_weight_1m = int(used)
            if self.used_weight_1m >= self.weight_limit_1m * self.weight_headroom:
                # close to the IP budget: pause until the minute rolls over rather than risk a ban
                self.block_for(60.0 - (time.time() % 60.0))
        for k, v in headers.items():
            if k.startswith("x-mbx-order-count-") and v.isdigit():
                self.order_count[k.removeprefix("x-mbx-order-count-")] = int(v)

    def note_bybit(self, headers: Mapping[str, str]) -> None:
        rem = headers.get("x-bapi-limit-status")
        reset = headers.get("x-bapi-limit-reset-timestamp")
        if rem is not None and rem.lstrip("-").isdigit():
            self.bybit_remaining = int(rem)
            if self.bybit_remaining <= 0 and reset and reset.isdigit():
                self.block_for(int(reset) / 1000.0 - time.time())


def retry_after_s(headers: Mapping[str, str], default: float) -> float:
    v = headers.get("retry-after")
    try:
        return max(0.0, float(v)) if v is not None else default
    except ValueError:
        return default
