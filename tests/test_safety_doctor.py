"""`liqhunt doctor`: every check says OK/WARN/FAIL and what to fix; exit 1 only on a FAIL.
Venue clocks come from a local HTTP server; nothing here reaches the internet."""

from __future__ import annotations

import os
import socket

from core.cli import main
from core.doctor import (
    FAIL,
    OK,
    WARN,
    check_clock,
    check_config,
    check_journal,
    check_key_file,
    check_terminal,
    exit_code,
)
from tests.faults.venues import RestVenue


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/fapi/v1/time"


def test_config_error_is_a_fail_naming_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[risk]\nmax_notional_per_trade_usd = -5\n")
    c = check_config(str(bad))
    assert c.status == FAIL and "risk.max_notional_per_trade_usd" in c.detail and "liqhunt config --check" in c.fix
    good = tmp_path / "good.toml"
    good.write_text("[risk]\nmax_notional_per_trade_usd = 1000\n")
    assert check_config(str(good)).status == OK and "$1,000/trade" in check_config(str(good)).detail


def test_key_file_readable_by_others_fails_with_chmod_600(tmp_path):
    f = tmp_path / "keys.toml"
    f.write_text('[binance-testnet]\napi_key = "k"\napi_secret = "s"\n')
    os.chmod(f, 0o644)
    c = check_key_file(str(f), env={})
    assert c.status == FAIL and c.fix == f"chmod 600 {f}"
    os.chmod(f, 0o600)
    c = check_key_file(str(f), env={})
    assert c.status == OK and "binance-testnet" in c.detail and '"k"' not in c.detail
    f.write_text("not = [toml")
    assert check_key_file(str(f), env={}).status == FAIL


def test_clock_offset_ok_warn_fail_and_unreachable_is_only_a_warning():
    for skew, status in ((0, OK), (1_500, WARN), (20_000, FAIL)):
        with RestVenue(time_skew_ms=skew) as rest:
            checks = check_clock(
                ["binance", "bybit"], {"binance": f"{rest.url}/fapi/v1/time", "bybit": f"{rest.url}/v5/market/time"}
            )
        assert [c.status for c in checks] == [status, status], checks
    (c,) = check_clock(["binance"], {"binance": _dead_url()}, timeout=0.5)
    assert c.status == WARN and "cannot reach" in c.detail


def test_journal_in_a_writable_dir_is_ok_and_under_a_file_fails(tmp_path):
    assert check_journal(str(tmp_path / "j.sqlite")).status == OK
    assert check_journal(str(tmp_path / "new" / "dir" / "j.sqlite")).status == OK  # created on first run
    blocker = tmp_path / "file"
    blocker.write_text("x")
    c = check_journal(str(blocker / "j.sqlite"))
    assert c.status == FAIL and "another --journal" in c.fix
    assert check_journal(":memory:").status == WARN
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".liqhunt-doctor")]  # the probe is cleaned up


def test_terminal_colours_size_and_locale():
    by = lambda checks: {c.name: c.status for c in checks}  # noqa: E731
    assert by(check_terminal({"TERM": "xterm-256color", "COLORTERM": "truecolor"}, (120, 40), "UTF-8")) == {
        "terminal": OK,
        "colours": OK,
        "size": OK,
        "locale": OK,
    }
    poor = check_terminal({"TERM": "dumb"}, (70, 20), "ANSI_X3.4-1968")
    assert by(poor) == {"terminal": WARN, "colours": WARN, "size": WARN, "locale": WARN}
    assert any("LANG=C.UTF-8" in c.fix for c in poor)
    assert by(check_terminal({"TERM": "xterm", "NO_COLOR": "1"}, (80, 24), "utf-8"))["colours"] == OK


def test_doctor_command_exits_1_on_a_fail_and_0_with_warnings_only(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[signal]\nscore_min = 'seven'\n")
    assert main(["doctor", "--offline", "--config", str(bad), "--journal", str(tmp_path / "j.sqlite")]) == 1
    out = capsys.readouterr().out
    assert "FAIL  config" in out and "signal.score_min" in out and "1 failed" in out
    with RestVenue() as rest:
        rc = main(
            [
                "doctor",
                "--journal",
                str(tmp_path / "j.sqlite"),
                "--time-endpoint",
                f"binance={rest.url}/fapi/v1/time",
                "--time-endpoint",
                f"bybit={rest.url}/v5/market/time",
            ]
        )
    out = capsys.readouterr().out
    assert rc == 0 and "OK    clock binance" in out and "OK    clock bybit" in out
    assert exit_code([]) == 0
