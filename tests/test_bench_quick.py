"""`liqhunt bench --quick --json` keeps working: every benchmark runs at toy sizes and reports
positive figures. No timing is asserted: benchmarks print figures, they do not pass or fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # every benchmark at toy sizes: ~20 s

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def quick() -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "tui.cli", "bench", "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def test_quick_bench_prints_the_headline_figures_as_positive_numbers(quick):
    for key in ("ingest_events_per_s", "naive_events_per_s", "ratio_vs_naive"):
        assert isinstance(quick[key], (int, float)) and quick[key] > 0, key


def test_quick_bench_runs_every_benchmark_without_error(quick):
    for name in ("ingest", "naive", "latency", "memory", "terminal", "startup", "research"):
        section = quick[name]
        assert not (isinstance(section, dict) and "error" in section), (name, section)


def test_quick_bench_reports_positive_figures_for_each_benchmark(quick):
    assert quick["ingest"]["parse_events_per_s"] > 0 and quick["ingest"]["engine_events_per_s"] > 0
    assert quick["naive"][0]["window_events_liqhunt"] > 0
    lat = quick["latency"][0]
    assert lat["events"] > 0 and lat["per_message"]["n"] > 0 and lat["per_message"]["p50_ms"] > 0
    assert quick["memory"]["peak_rss_mb_at_target"] > 0 and quick["memory"]["samples"]
    assert quick["terminal"]["bytes"] > 0 and quick["terminal"]["first_frame_s"] > 0
    assert quick["startup"]["demo_no_warmup"]["median_s"] > 0
    research = quick["research"]
    one, many = research["backtest"]
    assert many["events"] == one["events"] * research["recording"]["copies"] > 0 and one["peak_rss_mb"] > 0
    assert all(f["events"] == one["events"] and f["bytes"] > 0 for f in research["formats"])
    assert research["sweep"]["identical_output"] is True


def test_report_renders_the_quick_result_as_markdown(quick):
    from tui.bench.report import markdown

    text = markdown(quick)
    assert text.startswith("# liqhunt benchmarks") and "naive" in text and "| 10,000 |" in text


def test_quick_latency_measures_at_least_50_decisions_in_a_real_pty(quick):
    lat = quick["latency"][0]
    assert lat["console"].startswith("pty 120")
    assert lat["decision"]["n"] >= 50 and lat["decision_entries"]["n"] > 0
