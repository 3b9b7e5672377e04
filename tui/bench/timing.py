"""Small timing and statistics helpers shared by the benchmarks.

Rates are measured on wall time (`perf_counter`) and on the process's CPU time; on a shared,
noisy machine the CPU figure is the steadier one, and ratios are always taken between figures
of the same run.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timed:
    n: int  # units of work done (events)
    wall_s: float
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.n / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def cpu_rate(self) -> float:
        return self.n / self.cpu_s if self.cpu_s > 0 else 0.0

    @property
    def us_per_event(self) -> float:
        return self.wall_s / self.n * 1e6 if self.n else 0.0


def timed(fn: Callable[[], int]) -> Timed:
    """Run `fn` (which returns how many events it handled) once, after a collection."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    n = fn()
    t1, c1 = time.perf_counter(), time.process_time()
    return Timed(n, t1 - t0, c1 - c0)


def median_rate(runs: list[Timed]) -> float:
    return statistics.median(r.rate for r in runs)


def median_cpu_rate(runs: list[Timed]) -> float:
    return statistics.median(r.cpu_rate for r in runs)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, int(round(q / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]
