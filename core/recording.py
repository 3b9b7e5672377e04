"""The one recording format: JSON Lines, optionally gzip.

Each line: ``{"ts": <receive time, unix seconds>, "venue": "<venue>", "msg": <message>}``.
For exchange venues ``msg`` is the exact websocket message as received (a string);
for ``sim`` it is a normalised event object.
"""
from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

import orjson


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


def _open_text(path: str | Path, mode: str) -> IO[str]:
    p = str(path)
    if p.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(p, mode.replace("t", "") + "b"), encoding="utf-8")  # type: ignore[type-var]
    return open(p, mode, encoding="utf-8")


def read_recording(path: str | Path) -> Iterator[RecordedLine | BadLine]:
    """Yield every line, good or bad; a bad line is reported with its number, never raised."""
    with _open_text(path, "rt") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield BadLine(lineno, f"not JSON: {exc.msg if hasattr(exc, 'msg') else exc}")
                continue
            if not isinstance(obj, dict):
                yield BadLine(lineno, "line is not a JSON object")
                continue
            ts, venue, msg = obj.get("ts"), obj.get("venue"), obj.get("msg")
            if isinstance(ts, bool) or not isinstance(ts, (int, float)):
                yield BadLine(lineno, "missing or non-numeric 'ts'")
                continue
            if not isinstance(venue, str):
                yield BadLine(lineno, "missing 'venue'")
                continue
            if msg is None:
                yield BadLine(lineno, "missing 'msg'")
                continue
            yield RecordedLine(lineno, float(ts), venue, msg)


class RecordingWriter:
    """Appends lines; flushes on close. Use as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fh = _open_text(self.path, "wt")
        self.lines = 0

    def write(self, ts: float, venue: str, msg: object) -> None:
        self._fh.write(orjson.dumps({"ts": ts, "venue": venue, "msg": msg}).decode())
        self._fh.write("\n")
        self.lines += 1

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
