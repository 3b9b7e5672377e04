"""Research at scale: streaming backtests, Parquet against JSON Lines, parallel sweeps.

* backtest over 1× and 10× a recording (10 consecutive copies, each shifted by the recording's
  span, as 10 files in a folder): events/s and the child process's peak RSS (`VmHWM`). Reading
  streams, so the peak should stay flat while the data grows tenfold.
* the same recording as JSON Lines, gzip JSON Lines and an exported Parquet dataset: size on
  disk and one full read pass (decode + checks, no engine), events/s.
* `sweep` over a 4-cell grid, serially and with `-j 2`: wall time (and the outputs compared).

Each measured command runs in its own child process, so one measurement's memory cannot leak
into the next.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_CHILD = """
import resource, sys, time
from core.cli import main
t, c = time.perf_counter(), time.process_time()
code = main(sys.argv[1:])
took, cpu = time.perf_counter() - t, time.process_time() - c
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu += kids.ru_utime + kids.ru_stime  # sweep -j: the workers' CPU too
hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))
print(f'BENCH {code} {took} {hwm} {cpu}', file=sys.stderr)
"""


def _child(args: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("BENCH "))
    _, code, took, hwm, cpu = line.split()
    return {
        "exit": int(code),
        "wall_s": round(float(took), 3),
        "cpu_s": round(float(cpu), 3),
        "peak_rss_mb": round(int(hwm) / 1024, 1),
        "stdout": proc.stdout,
    }


def _write_recording(path: Path, minutes: float, markets: int) -> tuple[int, float]:
    from core.events import event_to_dict
    from core.recording import RecordingWriter
    from core.sim.market_sim import Simulator

    n, first, last = 0, None, 0.0
    with RecordingWriter(path) as w:
        for ev in Simulator("normal", seed=7, markets=markets).run(minutes * 60):
            w.write(ev.ts_recv, "sim", event_to_dict(ev))
            first = ev.ts_recv if first is None else first
            last = ev.ts_recv
            n += 1
    return n, last - (first or 0.0) + 1.0


def _shifted_copies(src: Path, folder: Path, copies: int, span: float) -> None:
    """`copies` laps of the recording, lap k shifted by k × span, one file each."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = src.read_bytes().splitlines()
    for k in range(copies):
        with gzip.open(folder / f"lap-{k:02d}.jsonl.gz", "wb", compresslevel=1) as out:
            for raw in lines:
                obj = json.loads(raw)
                shift = k * span
                obj["ts"] += shift
                obj["msg"]["ts_recv"] += shift
                obj["msg"]["ts_event"] += shift
                if obj["msg"].get("next_funding_ts") is not None:
                    obj["msg"]["next_funding_ts"] += shift
                obj["msg"]["ts"] = obj["msg"]["ts_recv"]
                out.write(json.dumps(obj).encode() + b"\n")


