"""The one recording format: JSON Lines, optionally gzip.

Each line: ``{"ts": <receive time, unix seconds>, "venue": "<venue>", "msg": <message>}``.
For exchange venues ``msg`` is the exact websocket message as received (a string);
for ``sim`` it is a normalised event object.

Reading never raises on content: a recording is read to its last good byte. Any line that is
not a well-formed record (bad bytes, bad JSON, wrong types) is a `BadLine` with its number; a
gzip cut short (what a killed `record` leaves) yields every line before the cut, then one
`BadLine` saying where it broke. Receive times are guarded (`ClockGuard`): a line from far
before the previous one, or an unconfirmed leap far ahead (a stray year-2100 stamp), is a
`BadLine` too, so one bad stamp can never move the replay clock.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson

CHUNK_BYTES = 1 << 16
MAX_LINE_BYTES = 16 << 20  # a longer "line" is garbage (or a missing newline): skipped, memory stays bounded
MAX_TS = 4_102_444_800.0  # 2100-01-01: no receive time of a real recording is later
BACKSTEP_TOLERANCE_S = 2.0  # a live capture's wall clock may step back a little (NTP); the replay clock just holds
LEAP_S = 300.0  # a jump further ahead than this must be confirmed by the lines after it
CONFIRM_LINES = 3  # ... this many lines that carry on from the new time
MAX_TAIL_LEAP_S = 86_400.0  # an unconfirmed leap at the very end of a file is kept only if smaller than this
MAX_HELD = 1000  # lines held while a leap waits for confirmation; beyond that it is rejected


@dataclass(frozen=True, slots=True)
class RecordedLine:
    lineno: int
    ts: float
    venue: str
    msg: object  # str (raw venue frame) or dict (sim event)


@dataclass(frozen=True, slots=True)
class BadLine:
    lineno: int
    reason: str
    final: bool = False  # the file cannot be read past this point


def _open_text(path: str | Path, mode: str) -> IO[str]:
    p = str(path)
    if p.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(p, mode.replace("t", "") + "b"), encoding="utf-8")  # type: ignore[type-var]
    return open(p, mode, encoding="utf-8")


def _chunks(path: str | Path) -> Iterator[bytes]:
    """The file's (decompressed) bytes in chunks; a broken gzip raises `_Truncated` after its last good byte."""
    p = str(path)
    if not p.endswith(".gz"):
        with open(p, "rb") as fh:
            while chunk := fh.read(CHUNK_BYTES):
                yield chunk
        return
    with gzip.open(p, "rb") as gz:
        total = 0
        while True:
            try:
                chunk = gz.read1(CHUNK_BYTES)
            except EOFError:
                raise _Truncated(
                    f"gzip stream ends early (cut short after {total:,} bytes, e.g. a killed recorder)"
                ) from None
            except (gzip.BadGzipFile, zlib.error) as exc:
                raise _Truncated(f"gzip data is corrupt after {total:,} bytes ({exc})") from None
            if not chunk:
                return
            total += len(chunk)
            yield chunk


class _Truncated(Exception):
    pass


def read_lines(path: str | Path) -> Iterator[tuple[int, bytes] | BadLine]:
    """(line number, bytes) for every non-blank line; an over-long line or a broken end is a `BadLine`."""
    lineno = 0
    buf = b""
    skipping = False  # inside an over-long line, discarding until its newline
    try:
        for chunk in _chunks(path):
            parts = (buf + chunk).split(b"\n")
            buf = parts.pop()
            for part in parts:
                lineno += 1
                if skipping:
                    skipping = False
                    yield BadLine(lineno, f"line longer than {MAX_LINE_BYTES >> 20} MB")
                elif part.strip():
                    yield lineno, part
            if len(buf) > MAX_LINE_BYTES:
                buf, skipping = b"", True
    except _Truncated as exc:
        lost = " (its partial last line is dropped)" if buf.strip() or skipping else ""
        yield BadLine(lineno + 1, f"{exc}{lost}; nothing after this point can be read", final=True)
        return
    if skipping:
        yield BadLine(lineno + 1, f"line longer than {MAX_LINE_BYTES >> 20} MB")
    elif buf.strip():
        yield lineno + 1, buf


