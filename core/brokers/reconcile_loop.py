"""ReconcileLoop: the periodic reconciliation of the engine with a live broker's venue.

Started by the composition root (`liqhunt run`) after the start-up reconciliation, beside the
broker rather than inside it, so the broker never holds the engine. A pass runs every
`interval_s` (`broker.settings.reconcile_interval_s` by default) and at once when the broker sets
`reconcile_due` (its private stream saw a position change we did not make). Each pass first polls
the exchange-side exits under the broker's `watch_lock`: a venue stop that fired is then reported
with its own fill price before the reconciliation could take the flat position for one closed
behind our back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.brokers.live_errors import NotReady, VenueError
from core.brokers.reconcile import ReconcileReport, reconcile, startup_reconcile

if TYPE_CHECKING:
    from core.brokers.live_base import LiveBroker


class ReconcileLoop:
    def __init__(
        self,
        engine,
        broker: LiveBroker,
        interval_s: float | None = None,
        on_report: Callable[[ReconcileReport], None] | None = None,
    ) -> None:
        self.engine = engine
        self.broker = broker
        self.interval_s = broker.settings.reconcile_interval_s if interval_s is None else interval_s
        self.on_report = on_report
        self.passes = 0
        self._task: asyncio.Task | None = None

    @classmethod
    async def after_startup(
        cls,
        engine,
        broker: LiveBroker,
        on_report: Callable[[ReconcileReport], None] | None = None,
    ) -> tuple[ReconcileLoop, ReconcileReport]:
        """What the composition root calls once the broker has started and before trading: the
        start-up reconciliation (venue exits re-placed under this run's ids), then the loop,
        running, with `on_report` told of every periodic pass. Stop it with `stop()` before
        closing the broker."""
        report = await startup_reconcile(engine, broker)
        loop = cls(engine, broker, on_report=on_report)
        loop.start()
        return loop, report

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="reconcile-loop")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def run_once(self) -> ReconcileReport:
        """One pass: poll the venue exits, then compare positions and fix (the venue wins)."""
        async with self.broker.watch_lock:
            await self.broker.check_exits()
            report = await reconcile(self.engine, self.broker)
        self.passes += 1
        if self.on_report is not None:
            self.on_report(report)
        return report

    async def _run(self) -> None:
        due = self.broker.reconcile_due
        while True:
            try:
                await asyncio.wait_for(due.wait(), timeout=self.interval_s)
            except TimeoutError:
                pass  # the periodic pass
            due.clear()
            try:
                await self.run_once()
            except (VenueError, NotReady) as e:
                self.broker.alert(f"reconcile: {e}")
            except Exception as e:  # noqa: BLE001 - reconciliation guards open positions: say so, keep going
                self.broker.alert(f"reconcile: internal error {type(e).__name__}: {e}")