def _read_pass(spec: str) -> dict:
    from core.recording_set import RecordingSet

    rs = RecordingSet.open(spec)
    t, c = time.perf_counter(), time.process_time()
    n = sum(len(evs) for _, evs in rs.iter_lines())
    took, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "events": n,
        "read_s": round(took, 3),
        "read_cpu_s": round(cpu, 3),
        "events_per_s": round(n / took) if took else None,
        "events_per_cpu_s": round(n / cpu) if cpu else None,
    }


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(
    minutes: float = 60.0,
    markets: int = 20,
    copies: int = 10,
    sweep_grid: tuple[str, ...] = ("score_min=6,7", "stop_pct=0.8,1.2"),
) -> dict:
    import pyarrow.parquet  # noqa: F401 - imported before any timing, so no read pass pays for it

    tmp = Path(tempfile.mkdtemp(prefix="liqhunt-bench-research-"))
    try:
        base = tmp / "one.jsonl"
        events, span = _write_recording(base, minutes, markets)
        one = tmp / "x1"
        _shifted_copies(base, one, 1, span)
        ten = tmp / f"x{copies}"
        _shifted_copies(base, ten, copies, span)
        out: dict = {
            "recording": {
                "scenario": "normal",
                "minutes": minutes,
                "markets": markets,
                "events": events,
                "copies": copies,
            }
        }
        rows = []
        for label, folder in (("1×", one), (f"{copies}×", ten)):
            r = _child(["backtest", str(folder), "--json"])
            rep = json.loads(r["stdout"])
            rows.append(
                {
                    "data": label,
                    "events": rep["events"],
                    "wall_s": r["wall_s"],
                    "cpu_s": r["cpu_s"],
                    "events_per_s": round(rep["events"] / r["wall_s"]),
                    "events_per_cpu_s": round(rep["events"] / r["cpu_s"]),
                    "peak_rss_mb": r["peak_rss_mb"],
                    "exit": r["exit"],
                }
            )
        out["backtest"] = rows
        out["rss_growth_1x_to_nx"] = round(rows[1]["peak_rss_mb"] / rows[0]["peak_rss_mb"], 2)

        gz = tmp / "one.jsonl.gz"
        with open(base, "rb") as src, gzip.open(gz, "wb") as dst:
            shutil.copyfileobj(src, dst)
        pq = tmp / "pq"
        r = _child(["export", str(base), "--parquet", str(pq)])
        formats = []
        for label, path in (("JSON Lines", base), ("JSON Lines, gzip", gz), ("Parquet (zstd), exported", pq)):
            formats.append({"format": label, "bytes": _size(path), **_read_pass(str(path))})
        out["formats"] = formats
        out["export_wall_s"] = r["wall_s"]

        grid = ["--grid", *sweep_grid]
        serial = _child(["sweep", str(one), *grid])
        jobs2 = _child(["sweep", str(one), *grid, "-j", "2"])
        out["sweep"] = {
            "cells": _cells(sweep_grid),
            "serial_s": serial["wall_s"],
            "jobs2_s": jobs2["wall_s"],
            "serial_cpu_s": serial["cpu_s"],
            "jobs2_cpu_s": jobs2["cpu_s"],
            "speedup": round(serial["wall_s"] / jobs2["wall_s"], 2) if jobs2["wall_s"] else None,
            "identical_output": serial["stdout"] == jobs2["stdout"],
            "cores": os.cpu_count(),
        }
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _cells(grid: tuple[str, ...]) -> int:
    n = 1
    for item in grid:
        n *= len(item.partition("=")[2].split(","))
    return n


def markdown(res: dict) -> list[str]:
    rec = res["recording"]
    lines = [
        "## Research at scale (streaming, Parquet, parallel sweep)",
        "",
        "`liqhunt bench --only research`",
        "",
        f"Data: the simulator's normal scenario, {rec['minutes']:g} min × {rec['markets']} markets = "
        f"{rec['events']:,} events; {rec['copies']}× is {rec['copies']} consecutive shifted copies in one folder.",
        "",
        "| backtest over | events | wall s | CPU s | events/s | events/CPU-s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res["backtest"]:
        lines.append(
            f"| {r['data']} | {r['events']:,} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['events_per_s']:,} | "
            f"{r['events_per_cpu_s']:,} | {r['peak_rss_mb']} |"
        )
    lines += [
        "",
        f"Peak RSS {res['backtest'][-1]['data']} / 1×: **{res['rss_growth_1x_to_nx']}×** (streaming: flat).",
        "",
        "| format | size | read pass s | CPU s | events/s | events/CPU-s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for f in res["formats"]:
        lines.append(
            f"| {f['format']} | {f['bytes'] / 1e6:.2f} MB | {f['read_s']:.2f} | {f['read_cpu_s']:.2f} | "
            f"{f['events_per_s']:,} | {f['events_per_cpu_s']:,} |"
        )
    sw = res["sweep"]
    lines += [
        "",
        f"Sweep, {sw['cells']} cells over 1×: serial {sw['serial_s']:.2f} s wall ({sw['serial_cpu_s']:.2f} CPU s), "
        f"`-j 2` {sw['jobs2_s']:.2f} s wall ({sw['jobs2_cpu_s']:.2f} CPU s, workers included) — ×{sw['speedup']} "
        f"on {sw['cores']} cores; outputs identical: {sw['identical_output']}.",
        "",
    ]
    return lines