def parse_line(lineno: int, raw: bytes) -> RecordedLine | BadLine:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return BadLine(lineno, f"not JSON: {exc}")
    if not isinstance(obj, dict):
        return BadLine(lineno, "line is not a JSON object")
    ts, venue, msg = obj.get("ts"), obj.get("venue"), obj.get("msg")
    if isinstance(ts, bool) or not isinstance(ts, (int, float)):
        return BadLine(lineno, f"'ts' must be a number, got {_show(ts)}")
    ts = float(ts)
    if not 0 <= ts < MAX_TS:
        return BadLine(lineno, f"'ts' {ts!r} is not a receive time between 1970 and 2100")
    if not isinstance(venue, str) or not venue:
        return BadLine(lineno, f"'venue' must be a non-empty string, got {_show(venue)}")
    if msg is None:
        return BadLine(lineno, "missing 'msg'")
    return RecordedLine(lineno, ts, venue, msg)


def _show(v: object) -> str:
    text = "nothing" if v is None else repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


class ClockGuard:
    """Keeps a file's receive times in order without trusting any single line.

    A line more than `BACKSTEP_TOLERANCE_S` before the last accepted one is out of order. A line
    more than `LEAP_S` ahead is held until `CONFIRM_LINES` further lines carry on from its time (a
    real gap in the data); a line that instead continues from the old time shows the leap was a bad
    stamp, and every held line is rejected. Items pass through in file order."""

    def __init__(self) -> None:
        self.last: float | None = None
        self._last_lineno = 0
        self._held: deque[RecordedLine] = deque()
        self._out: deque[RecordedLine | BadLine] = deque()

    def feed(self, item: RecordedLine | BadLine) -> Iterator[RecordedLine | BadLine]:
        if isinstance(item, BadLine):
            if self._held:  # keep file order: a bad line after held ones waits its turn
                self._held.append(item)  # type: ignore[arg-type]
            else:
                yield item
            return
        if self._held:
            self._held.append(item)
            self._settle(at_end=False)
        else:
            self._accept_or_hold(item)
        while self._out:
            yield self._out.popleft()

    def finish(self) -> Iterator[RecordedLine | BadLine]:
        self._settle(at_end=True)
        while self._out:
            yield self._out.popleft()

    def _accept_or_hold(self, line: RecordedLine) -> None:
        if self.last is None:
            self._accept(line)
        elif line.ts < self.last - BACKSTEP_TOLERANCE_S:
            self._out.append(
                BadLine(
                    line.lineno, f"out of order: {self.last - line.ts:,.3f} s before line {self._last_lineno}; skipped"
                )
            )
        elif line.ts > self.last + LEAP_S:
            self._held.append(line)
        else:
            self._accept(line)

    def _accept(self, line: RecordedLine) -> None:
        self._out.append(line)
        if self.last is None or line.ts > self.last:
            self.last, self._last_lineno = line.ts, line.lineno

    def _settle(self, at_end: bool) -> None:
        """Decide about the held leap when the lines after it say enough (or the file ends)."""
        while self._held:
            leap = self._held[0]
            last = self.last if self.last is not None else leap.ts
            after = [x for x in list(self._held)[1:] if isinstance(x, RecordedLine)]
            if any(last - BACKSTEP_TOLERANCE_S <= x.ts < leap.ts - BACKSTEP_TOLERANCE_S for x in after):
                self._reject_leap()  # the data went on from the old time: the leap was a bad stamp
            elif sum(x.ts >= leap.ts - BACKSTEP_TOLERANCE_S for x in after) >= CONFIRM_LINES:
                self._held.popleft()  # a real gap in the data
                self._accept(leap)
                self._replay_held()
            elif at_end:
                if leap.ts - last <= MAX_TAIL_LEAP_S:
                    self._held.popleft()
                    self._accept(leap)
                    self._replay_held()
                else:
                    self._reject_leap()
            elif len(self._held) > MAX_HELD:
                self._reject_leap()  # nothing confirms it within reach
            else:
                return

    def _reject_leap(self) -> None:
        leap = self._held.popleft()
        gap = leap.ts - (self.last if self.last is not None else leap.ts)
        self._out.append(
            BadLine(
                leap.lineno,
                f"far-future time: {gap:,.0f} s ahead of line {self._last_lineno} and not "
                "continued by the lines after it; skipped",
            )
        )
        self._replay_held()

    def _replay_held(self) -> None:
        """Run the rest of the held lines through the rules again, from the new last time."""
        rest, self._held = list(self._held), deque()
        for x in rest:
            if self._held:
                self._held.append(x)
            elif isinstance(x, BadLine):
                self._out.append(x)
            else:
                self._accept_or_hold(x)


