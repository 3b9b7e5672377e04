"""Cyclic garbage collection arranged around the event path, for long-running processes.

CPython's collector runs when allocation counters trip, i.e. in the middle of whatever allocates:
a burst of frames, a repaint. A full (oldest-generation) collection walks every tracked object,
and in a console process that is the interpreter, Textual and every widget: 30–100 ms during
which no frame is handled. Two changes, both called from a composition root (never from core's
hot path itself):

* `freeze_after_startup()`: once start-up is done, everything alive is moved out of the
  collector's sight (`gc.freeze`): modules, classes, the widget tree, config. Those objects live
  as long as the process anyway; later collections only walk what was made since.
* `EventLoopCollector`: young collections stay automatic but are made less frequent; full
  collections no longer trip on their own (the oldest generation's threshold is raised) and are
  run by `maybe_collect(now)` on a schedule, from a timer, where a pause is expected.

Events themselves are not tracked by the collector at all (core/events.py), so the hot path
allocates little that the collector has to look at.
"""

from __future__ import annotations

import gc
import time

YOUNG_THRESHOLD = 2_000  # allocations between young collections (CPython's default is 700)
MIDDLE_THRESHOLD = 10  # young collections per middle-generation collection (the default)
OLDEST_THRESHOLD = 1_000_000  # effectively "never on its own": full collections come from the schedule
FULL_EVERY_S = 60.0


def freeze_after_startup() -> None:
    """Collect once, then exempt every surviving object from future collections."""
    gc.collect()
    gc.freeze()


class EventLoopCollector:
    """Thresholds for a process that handles events in one loop, and full collections on a schedule."""

    def __init__(self, full_every_s: float = FULL_EVERY_S, clock=time.monotonic) -> None:
        self.full_every_s = full_every_s
        self.clock = clock
        self.previous = gc.get_threshold()
        self.next_full = clock() + full_every_s
        self.full_runs = 0

    def install(self) -> EventLoopCollector:
        gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLDEST_THRESHOLD)
        return self

    def uninstall(self) -> None:
        gc.set_threshold(*self.previous)

    def maybe_collect(self) -> bool:
        """Run the scheduled full collection if it is due; True if it ran."""
        now = self.clock()
        if now < self.next_full:
            return False
        self.next_full = now + self.full_every_s
        gc.collect()
        self.full_runs += 1
        return True
