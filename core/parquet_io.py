"""Normalised events as a Parquet dataset, and back.

Layout (hive partitions, so DuckDB, Polars and pyarrow read it as a table)::

    OUT/kind=mark/venue=binance/date=2026-11-30/part-14.parquet
    OUT/instruments.json

One file per kind, venue and UTC hour (a busy hour is split into `_1`, `_2` … parts), zstd,
rows sorted by market and receive time, so a per-market query reads contiguous pages. The
columns are the event's own fields (kind and venue live in the path) plus `seq`, the event's
position in the exported stream: reading merges the files back by (receive time, seq), which
is exactly the order the recording had, so a backtest over the dataset is the backtest over
the recording. pyarrow is imported only here, and only when Parquet is used.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, fields
from pathlib import Path

import orjson

from core.event_checks import event_problem
from core.events import EVENT_TYPES, Event
from core.instruments import Instrument
from core.replay import DecodeStats
from core.validation import EventValidator

INSTRUMENTS_FILE = "instruments.json"
ROWS_PER_FILE = 1_000_000  # a bigger hour is split into parts: export memory stays bounded
LATE_S = 5.0  # an hour is written once the stream is this far past its end (receive times may step back 2 s)
_PATH_COLUMNS = ("kind", "venue")  # in the path, not in the file


def _pa():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a dependency; a broken install says so plainly
        raise RuntimeError("Parquet needs pyarrow: pip install 'liqhunt[parquet]'") from None
    return pa, pq


def _schema(kind: str):
    pa, _ = _pa()
    cols = [pa.field("seq", pa.int64(), nullable=False)]
    for f in fields(EVENT_TYPES[kind]):
        if f.name in _PATH_COLUMNS:
            continue
        typ = pa.string() if f.name in ("market", "symbol", "side", "aggressor") else pa.float64()
        cols.append(pa.field(f.name, typ))
    return pa.schema(cols)


class ParquetExport:
    """Collects events by (kind, venue, hour) and writes each hour's files once the stream has passed it."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.files: list[Path] = []
        self.rows = 0
        self._buffers: dict[tuple[str, str, int], list[dict]] = {}
        self._parts: dict[tuple[str, str, int], int] = {}
        self._seq = 0
        self._instruments: dict[tuple[str, str], dict] = {}

    def add_instruments(self, instruments: list[Instrument]) -> None:
        for ins in instruments:
            self._instruments.setdefault((ins.venue, ins.market), asdict(ins))

    def add(self, ev: Event) -> None:
        hour = int(ev.ts_recv // 3600)
        key = (ev.kind, ev.venue, hour)
        row = {f.name: getattr(ev, f.name) for f in fields(ev) if f.name not in _PATH_COLUMNS}
        row["seq"] = self._seq
        self._seq += 1
        buf = self._buffers.setdefault(key, [])
        buf.append(row)
        if len(buf) >= ROWS_PER_FILE:
            self._write(key)

    def passed(self, ts: float) -> None:
        """The stream has reached `ts`: every hour that ended before it (with margin) is final."""
        for key in [k for k in self._buffers if (k[2] + 1) * 3600 + LATE_S <= ts]:
            self._write(key)

    def close(self) -> None:
        for key in sorted(self._buffers):
            self._write(key)
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / INSTRUMENTS_FILE
        known = {(d["venue"], d["market"]): d for d in _read_instruments(path)} if path.exists() else {}
        known.update(self._instruments)
        path.write_bytes(orjson.dumps(list(known.values()), option=orjson.OPT_INDENT_2))

    def _write(self, key: tuple[str, str, int]) -> None:
        rows = self._buffers.pop(key, None)
        if not rows:
            return
        pa, pq = _pa()
        kind, venue, hour = key
        rows.sort(key=lambda r: (r["market"], r["ts_recv"], r["seq"]))
        schema = _schema(kind)
        table = pa.Table.from_pydict({name: [r[name] for r in rows] for name in schema.names}, schema=schema)
        part = self._parts.get(key, 0)
        self._parts[key] = part + 1
        day = time.strftime("%Y-%m-%d", time.gmtime(hour * 3600))
        hh = time.strftime("%H", time.gmtime(hour * 3600))
        folder = self.out / f"kind={kind}" / f"venue={venue}" / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (f"part-{hh}.parquet" if part == 0 else f"part-{hh}_{part}.parquet")
        pq.write_table(table, path, compression="zstd", row_group_size=128 * 1024)
        self.files.append(path)
        self.rows += len(rows)


def export_parquet(
    lines: Iterator[tuple[float, list[Event]]],
    out: Path,
    instruments: Callable[[], list[Instrument]],
    on_line: Callable[[float], None] | None = None,
) -> ParquetExport:
    """Writes every event of the stream; `instruments()` gives those recorded so far."""
    exp = ParquetExport(out)
    given = 0
    for ts, events in lines:
        known = instruments()
        if len(known) != given:
            exp.add_instruments(known[given:])
            given = len(known)
        exp.passed(ts)
        for ev in events:
            exp.add(ev)
        if on_line is not None:
            on_line(ts)
    exp.add_instruments(instruments()[given:])
    exp.close()
    return exp


def _read_instruments(path: Path) -> list[dict]:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return []
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def dataset_root(path: Path) -> Path | None:
    """The folder above `kind=…/venue=…/date=…/part.parquet`, when the file sits in such a layout."""
    parts = path.parent.parts
    if len(parts) >= 3 and parts[-3].startswith("kind=") and parts[-2].startswith("venue="):
        return Path(*parts[:-3])
    return None


def dataset_instruments(path: Path) -> list[Instrument]:
    root = dataset_root(path)
    if root is None or not (root / INSTRUMENTS_FILE).exists():
        return []
    out = []
    for d in _read_instruments(root / INSTRUMENTS_FILE):
        try:
            out.append(Instrument(**d))
        except TypeError:
            continue
    return out


def _path_value(path: Path, name: str) -> str | None:
    for part in path.parent.parts:
        if part.startswith(name + "="):
            return part.split("=", 1)[1]
    return None


def first_time(path: Path) -> float | None:
    """The earliest receive time in the file, from its row-group statistics (no data read)."""
    _, pq = _pa()
    try:
        meta = pq.ParquetFile(path).metadata
        col = meta.schema.names.index("ts_recv")
        mins = [
            meta.row_group(i).column(col).statistics.min
            for i in range(meta.num_row_groups)
            if meta.row_group(i).column(col).statistics is not None
        ]
    except (OSError, ValueError, Exception):  # noqa: BLE001 - an unreadable file is reported when it is read
        return None
    return min(mins) if mins else None


def parquet_lines(path: Path, stats: DecodeStats, where: str = "") -> Iterator[tuple[float, int, list[Event]]]:
    """(receive ts, seq, [event]) in (ts, seq) order. One hour's file is read at a time."""
    _, pq = _pa()
    kind, venue = _path_value(path, "kind") or "", _path_value(path, "venue")
    cls = EVENT_TYPES.get(kind)
    if cls is None or not venue:
        stats.add_bad(0, f"{path.name}: not in a kind=…/venue=… folder written by `liqhunt export`", where, final=True)
        return
    try:
        table = pq.read_table(path, use_threads=False)  # a small file: threads cost more than they give
        table = table.sort_by([("ts_recv", "ascending"), ("seq", "ascending")])
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a damaged file
        stats.add_bad(0, f"{path.name}: unreadable Parquet ({type(exc).__name__}: {exc})", where, final=True)
        return
    names = [f.name for f in fields(cls)]
    missing = [n for n in names if n not in _PATH_COLUMNS and n not in table.column_names and not _has_default(cls, n)]
    if missing or "seq" not in table.column_names:
        stats.add_bad(0, f"{path.name}: missing columns {', '.join(missing or ['seq'])}", where, final=True)
        return
    defaults = {f.name: f.default for f in fields(cls)}
    validator = EventValidator()  # the engine's boundary, in this file's (time) order
    for batch in table.to_batches(max_chunksize=65_536):
        n = batch.num_rows
        cols = batch.to_pydict()
        seqs = cols["seq"]
        # the event's fields in order, positionally: venue from the path, a missing optional column its default
        ordered = [
            itertools.repeat(venue, n)
            if name == "venue"
            else cols[name]
            if name in cols
            else itertools.repeat(defaults[name], n)
            for name in names
        ]
        for seq, vals in zip(seqs, zip(*ordered, strict=False), strict=False):  # repeat() columns are endless
            stats.lines += 1
            try:
                ev = cls(*vals)
            except TypeError as exc:
                stats.add_bad(seq, f"row seq {seq}: {exc}", where)
                continue
            problem = event_problem(ev) or validator.check(ev, ev.ts_recv)
            if problem:
                stats.add_bad(seq, f"row seq {seq}: {problem}", where)
                continue
            stats.events += 1
            stats.by_kind[kind] = stats.by_kind.get(kind, 0) + 1
            yield ev.ts_recv, seq, [ev]


def _has_default(cls: type, name: str) -> bool:
    from dataclasses import MISSING

    f = next(f for f in fields(cls) if f.name == name)
    return f.default is not MISSING
