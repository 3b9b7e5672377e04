"""Memory: peak RSS after 1M events over 400 markets, and RSS sampled along a longer run.

The crash stream is written to a temporary file first (by the parent), so the measured process
holds no pre-generated input: a child process reads it line by line, parses each frame and
feeds the engine (full-auto), sampling `VmRSS` every `sample_every` events. To run longer than
the file, it is replayed in laps with every receive time shifted by the file's span, so engine
time keeps moving forward and old windows expire as they would in a long session.
Reported: the process's high-water mark (`VmHWM`) when the first `events` have been processed,
the RSS samples, and the growth from the first lap's end to the last sample.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def write_stream(path: str, events: int, shards: int = 8, chunk_s: float = 10.0) -> dict:
    """Write at least `events` events of the crash stream as `ts<TAB>venue<TAB>frame` lines."""
    from tui.bench.streams import crash_chunks

    n_events = n_msgs = 0
    first = last = 0.0
    markets: set = set()
    with open(path, "w") as f:
        for chunk in crash_chunks(1e9, shards=shards, chunk_s=chunk_s):
            if not chunk.raw:
                continue
            first = first or chunk.ts[0]
            last = chunk.ts[-1]
            f.writelines(f"{t!r}\t{v}\t{r}\n" for t, v, r in zip(chunk.ts, chunk.venue, chunk.raw, strict=True))
            n_events += chunk.events
            n_msgs += len(chunk)
            markets.add(chunk.markets)
            if n_events >= events:
                break
    return {"events": n_events, "messages": n_msgs, "span_s": last - first + 1.0, "markets": max(markets)}


def child(path: str, laps: int, span_s: float, mark_events: int, sample_every: int) -> dict:
    from core.clock import SimClock
    from core.config import Config
    from core.engine import Engine
    from core.feeds.registry import make_parser
    from tui.bench.streams import VENUE_NAMES

    base_kb = _status_kb("VmRSS")
    parsers = [make_parser(v) for v in VENUE_NAMES]
    from core.backtest import estimated_fuel_map

    cfg = Config()
    clock = SimClock(0.0)
    engine = Engine(cfg, clock, fuel_map=estimated_fuel_map(cfg, clock, ()), mode="auto")  # heatmap on, as users run it
    process, set_time = engine.process_many, clock.set
    n = 0
    next_sample = sample_every
    samples: list[tuple[int, float, int]] = []  # (events, seconds of engine time, RSS kB)
    hwm_at_mark = 0
    t0 = time.perf_counter()
    start_ts = None
    for lap in range(laps):
        shift = lap * span_s
        with open(path) as f:
            for line in f:
                ts_s, venue, raw = line.split("\t", 2)
                ts = float(ts_s) + shift
                if start_ts is None:
                    start_ts = ts
                set_time(ts)
                events = parsers[int(venue)].parse(raw, ts)
                process(events)
                n += len(events)
                if n >= next_sample:
                    next_sample += sample_every
                    samples.append((n, round(ts - start_ts, 1), _status_kb("VmRSS")))
                if not hwm_at_mark and n >= mark_events:
                    hwm_at_mark = _status_kb("VmHWM")
    return {
        "events": n,
        "markets": len(engine.markets),
        "engine_seconds": round(clock.now() - (start_ts or 0.0), 1),
        "wall_s": round(time.perf_counter() - t0, 1),
        "rss_before_engine_kb": base_kb,
        "hwm_at_mark_kb": hwm_at_mark,
        "hwm_end_kb": _status_kb("VmHWM"),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "samples": samples,
        "trades": len(engine.trades),
    }


def run(events: int = 1_000_000, laps: int = 3, shards: int = 8, samples: int = 30) -> dict:
    with tempfile.TemporaryDirectory(prefix="liqhunt-bench-") as tmp:
        path = os.path.join(tmp, "stream.tsv")
        info = write_stream(path, events, shards=shards)
        total = info["events"] * laps
        cmd = [
            sys.executable,
            "-m",
            "tui.bench.memory",
            "--child",
            path,
            "--laps",
            str(laps),
            "--span",
            repr(info["span_s"]),
            "--mark",
            str(events),
            "--sample-every",
            str(max(1, total // samples)),
        ]
        out = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        )
    res = json.loads(out.stdout)
    s = res["samples"]
    lap_end = [kb for n, _, kb in s if n <= info["events"]]
    first_lap_kb = lap_end[-1] if lap_end else (s[0][2] if s else 0)
    last_kb = s[-1][2] if s else 0
    return {
        "events_target": events,
        "file_events": info["events"],
        "markets": res["markets"],
        "laps": laps,
        "events_total": res["events"],
        "engine_seconds": res["engine_seconds"],
        "peak_rss_mb_at_target": round(res["hwm_at_mark_kb"] / 1024, 1),
        "peak_rss_mb_end": round(res["hwm_end_kb"] / 1024, 1),
        "rss_before_engine_mb": round(res["rss_before_engine_kb"] / 1024, 1),
        "rss_mb_end_of_first_lap": round(first_lap_kb / 1024, 1),
        "rss_mb_last_sample": round(last_kb / 1024, 1),
        "growth_after_first_lap_mb": round((last_kb - first_lap_kb) / 1024, 1),
        "samples": [{"events": n, "engine_s": t, "rss_mb": round(kb / 1024, 1)} for n, t, kb in s],
        "trades": res["trades"],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tui.bench.memory")
    p.add_argument("--child", metavar="FILE", required=True)
    p.add_argument("--laps", type=int, default=1)
    p.add_argument("--span", type=float, required=True)
    p.add_argument("--mark", type=int, default=1_000_000)
    p.add_argument("--sample-every", type=int, default=100_000)
    a = p.parse_args(argv)
    print(json.dumps(child(a.child, a.laps, a.span, a.mark, a.sample_every)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
