"""Hostile config files and command-line numbers: each is one line naming the file, key or
option and the reason, with exit code 1 (config) or 2 (usage); never a traceback or a hang."""

from __future__ import annotations

import os

import pytest

from tests.hostile.ledger import case
from tests.hostile.run_cli import run_inprocess

GOOD = "[window]\nwindow_s = 90\n"


def _write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


CONFIG_CASES = {
    # name: (file maker, words the one-line error must contain)
    "binary file": (lambda t: _write(t, "bin.toml", bytes(range(256))), ["binary"]),
    "non-UTF-8 byte": (
        lambda t: _write(t, "latin1.toml", '[ui]\ntheme = "caf\xe9"\n'.encode("latin-1")),
        ["UTF-8", "offset"],
    ),
    "4,300-digit integer": (lambda t: _write(t, "huge.toml", "[window]\ntape_rows = " + "9" * 4400 + "\n"), ["TOML"]),
    "4,000-digit integer in range check": (
        lambda t: _write(t, "big.toml", "[window]\ntape_rows = " + "9" * 4000 + "\n"),
        ["window.tape_rows", "chars"],
    ),
    "arrays nested 100k deep": (
        lambda t: _write(t, "deep.toml", "x = " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ["nested too deeply"],
    ),
    "directory": (lambda t: t, ["directory"]),
    "missing file": (lambda t: t / "nope.toml", ["cannot read"]),
    "unreadable file": (lambda t: _unreadable(t), ["cannot read"]),
    "FIFO": (lambda t: _fifo(t), ["FIFO"]),
    "market included and excluded": (
        lambda t: _write(t, "c1.toml", '[filters]\nmarkets = ["BTC"]\nexclude_markets = ["BTC"]\n'),
        ["filters.markets", "filters.exclude_markets"],
    ),
    "sides = []": (lambda t: _write(t, "c2.toml", "[filters]\nsides = []\n"), ["filters.sides"]),
    "per-trade cap above total": (
        lambda t: _write(
            t, "c3.toml", "[risk]\nmax_notional_per_trade_usd = 200000\nmax_total_notional_usd = 100000\n"
        ),
        ["risk.max_notional_per_trade_usd", "risk.max_total_notional_usd"],
    ),
    "short window longer than window": (
        lambda t: _write(t, "c4.toml", "[window]\nwindow_s = 30\nshort_window_s = 60\n"),
        ["window.short_window_s", "window.window_s"],
    ),
    "unknown theme": (lambda t: _write(t, "c5.toml", '[ui]\ntheme = "no-such-theme"\n'), ["ui.theme", "no-such-theme"]),
    "NaN value": (lambda t: _write(t, "nan.toml", "[window]\nwindow_s = nan\n"), ["window.window_s", "finite"]),
    "inf value": (lambda t: _write(t, "inf.toml", "[sizing]\nrisk_per_trade_usd = inf\n"), ["finite"]),
    "tables nested 100k deep": (
        lambda t: _write(t, "deept.toml", "x = " + "{a = " * 100_000 + "1" + "}" * 100_000 + "\n"),
        ["nested too deeply"],
    ),
    "file over 1 MB": (lambda t: _write(t, "big-file.toml", "# " + "x" * (2 << 20) + "\n"), ["bytes"]),
    "UTF-16 file": (lambda t: _write(t, "utf16.toml", GOOD.encode("utf-16")), ["binary"]),
    "empty market name": (lambda t: _write(t, "c6.toml", '[filters]\nmarkets = [""]\n'), ["filters.markets", "empty"]),
    "market excluded in another spelling": (
        lambda t: _write(
            t, "c7.toml", '[filters]\nmarkets = ["BTC-USDT-PERP"]\nexclude_markets = [" btc-usdt-perp"]\n'
        ),
        ["filters.markets", "filters.exclude_markets"],
    ),
}


def _unreadable(t):
    p = _write(t, "locked.toml", GOOD)
    p.chmod(0)
    return p


def _fifo(t):
    p = t / "pipe.toml"
    os.mkfifo(p)
    return p


@pytest.mark.parametrize("name", list(CONFIG_CASES))
def test_hostile_config_file_is_one_line_naming_the_file_or_keys(tmp_path, name):
    make, words = CONFIG_CASES[name]
    path = make(tmp_path)
    if name == "unreadable file" and os.geteuid() == 0:
        pytest.skip("root reads any file")
    with case("config", name) as c:
        r = run_inprocess(["config", "--check", str(path)], timeout=15)
        c.hung, c.crashed, c.exit_code = r.code is None, r.exception is not None, r.code
        assert r.code == 1, (r.code, r.err[-300:], r.exception)
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and len(lines[0]) < 400, lines
        assert all(w in lines[0] for w in words), lines[0]


def test_a_good_config_still_checks_ok(tmp_path):
    r = run_inprocess(["config", "--check", str(_write(tmp_path, "good.toml", GOOD))])
    assert r.code == 0 and "ok" in r.out


CLI_CASES = {
    "demo --speed inf": ["demo", "--speed", "inf"],
    "demo --speed 1e6": ["demo", "--speed", "1e6"],
    "demo --speed 0": ["demo", "--speed", "0"],
    "demo --speed nan": ["demo", "--speed", "nan"],
    "demo --warmup 1e9": ["demo", "--warmup", "1e9"],
    "demo --warmup -5": ["demo", "--warmup", "-5"],
    "replay --speed 1e300": ["replay", "x.jsonl", "--speed", "1e300"],
    "sim --hours inf": ["sim", "--hours", "inf", "--out", "x.jsonl"],
    "sim --minutes 0": ["sim", "--minutes", "0", "--out", "x.jsonl"],
    "sim --hours 1e400": ["sim", "--hours", "1e400", "--out", "x.jsonl"],
    "record --minutes -1": ["record", "--venues", "binance", "--out", "x.jsonl", "--minutes", "-1"],
    "run --min-usd nan": ["run", "--min-usd", "nan"],
    "run --min-usd -1": ["run", "--min-usd", "-1"],
    "demo --speed 9 digits of 4300": ["demo", "--speed", "9" * 5000],
}


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_numeric_options_out_of_range_are_one_line_usage_errors(name):
    with case("CLI", name) as c:
        r = run_inprocess(CLI_CASES[name], timeout=15)
        c.hung, c.crashed, c.exit_code = r.code is None, r.exception is not None, r.code
        assert r.code == 2, (r.code, r.err[-300:])
        errors = [ln for ln in r.err.splitlines() if "error:" in ln]
        assert len(errors) == 1 and len(errors[0]) < 300 and "must be" in errors[0], r.err


def test_a_utf8_file_with_a_byte_order_mark_is_read(tmp_path):
    """Windows editors start UTF-8 files with a BOM: still UTF-8 text, and read as such."""
    p = _write(tmp_path, "bom.toml", b"\xef\xbb\xbf" + GOOD.encode())
    with case("config", "UTF-8 with a byte-order mark: accepted"):
        r = run_inprocess(["config", "--check", str(p)])
        assert r.code == 0 and "ok" in r.out and r.err == "", (r.code, r.err)
