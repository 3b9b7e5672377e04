"""Recordings read as one stream: files, folders and globs, merged in receive-time order.

Nothing is held in memory but one lookahead line per open file, so a month of data replays in
the memory of an hour. A file is opened only when the merged stream reaches its first line, so
a folder of hourly files keeps about one file per venue open at a time. Equal receive times keep
a fixed order (file order, then line order), so every pass over the same inputs is identical.

Each call to `iter_lines` is a fresh pass with fresh statistics; the object itself holds only
paths and the time window, so it can be sent to another process.
"""

from __future__ import annotations

import glob
import heapq
import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.events import Event
from core.instruments import Instrument
from core.replay import DecodeStats, RecordingDecoder, iter_recording
from core.tardis import is_tardis_file, tardis_lines
from core.validation import EventValidator

RECORDING_SUFFIXES = (".jsonl", ".jsonl.gz", ".csv", ".csv.gz", ".parquet")

Line = tuple[float, list[Event]]


class InputError(ValueError):
    """The inputs named on the command line cannot be read as recordings; the message says why."""


def _is_recording(p: Path) -> bool:
    return p.is_file() and p.name.endswith(RECORDING_SUFFIXES)


def resolve_inputs(specs: list[str] | str) -> list[Path]:
    """Files named directly, every recording under a folder, every match of a glob; sorted, no duplicates."""
    if isinstance(specs, (str, os.PathLike)):
        specs = [str(specs)]
    out: list[Path] = []
    for spec in specs:
        spec = str(spec)
        p = Path(spec)
        if any(c in spec for c in "*?[") and not p.exists():
            found = sorted(Path(m) for m in glob.glob(spec, recursive=True) if _is_recording(Path(m)))
            if not found:
                raise InputError(f"no recordings match {spec!r}")
            out += found
        elif p.is_dir():
            found = sorted(q for q in p.rglob("*") if _is_recording(q))
            if not found:
                raise InputError(f"no recordings (.jsonl, .jsonl.gz, .csv.gz, .parquet) under {spec}")
            out += found
        elif p.is_file():
            out.append(p)
        elif p.exists():
            raise InputError(f"{spec} is not a regular file")
        else:
            raise InputError(f"no such file or folder: {spec}")
    seen: set[Path] = set()
    return [q for q in out if not (q.resolve() in seen or seen.add(q.resolve()))]  # type: ignore[func-returns-value]


def file_lines(
    path: Path, stats: DecodeStats, decoder: RecordingDecoder, where: str = ""
) -> Iterator[tuple[float, int, list[Event]]]:
    """One file's (receive ts, order within equal times, events), whatever its format: the order is
    the export sequence for Parquet (so kinds split into files merge back exactly), 0 otherwise."""
    if path.name.endswith(".parquet"):
        from core import parquet_io

        _add_instruments(decoder, parquet_io.dataset_instruments(path))
        return parquet_io.parquet_lines(path, stats, where)
    if is_tardis_file(path):
        return ((ts, 0, events) for ts, events in tardis_lines(path, stats, where))
    if path.name.endswith((".csv", ".csv.gz")):  # a CSV of another kind (tardis trades, book…): one line, not millions
        stats.add_bad(
            1,
            f"{path.name}: not a recording, nor a tardis.dev liquidations or derivative_ticker CSV; skipped",
            where,
            final=True,
        )
        return iter(())
    # one validator per file: its time checks follow this file's order (see iter_recording)
    return ((ts, 0, events) for ts, events in iter_recording(path, stats, decoder, where, EventValidator()))


def _add_instruments(decoder: RecordingDecoder, instruments: list[Instrument]) -> None:
    known = {(i.venue, i.market) for i in decoder.instruments}
    decoder.instruments.extend(i for i in instruments if (i.venue, i.market) not in known)


def first_time(path: Path) -> float | None:
    """The receive time of the file's first good line (None if it has none), without decoding events."""
    if path.name.endswith(".parquet"):
        from core import parquet_io

        return parquet_io.first_time(path)
    if is_tardis_file(path):
        return next((ts for ts, _ in tardis_lines(path, DecodeStats())), None)
    from core.recording import RecordedLine, read_recording

    for item in read_recording(path):
        if isinstance(item, RecordedLine):
            return item.ts
    return None


