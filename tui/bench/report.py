"""The machine the figures were taken on, and the suite's result as Markdown (docs/benchmarks.md-ready)."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys

COMMANDS = {
    "ingest": "liqhunt bench --only ingest",
    "naive": "liqhunt bench --only naive",
    "latency": "liqhunt bench --only latency",
    "memory": "liqhunt bench --only memory",
    "terminal": "liqhunt bench --only terminal",
    "startup": "liqhunt bench --only startup",
    "research": "liqhunt bench --only research",
}


def machine() -> dict:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
                break
    except (OSError, subprocess.SubprocessError):
        pass
    if not model:
        model = platform.processor() or platform.machine()
    try:
        import textual

        textual_version = getattr(textual, "__version__", "")
    except ImportError:
        textual_version = ""
    if not textual_version:
        try:
            from importlib.metadata import version

            textual_version = version("textual")
        except Exception:
            textual_version = "?"
    mem_gb = 0.0
    try:
        with open("/proc/meminfo") as f:
            mem_gb = int(f.readline().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "os": f"{platform.system()} {platform.release()}",
        "textual": textual_version,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _n(x, unit: str = "") -> str:
    if x is None:
        return "—"
    if isinstance(x, float) and not x.is_integer():
        return f"{x:,.3g}{unit}" if abs(x) < 100 else f"{x:,.0f}{unit}"
    return f"{int(x):,}{unit}"


def _err(section) -> str | None:
    return section.get("error") if isinstance(section, dict) else None


def markdown(res: dict) -> str:
    m = res.get("machine", {})
    lines = [
        f"# liqhunt benchmarks{' (quick smoke run: toy sizes, figures not meaningful)' if res.get('quick') else ''}",
        "",
        f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gb')} GB; {m.get('os')}; "
        f"{m.get('implementation')} {m.get('python')}; Textual {m.get('textual')}. Taken {m.get('date')}; "
        f"suite wall time {res.get('wall_s')} s.",
        "",
        f"Headline (heatmap on): ingest **{_n(res.get('ingest_events_per_cpu_s'))} events per CPU-second** "
        f"({_n(res.get('ingest_events_per_s'))} per wall second), naive handler at a 10k-event window "
        f"**{_n(res.get('naive_events_per_s'))} events per CPU-second**, ratio **{_n(res.get('ratio_vs_naive'))}×**.",
        "",
    ]
    ing = res.get("ingest")
    if ing:
        lines += ["## Ingest throughput (one core)", "", f"`{COMMANDS['ingest']}`", ""]
        if _err(ing):
            lines += [f"error: {ing['error']}", ""]
        else:
            lines += [
                f"{_n(ing['messages'])} Binance/Bybit frames carrying {_n(ing['events'])} events "
                f"({_n(ing['liquidations'])} liquidations, {_n(ing.get('open_interest', 0))} open-interest readings, the rest marks) over {ing['markets']} markets, "
                f"{ing['stream_seconds']} s of the crash scenario, peak {_n(ing['peak_events_in_1s'])} events in one second. "
                f"Median of {ing['rounds']} rounds.",
                "",
                "| stage | events/s | µs/event |",
                "|---|---:|---:|",
                f"| parse (frame → normalised events) | {_n(ing['parse_events_per_s'])} | {1e6 / ing['parse_events_per_s']:.2f} |",
                *(
                    [
                        f"| validate (events → the validation boundary) | {_n(ing['validate_events_per_s'])} | {1e6 / ing['validate_events_per_s']:.2f} |"
                    ]
                    if ing.get("validate_events_per_s")
                    else []
                ),
                f"| engine (events → windows, score, signals, orders) | {_n(ing['engine_events_per_s'])} | {1e6 / ing['engine_events_per_s']:.2f} |",
                f"| **pipeline (frame → parse → validate → … → orders)** | **{_n(ing['ingest_events_per_s'])}** | {ing['ingest_us_per_event']:.2f} |",
                f"| pipeline, per CPU-second | {_n(ing['ingest_events_per_cpu_s'])} | |",
                *(
                    [
                        f"| pipeline without the validator (as measured before it joined) | {_n(ing['unvalidated_events_per_s'])} | {1e6 / ing['unvalidated_events_per_s']:.2f} |",
                        f"| the same, per CPU-second | {_n(ing['unvalidated_events_per_cpu_s'])} | |",
                    ]
                    if ing.get("unvalidated_events_per_s")
                    else []
                ),
                "",
                f"Signals raised: {ing['signals_raised']}; orders submitted: {ing['orders_submitted']} (default risk caps).",
                "",
            ]
    nv = res.get("naive")
    if nv:
        lines += ["## Against the naive handler (same events, same run)", "", f"`{COMMANDS['naive']}`", ""]
        if _err(nv):
            lines += [f"error: {nv['error']}", ""]
        else:
            lines += [
                'Rows of the article\'s 90 s window move occupancy and event rate together; "fixed rate" rows keep the '
                'rate (the window stretched to fit), "fixed occupancy" rows keep 10k events in the window at other rates.',
                "",
                "| series | window | stream ev/s | window occupancy | naive ev/s | windows only ev/s | engine ev/s | pipeline ev/s | pipeline ÷ naive | engine ÷ naive | windows ÷ naive |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for r in nv:
                lines.append(
                    f"| {r.get('series', '90 s window')} | {_n(r.get('window_s', 90))} s | {_n(r.get('stream_events_per_s'))} | "
                    f"{_n(r['occupancy'])} | {_n(r['naive_events_per_s'])} | {_n(r['windows_events_per_s'])} | "
                    f"{_n(r['engine_events_per_s'])} | {_n(r['pipeline_events_per_s'])} | **{r['ratio_pipeline_vs_naive']}×** | "
                    f"{r['ratio_engine_vs_naive']}× | {r['ratio_windows_vs_naive']}× |"
                )
            lines += [
                "",
                "µs per event: "
                + "; ".join(
                    f"{_n(r['occupancy'])} in {_n(r.get('window_s', 90))} s: naive {r['naive_us_per_event']:.1f}, windows {r['windows_us_per_event']:.2f}, "
                    f"engine {r['engine_us_per_event']:.2f}, pipeline {r['pipeline_us_per_event']:.2f}"
                    + (
                        f" (without the validator {r['unvalidated_us_per_event']:.2f}, "
                        f"{r['ratio_unvalidated_vs_naive']}× naive)"
                        if "unvalidated_us_per_event" in r
                        else ""
                    )
                    for r in nv
                ),
                "",
            ]
    lat = res.get("latency")
    if lat:
        lines += [
            "## Decision latency: the console in a real pty, heatmap on",
            "",
            f"`{COMMANDS['latency']}`",
            "",
            "Per message: a frame's scheduled arrival → the engine is done with it. Decision: the moment an order "
            "became due (the arrival of the frame after which the entry or exit conditions held, or the time of "
            "the deadline at which the engine decided: entry delay over, max hold, a window draining) → the order "
            "leaves the paper broker. From pick-up: the frame taken off the loop → the order leaves the broker.",
            "",
        ]
        if _err(lat):
            lines += [f"error: {lat['error']}", ""]
        else:
            lines += [
                "| console | rate (events/s) | achieved | per message p50 / p99 / max (ms), n | entries p50 / p99 / max (ms), n | exits p50 / p99 / max (ms), n | all decisions p50 / p99 (ms), n | from pick-up p50 / p99 (ms) |",
                "|---|---:|---:|---|---|---|---|---|",
            ]
            for r in lat:
                if _err(r):
                    lines.append(f"| {r.get('console')} | | | error: {r['error']} | | | | |")
                    continue
                pm, d, de, dx, dp = (
                    r["per_message"],
                    r["decision"],
                    r["decision_entries"],
                    r["decision_exits"],
                    r["decision_from_pickup"],
                )
                lines.append(
                    f"| {r['console']} | {_n(r['target_events_per_s'])} | {_n(r['achieved_events_per_s'])} | "
                    f"{pm['p50_ms']} / {pm['p99_ms']} / {pm['max_ms']}, n={_n(pm['n'])} | "
                    f"{de['p50_ms']} / {de['p99_ms']} / {de['max_ms']}, n={de['n']} | "
                    f"{dx['p50_ms']} / {dx['p99_ms']} / {dx['max_ms']}, n={dx['n']} | "
                    f"{d['p50_ms']} / {d['p99_ms']}, n={d['n']} | {dp['p50_ms']} / {dp['p99_ms']} |"
                )
            lines.append("")
    mem = res.get("memory")
    if mem:
        lines += ["## Memory", "", f"`{COMMANDS['memory']}`", ""]
        if _err(mem):
            lines += [f"error: {mem['error']}", ""]
        else:
            lines += [
                f"Peak RSS (VmHWM) after {_n(mem['events_target'])} events over {mem['markets']} markets: "
                f"**{mem['peak_rss_mb_at_target']} MB** (interpreter and imports before the engine: {mem['rss_before_engine_mb']} MB).",
                "",
                f"Longer run: {_n(mem['events_total'])} events, {mem['laps']} laps of the stream, {_n(mem['engine_seconds'])} s of engine time; "
                f"RSS {mem['rss_mb_end_of_first_lap']} MB at the end of the first lap, {mem['rss_mb_last_sample']} MB at the last sample "
                f"(growth {mem['growth_after_first_lap_mb']} MB); peak {mem['peak_rss_mb_end']} MB.",
                "",
                "RSS samples (events → MB): " + ", ".join(f"{_n(s['events'])} → {s['rss_mb']}" for s in mem["samples"]),
                "",
            ]
    term = res.get("terminal")
    if term:
        lines += ["## Terminal bandwidth and CPU", "", f"`{COMMANDS['terminal']}`", ""]
        if _err(term):
            lines += [f"error: {term['error']}", ""]
        else:
            lines += [
                f"At {_n(term['rate_events_per_s'])} events/s in a {term['size']} pty ({term['colorterm']}), "
                f"steady state over {term['measure_s']} s: **{term['kb_per_s']} KB/s** to the terminal, "
                f"CPU **{term['cpu_share'] * 100:.1f} %** of one core. First second after the first frame: {_n(term['first_second_bytes'])} bytes.",
                "",
            ]
    st = res.get("startup")
    if st:
        lines += ["## Start-up (command → first full frame, 120×40 pty)", "", f"`{COMMANDS['startup']}`", ""]
        if _err(st):
            lines += [f"error: {st['error']}", ""]
        else:
            for key in ("demo", "demo_no_warmup"):
                d = st[key]
                lines.append(f"- `{d['command']}`: median **{d['median_s']} s** (max {d['max_s']}, {d['runs']} runs)")
            lines += [f"- `import tui.app`: {st['import_tui_app_s']} s", ""]
    rs = res.get("research")
    if rs:
        if _err(rs):
            lines += ["## Research at scale", "", f"error: {rs['error']}", ""]
        else:
            from tui.bench.research import markdown as research_markdown

            lines += research_markdown(rs)
    return "\n".join(lines) + "\n"
