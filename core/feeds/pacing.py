"""Pacing for reconnects and REST polls: jittered exponential backoff and a weight budget.

Jitter matters because every client of a venue reconnects at the same moment after an outage;
the random source is injected so tests and replays are reproducible.
"""

from __future__ import annotations

import asyncio
import random


class Backoff:
    """Delays initial, 2x, 4x ... capped at `maximum`, each scaled by a random factor in [0.5, 1)."""

    def __init__(
        self, initial: float = 1.0, maximum: float = 60.0, *, factor: float = 2.0, rng: random.Random | None = None
    ) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError("backoff needs 0 < initial <= maximum")
        self.initial, self.maximum, self.factor = initial, maximum, factor
        self._rng = rng or random.Random()
        self._attempt = 0

    def next(self) -> float:
        base = min(self.maximum, self.initial * self.factor**self._attempt)
        self._attempt += 1
        return base * (0.5 + 0.5 * self._rng.random())

    def reset(self) -> None:
        self._attempt = 0


class RateBudget:
    """A token bucket in request weight per minute, shared by one venue's REST polls.

    Holds at most ten seconds' worth so a start-up burst stays small; `pause` empties it for a
    while when the venue says we are over its limit (HTTP 429 / 418 apply to the whole IP).
    """

    def __init__(self, weight_per_min: float) -> None:
        if weight_per_min <= 0:
            raise ValueError("weight_per_min must be > 0")
        self.rate = weight_per_min / 60.0
        self.capacity = max(1.0, weight_per_min / 6.0)
        self._tokens = self.capacity
        self._stamp: float | None = None
        self._paused_until = 0.0

    def _refill(self, now: float) -> None:
        if self._stamp is None:
            self._stamp = now
        start = max(self._stamp, self._paused_until)
        if now > start:
            self._tokens = min(self.capacity, self._tokens + (now - start) * self.rate)
        self._stamp = max(now, self._stamp)

    async def acquire(self, weight: float) -> None:
        loop = asyncio.get_running_loop()
        need = min(float(weight), self.capacity)  # a request heavier than the bucket waits for a full one
        while True:
            now = loop.time()
            self._refill(now)
            if now >= self._paused_until and self._tokens >= need:
                self._tokens -= need
                return
            wait = max(self._paused_until - now, (need - self._tokens) / self.rate, 0.001)
            await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self._paused_until = max(self._paused_until, loop.time() + seconds)
        self._tokens = 0.0


class ConnectPacer:
    """Spaces connection attempts `1/per_s` apart (OKX allows 3 connection requests per second
    per IP). Slots are reserved in call order, so connections opened together queue up."""

    def __init__(self, per_s: float) -> None:
        if per_s <= 0:
            raise ValueError("per_s must be > 0")
        self.interval = 1.0 / per_s
        self._next = float("-inf")

    async def acquire(self) -> None:
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)