@dataclass
class RecordingSet:
    """One or more recordings as one receive-time-ordered stream, optionally cut to [start, end)."""

    paths: list[Path]
    start: float | None = None  # --from: lines before this are skipped
    end: float | None = None  # --to: reading stops at the first line at or after this
    label: str = ""
    stats: DecodeStats = field(default_factory=DecodeStats)  # of the latest pass
    instruments: list[Instrument] = field(default_factory=list)  # of the latest pass
    most_open: int = 0  # the most files open at once in the latest pass
    progress: object = field(default=None, repr=False, compare=False)  # a core.progress.Progress, ticked per line

    def __getstate__(self) -> dict[str, object]:  # sent to workers: paths and window only, never a drawn progress bar
        state = dict(self.__dict__)
        state["progress"] = None
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    @classmethod
    def open(cls, specs: list[str] | str, start: float | None = None, end: float | None = None) -> RecordingSet:
        paths = resolve_inputs(specs)
        if start is not None and end is not None and end <= start:
            raise InputError("--to must be later than --from")
        names = [str(s) for s in ([specs] if isinstance(specs, (str, os.PathLike)) else specs)]
        return cls(paths, start, end, label=", ".join(names))

    @property
    def file(self) -> str:
        return self.label or ", ".join(str(p) for p in self.paths)

    def iter_lines(
        self, on_instruments: Callable[[list[Instrument]], None] | None = None
    ) -> Generator[Line, None, None]:
        """A fresh pass: every good line of every file, in receive-time order. `on_instruments` is called
        with newly recorded instruments before the events that need them."""
        self.stats = stats = DecodeStats()
        decoder = RecordingDecoder()
        self.instruments = decoder.instruments
        given = 0
        progress = self.progress
        for item in self._merged(stats, decoder):
            if on_instruments is not None and len(decoder.instruments) != given:
                on_instruments(decoder.instruments[given:])
                given = len(decoder.instruments)
            if progress is not None:
                progress.tick(item[0])  # type: ignore[attr-defined]
            yield item

    def _windowed(
        self, path: Path, stats: DecodeStats, decoder: RecordingDecoder, where: str
    ) -> Iterator[tuple[float, int, list[Event]]]:
        try:
            for ts, order, events in file_lines(path, stats, decoder, where):
                if self.start is not None and ts < self.start:
                    continue
                if self.end is not None and ts >= self.end:
                    return
                yield ts, order, events
        except OSError as exc:  # unreadable mid-way (a disk error, a file removed under us): say so, go on
            stats.add_bad(0, f"cannot read {path.name}: {exc.strerror or exc}", where, final=True)
        except RuntimeError as exc:  # a format whose library is not installed (pyarrow for Parquet)
            stats.add_bad(0, f"cannot read {path.name}: {exc}", where, final=True)

    def _merged(self, stats: DecodeStats, decoder: RecordingDecoder) -> Iterator[Line]:
        if len(self.paths) == 1:
            for ts, _, events in self._windowed(self.paths[0], stats, decoder, ""):
                yield ts, events
            return
        # open each file only when the stream reaches its first line: few files open at once
        pending = sorted(
            ((first_time(p), i, p) for i, p in enumerate(self.paths)),
            key=lambda x: (float("-inf") if x[0] is None else x[0], x[1]),
        )
        pending.reverse()  # pop from the end = earliest first
        heap: list[tuple[float, int, int, int, list[Event], Iterator[tuple[float, int, list[Event]]]]] = []
        seq = 0
        self.most_open = 0

        def activate(i: int, p: Path) -> None:
            nonlocal seq
            it = self._windowed(p, stats, decoder, p.name)
            nxt = next(it, None)
            if nxt is not None:
                heapq.heappush(heap, (nxt[0], nxt[1], i, seq, nxt[2], it))
                seq += 1

        try:
            while pending or heap:
                while pending and (not heap or pending[-1][0] is None or pending[-1][0] <= heap[0][0]):
                    _, i, p = pending.pop()
                    activate(i, p)
                self.most_open = max(self.most_open, len(heap))
                if not heap:
                    continue
                ts, _, i, _, events, it = heapq.heappop(heap)
                yield ts, events
                nxt = next(it, None)
                if nxt is not None:
                    heapq.heappush(heap, (nxt[0], nxt[1], i, seq, nxt[2], it))
                    seq += 1
        finally:
            for entry in heap:
                entry[5].close()  # type: ignore[attr-defined]