def read_recording(path: str | Path, guard_clock: bool = True) -> Iterator[RecordedLine | BadLine]:
    """Yield every line, good or bad, in file order; a bad line is reported with its number, never raised."""
    guard = ClockGuard() if guard_clock else None
    for item in read_lines(path):
        rec = item if isinstance(item, BadLine) else parse_line(*item)
        if guard is None:
            yield rec
        else:
            yield from guard.feed(rec)
    if guard is not None:
        yield from guard.finish()


class RecordingWriter:
    """Appends lines; flushes on close. Use as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fh = _open_text(self.path, "wt")
        self.lines = 0
        self.bytes = 0  # uncompressed

    def write(self, ts: float, venue: str, msg: object) -> None:
        text = orjson.dumps({"ts": ts, "venue": venue, "msg": msg}).decode()
        self._fh.write(text)
        self._fh.write("\n")
        self.lines += 1
        self.bytes += len(text) + 1

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RotatingWriter:
    """Recordings in a folder by venue and UTC day, one file per venue per hour (or per `max_bytes`):
    ``DIR/binance/2026-11-30/binance-20261130T14.jsonl.gz``. A file is closed cleanly the moment
    its hour ends, so a crash can only cut the open hour's tail. Each new file starts with the
    venue's instrument list again, so any one file replays on its own."""

    def __init__(self, root: str | Path, gzip_files: bool = True, max_bytes: int | None = None) -> None:
        self.root = Path(root)
        self.suffix = ".jsonl.gz" if gzip_files else ".jsonl"
        self.max_bytes = max_bytes
        self.lines = 0
        self.closed_files: list[Path] = []
        self._open: dict[str, tuple[str, RecordingWriter, int]] = {}  # venue -> (hour key, writer, bytes)
        self._parts: dict[tuple[str, str], int] = {}
        self._instruments: dict[str, object] = {}

    def _path(self, venue: str, hour: str, part: int) -> Path:
        day = f"{hour[:4]}-{hour[4:6]}-{hour[6:8]}"
        name = f"{venue}-{hour}" + (f"_{part:03d}" if part else "")  # "_" sorts after ".": parts stay in order
        return self.root / venue / day / f"{name}{self.suffix}"

    def write(self, ts: float, venue: str, msg: object) -> None:
        import time as _time  # formatting only: the time itself is the line's receive time

        hour = _time.strftime("%Y%m%dT%H", _time.gmtime(ts))
        current = self._open.get(venue)
        if isinstance(msg, dict) and "instruments" in msg:
            self._instruments[venue] = msg
        if current is not None and (
            current[0] != hour or (self.max_bytes is not None and current[2] >= self.max_bytes)
        ):
            self._close(venue)
            current = None
        if current is None:
            part = self._parts.get((venue, hour), -1) + 1
            self._parts[(venue, hour)] = part
            path = self._path(venue, hour, part)
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = RecordingWriter(path)
            current = (hour, writer, 0)
            known = self._instruments.get(venue)
            if known is not None and known is not msg:
                writer.write(ts, venue, known)
        hour_key, writer, size = current
        before = writer.bytes
        writer.write(ts, venue, msg)
        self._open[venue] = (hour_key, writer, size + writer.bytes - before)
        self.lines += 1

    def _close(self, venue: str) -> None:
        _, writer, _ = self._open.pop(venue)
        writer.close()
        self.closed_files.append(writer.path)

    def flush(self) -> None:
        for _, writer, _ in self._open.values():
            writer.flush()

    def close(self) -> None:
        for venue in list(self._open):
            self._close(venue)

    def __enter__(self) -> RotatingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
