"""Sweep cells run serially, on a local process pool, or as Ray tasks — with identical results.

A cell (one config, in- and out-of-sample) is the unit of parallelism: markets inside a run share
caps, the loss limit and warm state, so they cannot be split. Every cell reads the same inputs
(a `RecordingSet` is only paths, cheap to send), is deterministic, and its results come back in
grid order whatever finished first, so the printed table does not depend on how it was run.
The recording's span is measured once, so each cell replays the data once (the in-sample result
is forked from the same pass at the cut).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.backtest import BacktestResult, Source, recording_span, split_backtest
from core.config import Config

Span = tuple[float | None, float | None]
CellResult = tuple[BacktestResult, BacktestResult]


def run_cell(rec: Source, cfg: Config, split: float, span: Span) -> CellResult:
    return split_backtest(rec, cfg, split, span=span)


def run_cells(
    rec: Source,
    configs: Sequence[Config],
    split: float,
    jobs: int = 1,
    ray_address: str | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[CellResult]:
    """(in-sample, out-of-sample) per config, in the order given. `jobs` > 1: that many local worker
    processes; `ray_address` ("local" for a local cluster): one Ray task per cell."""
    span = recording_span(rec)
    if ray_address is not None:
        return _on_ray(rec, configs, split, span, ray_address, on_done)
    if jobs <= 1 or len(configs) <= 1:
        out = []
        for i, cfg in enumerate(configs):
            out.append(run_cell(rec, cfg, split, span))
            if on_done:
                on_done(i)
        return out
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(jobs, len(configs))) as pool:
        futures = [pool.submit(run_cell, rec, cfg, split, span) for cfg in configs]
        out = []
        for i, fut in enumerate(futures):  # grid order, not completion order
            out.append(fut.result())
            if on_done:
                on_done(i)
        return out


class RayMissing(RuntimeError):
    pass


def _on_ray(
    rec: Source,
    configs: Sequence[Config],
    split: float,
    span: Span,
    address: str,
    on_done: Callable[[int], None] | None,
) -> list[CellResult]:
    try:
        import ray
    except ImportError:
        raise RayMissing("Ray is not installed: pip install 'liqhunt[ray]'") from None
    started = not ray.is_initialized()
    if started:
        if address == "local":  # a cluster of this machine only: every Ray service on loopback
            ray.init(
                include_dashboard=False, log_to_driver=False, configure_logging=False, _node_ip_address="127.0.0.1"
            )
        else:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        task = ray.remote(run_cell)
        rec_ref = ray.put(rec)
        refs = [task.remote(rec_ref, cfg, split, span) for cfg in configs]
        out = []
        for i, ref in enumerate(refs):
            out.append(ray.get(ref))
            if on_done:
                on_done(i)
        return out
    finally:
        if started:
            ray.shutdown()
