"""Hostile config files: each ends in one line naming the file (or both keys) and the reason,
exit 2, no traceback, no hang — through `config --check` and the commands that load a config."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.config import ConfigError, load_config
from core.events import event_to_dict
from core.recording import RecordingWriter
from core.sim.market_sim import Simulator
from tests.hostile_proc import cli, run_all, run_in_one
from tests.hostile_report import outcome_of, record

# name -> (file body as bytes, or a maker taking the path; words the one-line error must contain)
FILE_CASES: dict[str, tuple[object, tuple[str, ...]]] = {
    "fifo": (lambda p: os.mkfifo(p), ("FIFO",)),
    "directory": (lambda p: p.mkdir(), ("directory",)),
    "missing": (lambda p: None, ("cannot read", "No such file")),
    "binary": (bytes(range(256)) * 4, ("binary",)),
    "non_utf8": (b"[risk]\n# caf\xe9 \xff\nmax_open_positions = 3\n", ("not UTF-8", "line 2")),
    "int_4300_digits": (b"[risk]\nmax_open_positions = 1" + b"0" * 4300 + b"\n", ("number too large",)),
    "int_400_digits_float_key": (b"[risk]\ndaily_loss_limit_usd = 1" + b"0" * 400 + b"\n", ("risk.daily_loss_limit_usd", "too large")),
    "nested_100k": (b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", ("nested too deeply",)),
    "nested_tables_100k": (b"x = " + b"{a = " * 100_000 + b"1" + b"}" * 100_000 + b"\n", ("nested too deeply",)),
    "huge_file": (b"# " + b"x" * (2 << 20) + b"\n", ("bytes",)),
    "empty_key": (b"[risk]\n = 3\n", ("not valid TOML",)),
    "nan": (b"[risk]\ndaily_loss_limit_usd = nan\n", ("risk.daily_loss_limit_usd", "finite")),
}
# cross-field conflicts: each error names both keys
CONFLICTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "included_and_excluded": ('[filters]\nmarkets = ["BTC-USDT-PERP", "ETH-USDT-PERP"]\nexclude_markets = ["ETH-USDT-PERP"]\n',
                              ("filters.markets", "filters.exclude_markets", "ETH-USDT-PERP")),
    "no_sides": ("[filters]\nsides = []\n", ("filters.sides", "empty")),
    "per_trade_above_total": ("[risk]\nmax_notional_per_trade_usd = 200000\nmax_total_notional_usd = 100000\n",
                              ("risk.max_notional_per_trade_usd", "risk.max_total_notional_usd")),
    "short_window_above_window": ("[window]\nwindow_s = 30\nshort_window_s = 60\n", ("window.short_window_s", "window.window_s")),
    "unknown_theme": ('[ui]\ntheme = "no-such-theme"\n', ("ui.theme", "no-such-theme", "liq-dark")),
}
CLASS = "config"


def _make(tmp_path: Path, name: str, body: object) -> Path:
    p = tmp_path / f"{name}.toml"
    if callable(body):
        body(p)
    elif isinstance(body, bytes):
        p.write_bytes(body)
    else:
        p.write_text(body)
    return p


@pytest.fixture(scope="module")
def tiny_recording(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "tiny.jsonl"
    with RecordingWriter(path) as w:
        for ev in Simulator("calm", seed=3, markets=2).run(30):
            w.write(ev.ts_recv, "sim", event_to_dict(ev))
    return path


def test_every_hostile_config_is_one_line_exit_2_through_every_command(tmp_path, tiny_recording):
    cases = {**{k: v for k, v in FILE_CASES.items()}, **CONFLICTS}
    paths = {name: _make(tmp_path, name, body) for name, (body, _) in cases.items()}
    commands, labels = [], []
    for name, p in paths.items():
        commands.append(["config", "--check", str(p)])
        labels.append((f"{CLASS} --check", name))
    for name in ("fifo", "binary", "int_4300_digits", "nested_100k", "unknown_theme", "per_trade_above_total", "no_sides"):
        commands.append(["demo", "--config", str(paths[name])])
        labels.append((f"{CLASS} via demo", name))
        if name != "unknown_theme":  # a backtest draws nothing: its theme is not its business
            commands.append(["backtest", str(tiny_recording), "--config", str(paths[name])])
            labels.append((f"{CLASS} via backtest", name))
    # the cases through the real CLI in one process each; the FIFO also in a process of its own below
    results = run_in_one(commands, per_case_timeout=10)
    bad = []
    for (cls, name), r in zip(labels, results, strict=True):
        words = cases[name][1]
        outcome = outcome_of(r.rc, r.err, 2)
        if outcome == "clean" and not (all(w in r.err for w in words) and (name == "missing" or str(paths[name]) in r.err
                                                                            or name in CONFLICTS)):
            outcome = "crash"  # an error that does not say which file or why is not clean
        if "ok" in r.out:
            outcome = "lost"  # said ok to a config it should refuse
        record(cls, outcome)
        if outcome != "clean":
            bad.append((cls, name, r.rc, r.err[-600:], r.out[-200:]))
    assert not bad, bad


def test_config_check_on_a_fifo_returns_in_its_own_process(tmp_path):
    fifo = tmp_path / "cfg.toml"
    os.mkfifo(fifo)
    (r,) = run_all([cli("config", "--check", str(fifo))], timeout=15)
    outcome = record(f"{CLASS} --check", outcome_of(r.rc, r.err, 2))
    assert outcome == "clean" and "FIFO" in r.err, (r.rc, r.err)


def test_the_file_is_never_opened_when_it_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "cfg.toml"
    os.mkfifo(fifo)  # no writer: an open() for reading would block forever
    with pytest.raises(ConfigError) as e:
        load_config(fifo)
    assert e.value.key == str(fifo) and "FIFO" in e.value.reason


def test_theme_is_checked_only_against_the_names_passed_in(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text('[ui]\ntheme = "nord"\n')
    assert load_config(p).ui.theme == "nord"  # core alone knows no theme list
    with pytest.raises(ConfigError) as e:
        load_config(p, themes={"liq-dark"})
    assert e.value.key == "ui.theme"
    assert load_config(p, themes={"liq-dark", "nord"}).ui.theme == "nord"


def test_a_good_config_still_checks_ok(tmp_path):
    p = tmp_path / "ok.toml"
    p.write_text('[filters]\nmarkets = ["BTC-USDT-PERP"]\nexclude_markets = ["ETH-USDT-PERP"]\n[ui]\ntheme = "liq-light"\n')
    (r,) = run_all([cli("config", "--check", str(p))])
    assert r.rc == 0 and "ok" in r.out and not r.err
