"""When the engine's next time-based decisions are due, and the wake-up that meets them.

`DeadlineQueue` is the engine's agenda: a watching market's next timer (the end of the entry
delay, a quiet period, a watch timing out, the next expiry of a window that can make a setup
due), a signal's expiry, a position's max hold or window drain. `Engine.advance(now)` takes due
entries off it in time order and handles each at its own time, so nothing waits for a grid.
Entries are never removed in place: a superseded one is skipped when it comes up (the engine
keeps the time it expects per market and position), which keeps pushes O(log n).

`DeadlineWaker` is for sources on a running clock (the live feeds, the latency bench): a loop
timer at the next deadline calls `engine.tick()`, so a time-based decision is made when it is
due rather than when the next frame happens to arrive. Sources on a stepped simulated clock
(sim, replay, backtest) need none: their engine time only moves with events and steps, and
`advance` handles every deadline passed at its own time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from typing import Protocol


class DeadlineQueue:
    __slots__ = ("heap", "_seq", "listener")

    def __init__(self) -> None:
        # (time, order pushed, kind, key); read-only to others (the engine peeks at heap[0] per frame)
        self.heap: list[tuple[float, int, str, str]] = []
        self._seq = itertools.count()
        # told of a push that moves the earliest deadline sooner (a waker re-arms on it)
        self.listener: Callable[[float], None] | None = None

    def push(self, t: float, kind: str, key: str) -> None:
        heap = self.heap
        sooner = not heap or t < heap[0][0]
        heapq.heappush(heap, (t, next(self._seq), kind, key))
        if sooner and self.listener is not None:
            self.listener(t)

    def due(self, now: float) -> bool:
        return bool(self.heap) and self.heap[0][0] <= now

    def peek(self) -> tuple[float, str, str]:
        t, _, kind, key = self.heap[0]
        return t, kind, key

    def pop(self) -> tuple[float, str, str]:
        t, _, kind, key = heapq.heappop(self.heap)
        return t, kind, key

    def __len__(self) -> int:
        return len(self.heap)

    def __deepcopy__(self, memo: dict) -> DeadlineQueue:
        # a backtest forks the engine with deepcopy: the copy keeps the agenda but no listener
        # (itertools.count's pickling is deprecated, so the order counter restarts past the heap)
        q = DeadlineQueue()
        q.heap = list(self.heap)
        memo[id(self.heap)] = q.heap  # the engine's alias of the heap follows the copy
        q._seq = itertools.count(max((e[1] for e in self.heap), default=-1) + 1)
        return q


class _Ticking(Protocol):
    def tick(self) -> None: ...
    def next_deadline(self) -> float | None: ...
    def watch_deadlines(self, fn: Callable[[float], None] | None) -> None: ...


class DeadlineWaker:
    """A loop timer at the engine's next deadline (on `clock_now`'s time scale, in seconds)."""

    def __init__(self, engine: _Ticking, clock_now: Callable[[], float]) -> None:
        self.engine = engine
        self.clock_now = clock_now
        self._handle: asyncio.TimerHandle | None = None
        self._at: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.wakes = 0

    def start(self) -> None:
        """Inside the loop that runs the engine."""
        self._loop = asyncio.get_running_loop()
        self.engine.watch_deadlines(self._sooner)
        self.arm()

    def stop(self) -> None:
        self.engine.watch_deadlines(None)
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            self._at = None

    def _sooner(self, t: float) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not loop:  # pushed from another thread (a command from a screen on its own loop)
            loop.call_soon_threadsafe(self._sooner, t)
            return
        if self._at is None or t < self._at:
            self._schedule(t)

    def arm(self) -> None:
        t = self.engine.next_deadline()
        if t is None:
            if self._handle is not None:
                self._handle.cancel()
            self._handle, self._at = None, None
        elif t != self._at:
            self._schedule(t)

    def _schedule(self, t: float) -> None:
        if self._loop is None:
            return
        if self._handle is not None:
            self._handle.cancel()
        self._at = t
        delay = max(0.0, t - self.clock_now())
        self._handle = self._loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._handle, self._at = None, None
        if self.clock_now() < (self.engine.next_deadline() or float("inf")):
            self.arm()  # woken a hair early (timer resolution) or the deadline moved: wait again
            return
        self.wakes += 1
        self.engine.tick()
        self.arm()
