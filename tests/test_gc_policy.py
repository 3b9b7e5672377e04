"""The collector policy for the console process: thresholds, a frozen start-up, scheduled full runs."""

import gc

from core.gc_policy import OLDEST_THRESHOLD, YOUNG_THRESHOLD, EventLoopCollector, freeze_after_startup


class StepClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_full_collections_run_on_the_schedule_not_on_thresholds():
    clock = StepClock()
    before = gc.get_threshold()
    c = EventLoopCollector(full_every_s=60.0, clock=clock).install()
    try:
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD and gc.get_threshold()[2] == OLDEST_THRESHOLD
        assert not c.maybe_collect()
        clock.t += 59.9
        assert not c.maybe_collect()
        runs = gc.get_stats()[2]["collections"]
        clock.t += 0.2
        assert c.maybe_collect() and c.full_runs == 1
        assert gc.get_stats()[2]["collections"] == runs + 1  # a real full collection ran
        assert not c.maybe_collect()  # and the next one is a minute away
    finally:
        c.uninstall()
    assert gc.get_threshold() == before


def test_freeze_after_startup_takes_survivors_out_of_later_collections():
    kept = [[i] for i in range(1000)]  # tracked containers alive "since start-up"
    try:
        freeze_after_startup()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
