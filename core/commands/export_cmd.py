"""`liqhunt export INPUT... --parquet OUT`: recordings' normalised events as a Parquet dataset.

The dataset (layout in core/parquet_io.py) is read back by every reading command, faster than
JSON Lines, and by DuckDB or Polars directly for research queries.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from core.commands._inputs import add_input_arguments, open_inputs, print_bad_lines
from core.progress import Progress

NAME = "export"
HELP = "write recordings' normalised events as a Parquet dataset (kind/venue/date partitions, zstd)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument(
        "--parquet", required=True, type=Path, metavar="OUT", help="dataset folder to write (created if missing)"
    )


def run(args: argparse.Namespace) -> int:
    rec = open_inputs(NAME, args)
    if isinstance(rec, int):
        return rec
    out: Path = args.parquet
    if out.exists() and not out.is_dir():
        print(f"export: {out} exists and is not a folder", file=sys.stderr)
        return 2
    target = out.resolve()
    if any(target == p.resolve().parent or target in p.resolve().parents for p in rec.paths):
        print(f"export: {out} holds some of the inputs; write the dataset to another folder", file=sys.stderr)
        return 2
    try:
        from core.parquet_io import export_parquet
    except RuntimeError as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    progress = Progress(NAME)
    rec.progress = progress
    lines = rec.iter_lines()
    try:
        with progress:
            exp = export_parquet(lines, out, lambda: rec.instruments)
    except OSError as exc:
        print(f"export: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        lines.close()
    took = time.perf_counter() - started
    size = sum(p.stat().st_size for p in exp.files)
    print(
        f"export: {exp.rows:,} events from {rec.stats.lines:,} lines -> {len(exp.files)} files, "
        f"{size / 1e6:.1f} MB in {out} ({took:.1f} s)",
        file=sys.stderr,
    )
    print_bad_lines(NAME, rec.stats)
    return 0
