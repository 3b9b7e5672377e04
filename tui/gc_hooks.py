"""The console process's collector policy (core/gc_policy.py), attached to an app by the
composition roots (`demo`, `replay`, `run`, the bench's console runner): thresholds installed
now, start-up frozen once the first frame is drawn, full collections from a 1 s timer when due."""

from __future__ import annotations

from core.gc_policy import EventLoopCollector, freeze_after_startup


def tune_collector(app) -> EventLoopCollector:
    collector = EventLoopCollector().install()
    app.mount_hooks.append(lambda: app.call_after_refresh(freeze_after_startup))
    app.mount_hooks.append(lambda: app.set_interval(1.0, collector.maybe_collect))
    return collector
