"""What blocks the console's one asyncio loop, in CPU time (independent of other processes).

Wall-clock latency on a shared 2-core machine mixes our own work with waiting for the CPU. The
thread's CPU time (`time.thread_time`) spent inside one loop callback is what this process made
every other frame wait for, whatever the machine is doing. `LoopProfile.install()` wraps
`asyncio.Handle._run` (every callback, task step and timer the loop runs) and a few named Textual
and console passes; `summary()` gives their distributions and the longest callbacks by name.
Bench-only: installed by `tui.bench.console_runner --profile-loop`, never by the console itself.
"""

from __future__ import annotations

import asyncio.events
import time
from collections import Counter

from tui.bench.timing import percentile

SLOW_MS = 3.0  # the render budget: no callback should hold the loop longer than this


def _callback_name(handle) -> str:
    cb = handle._callback
    task = getattr(cb, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", type(coro).__name__)
        return f"task {name}"
    return getattr(cb, "__qualname__", type(cb).__name__)


class LoopProfile:
    def __init__(self) -> None:
        self.callbacks: list[float] = []  # CPU ms per loop callback
        self.callbacks_wall: list[float] = []  # the same callbacks in wall-clock ms (includes being descheduled)
        self.slow: Counter[str] = Counter()  # callbacks over SLOW_MS, by name
        self.longest: list[tuple[float, str]] = []  # the 10 longest (CPU ms, name)
        self.passes: dict[str, list[float]] = {}  # CPU ms per named pass
        self.by_panes: dict[str, list[float]] = {}  # compositor pass CPU ms by the panes it redrew
        self.layout_requests: Counter[str] = Counter()  # refresh(layout=True) by widget and caller
        self._undo: list = []

    def install(self) -> LoopProfile:
        handle_cls = asyncio.events.Handle
        original = handle_cls._run
        clock = time.thread_time
        callbacks, slow, longest, wall_ms = self.callbacks, self.slow, self.longest, self.callbacks_wall
        wall = time.perf_counter

        def timed_run(handle) -> None:
            w0, t0 = wall(), clock()
            original(handle)
            ms = (clock() - t0) * 1000.0
            callbacks.append(ms)
            wall_ms.append((wall() - w0) * 1000.0)
            if ms > SLOW_MS:
                name = _callback_name(handle)
                slow[name] += 1
                if len(longest) < 10 or ms > longest[-1][0]:
                    longest.append((ms, name))
                    longest.sort(reverse=True)
                    del longest[10:]

        handle_cls._run = timed_run
        self._undo.append(lambda: setattr(handle_cls, "_run", original))
        return self

    def time_method(self, cls, name: str, label: str) -> None:
        """CPU time of each call of `cls.name` (sync methods only) under `label`."""
        original = getattr(cls, name)
        clock = time.thread_time
        out = self.passes.setdefault(label, [])

        def timed(*args, **kw):
            t0 = clock()
            try:
                return original(*args, **kw)
            finally:
                out.append((clock() - t0) * 1000.0)

        setattr(cls, name, timed)
        self._undo.append(lambda: setattr(cls, name, original))

    def time_render_lines(self) -> None:
        """CPU time of `Widget.render_lines` (what the compositor asks of each pane) by widget class."""
        from textual.widget import Widget

        original = Widget.render_lines
        clock = time.thread_time
        passes = self.passes

        def timed(widget, crop):
            t0 = clock()
            try:
                return original(widget, crop)
            finally:
                passes.setdefault(f"render_lines {type(widget).__name__}", []).append((clock() - t0) * 1000.0)

        Widget.render_lines = timed  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(Widget, "render_lines", original))

    def time_compositor_by_panes(self) -> None:
        """The compositor pass's CPU time by the set of panes it redrew (and whether it laid out)."""
        from textual.screen import Screen

        original = Screen._on_timer_update
        clock = time.thread_time
        by_panes = self.by_panes

        def timed(screen):
            names = sorted({type(w).__name__ for w in screen._dirty_widgets})
            key = ("layout + " if screen._layout_required else "") + (",".join(names) or "-")
            t0 = clock()
            try:
                return original(screen)
            finally:
                by_panes.setdefault(key, []).append((clock() - t0) * 1000.0)

        Screen._on_timer_update = timed  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(Screen, "_on_timer_update", original))

    def count_layout_requests(self) -> None:
        """Who asks for a layout pass: `Widget.refresh(layout=True)` by widget and calling function,
        and style updates (which can change sizes) by widget."""
        import sys

        from textual.widget import Widget

        original = Widget.refresh
        requests = self.layout_requests

        def counted(widget, *regions, repaint=True, layout=False, recompose=False):
            if layout:
                f, chain = sys._getframe(1), []
                while f is not None and len(chain) < 4:  # past Textual's own reactive plumbing
                    chain.append(f.f_code.co_qualname)
                    f = f.f_back
                requests[f"{widget.id or type(widget).__name__} <- {' <- '.join(chain)}"] += 1
            return original(widget, *regions, repaint=repaint, layout=layout, recompose=recompose)

        Widget.refresh = counted  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(Widget, "refresh", original))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def summary(self) -> dict:
        import gc
        from collections import Counter as _Counter

        # what a scheduled full collection would have to walk (frozen start-up objects excluded)
        tracked = gc.get_objects()
        kinds = _Counter(type(o).__name__ for o in tracked)
        return {
            "gc_tracked_objects": {"n": len(tracked), "frozen": gc.get_freeze_count(), "top": kinds.most_common(12)},
            "cpu_clock": "thread_time",
            "callbacks": _dist(self.callbacks),
            "callbacks_wall": _dist(self.callbacks_wall),
            "callbacks_over_3ms_by_name": dict(self.slow.most_common(12)),
            "longest_callbacks_ms": [(round(ms, 2), name) for ms, name in self.longest],
            "passes": {k: _dist(v) for k, v in self.passes.items()},
            "layout_requests": dict(self.layout_requests.most_common(15)),
            "compositor_by_panes": {
                k: _dist(v) for k, v in sorted(self.by_panes.items(), key=lambda kv: -sum(kv[1]))[:15]
            },
        }


