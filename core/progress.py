"""Progress of the long batch commands: a rich progress bar on stderr when it is a terminal, and
nothing at all otherwise (pipes, files, tests), so output that is saved stays clean.

Updates are throttled by count, so the hot loop pays an integer compare per line; rich (already
installed with textual) is imported only when a bar is actually drawn.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

EVERY = 4096  # lines between updates


class Progress:
    """`with Progress("backtest", unit="lines") as p: ... p.tick(ts)` — `total` draws a bar with an end."""

    def __init__(
        self,
        label: str,
        total: float | None = None,
        unit: str = "lines",
        stream: TextIO | None = None,
        force: bool = False,
    ) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = force or _is_terminal(self.stream)
        self.count = 0
        self._next = EVERY
        self._bar: Any = None
        self._task: Any = None
        self._t0 = time.monotonic()  # display only: rates shown to a person, never used in results

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            console = Console(file=self.stream, force_terminal=True)
            self._bar = Bar(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[note]}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total, note="")
        return self

    def tick(self, ts: float | None = None, n: int = 1) -> None:
        self.count += n
        if self.count >= self._next:
            self._next = self.count + EVERY
            self._draw(ts)

    def set(self, completed: float, note: str = "") -> None:
        """For a known total (simulated seconds): move the bar to `completed`, at most every EVERY calls."""
        self.count += 1
        if self.count >= self._next and self._bar is not None:
            self._next = self.count + EVERY
            self._bar.update(self._task, completed=completed, note=note)

    def step(self, n: int = 1, note: str = "") -> None:
        """For coarse units (cells, files): draw every step."""
        self.count += n
        self._draw(None, note)

    def _draw(self, ts: float | None, note: str = "") -> None:
        if self._bar is None:
            return
        if ts is not None:
            rate = self.count / max(1e-9, time.monotonic() - self._t0)
            note = (
                f"{self.unit} · at {time.strftime('%Y-%m-%d %H:%M', time.gmtime(ts))} UTC · {rate:,.0f} {self.unit}/s"
            )
        self._bar.update(self._task, completed=self.count, note=note)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