def _dist(values: list[float]) -> dict:
    v = sorted(values)
    return {
        "n": len(v),
        "p50_ms": round(percentile(v, 50), 3),
        "p99_ms": round(percentile(v, 99), 3),
        "max_ms": round(v[-1], 2) if v else 0.0,
        "over_3ms": sum(1 for x in v if x > SLOW_MS),
        "total_s": round(sum(v) / 1000.0, 2),
    }


def install_console_profile() -> LoopProfile:
    """Every loop callback, plus the compositor pass, the layout pass and the console's repaint."""
    from textual._compositor import Compositor
    from textual.app import App
    from textual.screen import Screen

    from core.snapshot import SnapshotBuilder
    from tui.app import LiqHuntApp

    prof = LoopProfile().install()
    prof.time_method(Screen, "_on_timer_update", "compositor pass (Screen._on_timer_update)")
    prof.time_method(Screen, "_refresh_layout", "layout (Screen._refresh_layout)")
    prof.time_method(Compositor, "render_update", "compositor render_update (the changed regions)")
    prof.time_method(App, "_display", "terminal write (App._display: encode and write)")
    prof.time_method(LiqHuntApp, "refresh_panes", "console repaint (LiqHuntApp.refresh_panes)")
    prof.time_method(SnapshotBuilder, "build", "snapshot (SnapshotBuilder.build)")
    prof.time_method(SnapshotBuilder, "_markets", "market rows (SnapshotBuilder._markets)")
    prof.time_render_lines()
    prof.time_compositor_by_panes()
    prof.count_layout_requests()
    return prof
