"""Which score tiers make money: the report on a known set of trades, and `liqhunt journal`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from core.cli import main as cli_main
from core.clock import SimClock
from core.config import Config
from core.engine_events import PositionClosed
from core.journal import (
    Journal,
    by_reason,
    by_tier,
    default_journal_path,
    format_report,
    report,
    resolve_journal_path,
    tier_table,
    today_figures,
    wilson_interval,
)
from core.positions import ClosedTrade
from tests.builders import T0, feed, make_engine, mark, scripted_cascade


def _t(tier: str, pnl: float, r: float, reason: str, exit_ts: float = T0 + 600) -> dict:
    return {
        "tier": tier,
        "pnl": pnl,
        "r_multiple": r,
        "reason": reason,
        "fees": 2.0,
        "return_bps": pnl / 10,
        "mae_pct": -0.2,
        "mfe_pct": 0.4,
        "exit_ts": exit_ts,
    }


KNOWN = [
    _t("7-8", 100.0, 1.0, "take_profit"),
    _t("7-8", -50.0, -0.5, "stop"),
    _t("7-8", 30.0, 0.3, "exhaustion"),
    _t("8-9", 200.0, 2.0, "take_profit"),
    _t("8-9", 100.0, 1.0, "exhaustion"),
    _t("9-10", -80.0, -0.8, "stop"),
]


@pytest.mark.parametrize(
    "wins,n,expected",
    [(8, 10, (0.4902, 0.9433)), (2, 3, (0.2077, 0.9385)), (0, 10, (0.0, 0.2775)), (10, 10, (0.7225, 1.0))],
)
def test_wilson_interval_matches_known_values(wins, n, expected):
    lo, hi = wilson_interval(wins, n)
    assert (round(lo, 4), round(hi, 4)) == expected


def test_per_tier_table_on_a_known_set_of_trades():
    tiers = by_tier(KNOWN)
    assert list(tiers) == ["<5", "5-7", "7-8", "8-9", "9-10"]  # empty tiers are shown, not hidden
    assert [tiers[k].trades for k in tiers] == [0, 0, 3, 2, 1]
    t78, t89, t910 = tiers["7-8"], tiers["8-9"], tiers["9-10"]
    assert (t78.wins, t78.pnl, t78.fees) == (2, 80.0, 6.0)
    assert t78.win_rate == pytest.approx(2 / 3) and t78.avg_r == pytest.approx(0.8 / 3)
    assert t78.win_rate_ci == pytest.approx(wilson_interval(2, 3))
    assert (t89.wins, t89.win_rate, t89.avg_r, t89.pnl) == (2, 1.0, 1.5, 300.0)
    assert (t910.wins, t910.win_rate, t910.avg_r, t910.pnl) == (0, 0.0, -0.8, -80.0)


def test_totals_and_per_exit_reason_on_a_known_set_of_trades():
    rep = report(KNOWN)
    tot = rep["totals"]
    assert (tot["trades"], tot["wins"], tot["win_rate"], tot["avg_r"], tot["pnl"], tot["fees"]) == (
        6,
        4,
        0.6667,
        0.5,
        300.0,
        12.0,
    )
    reasons = by_reason(KNOWN)
    assert list(reasons) == ["stop", "take_profit", "exhaustion"]
    assert [(k, s.trades, s.wins, s.pnl) for k, s in reasons.items()] == [
        ("stop", 2, 0, -130.0),
        ("take_profit", 2, 2, 300.0),
        ("exhaustion", 2, 2, 130.0),
    ]


def test_text_report_shows_n_beside_every_win_rate():
    text = format_report(KNOWN)
    assert "trades 6   win rate 67% (95 % CI 30%–90%, n = 6)" in text
    row = next(line for line in text.splitlines() if line.startswith("8-9"))
    assert row.split()[:4] == ["8-9", "2", "2", "100"]  # tier, n, clusters (no times: each its own), win %


def test_journal_rows_and_closed_trades_give_the_same_report():
    eng, clock = make_engine("auto")
    j = Journal(":memory:", clock)
    j.open_session("auto", ["sim"], eng.cfg, "backtest")
    j.attach(eng)
    evs, _, price = scripted_cascade(T0, seconds=40, drop_per_s=0.0015)
    feed(eng, clock, evs + [mark(T0 + 40 + i, price) for i in range(200)])
    assert eng.trades
    from_rows, from_objects = report(j.trades()), report(eng.trades)

    def without_costs(rows):  # journal rows also carry the fill costs (slippage, latency drift); ClosedTrade does not
        fill_costs = ("cost_bps", "slippage_bps", "drift_bps")
        return [
            {k: v for k, v in r.items() if k not in fill_costs} for r in (rows if isinstance(rows, list) else [rows])
        ]

    for part in ("totals", "by_tier", "by_reason"):
        assert without_costs(from_rows[part]) == without_costs(from_objects[part])
    assert from_rows["totals"]["trades"] == len(eng.trades)
    j.close()


def _closed(exit_ts: float, pnl: float, score: float, reason: str) -> ClosedTrade:
    tier = "8-9" if score >= 8 else "7-8"
    return ClosedTrade(
        "p1",
        "BTC-USDT-PERP",
        "short",
        0.1,
        60_000.0,
        59_500.0,
        exit_ts - 120,
        exit_ts,
        reason,
        pnl + 3.0,
        3.0,
        pnl,
        pnl / 60.0,
        score,
        tier,
        "s",
        "ride",
        -0.1,
        0.6,
        1.0,
        60_010.0,
    )


@pytest.fixture
def journal_file(tmp_path) -> Path:
    path = tmp_path / "journal.sqlite"
    clock = SimClock(T0)
    j = Journal(path, clock)
    j.open_session("auto", ["sim"], Config(), "sim")
    for tr in [
        _closed(T0 - 86_400 + 60, -40.0, 7.5, "stop"),  # 2025-12-31
        _closed(T0 + 60, 60.0, 8.5, "take_profit"),
        _closed(T0 + 7200, 30.0, 7.2, "exhaustion"),
    ]:
        j.record(PositionClosed(tr.exit_ts, tr))
    j.close()
    return path


def test_journal_command_prints_json_totals_and_tiers(journal_file, capsys):
    assert cli_main(["journal", "--journal", str(journal_file), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["totals"]["trades"], out["totals"]["wins"], out["totals"]["pnl"]) == (3, 2, 50.0)
    assert {r["tier"]: r["trades"] for r in out["by_tier"]} == {"<5": 0, "5-7": 0, "7-8": 2, "8-9": 1, "9-10": 0}
    assert [r["reason"] for r in out["by_reason"]] == ["stop", "take_profit", "exhaustion"]


def test_journal_command_since_keeps_trades_closed_from_that_utc_day(journal_file, capsys):
    assert cli_main(["journal", "--journal", str(journal_file), "--since", "2026-01-01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["totals"]["trades"], out["totals"]["pnl"], out["since"]) == (2, 90.0, T0)


def test_journal_command_exports_trades_as_csv_and_prints_tables(journal_file, tmp_path, capsys):
    dest = tmp_path / "trades.csv"
    assert cli_main(["journal", "--journal", str(journal_file), "--csv", str(dest)]) == 0
    rows = list(csv.DictReader(dest.open()))
    assert [float(r["pnl"]) for r in rows] == [-40.0, 60.0, 30.0]
    assert {"market", "reason", "tier", "r_multiple", "hold_s", "cost_bps"} <= set(rows[0])
    assert "score tier" in capsys.readouterr().out


def test_journal_command_on_a_missing_file_says_so(tmp_path, capsys):
    assert cli_main(["journal", "--journal", str(tmp_path / "nope.sqlite")]) == 1
    assert "no journal at" in capsys.readouterr().err
    assert not (tmp_path / "nope.sqlite").exists()


def test_console_figures_today_and_tier_table(journal_file):
    j = Journal(journal_file, SimClock(T0 + 9000))
    today = today_figures(j, T0 + 9000)
    assert (today["trades"], today["wins"], today["pnl"], today["win_rate"]) == (2, 2, 90.0, 1.0)
    rows = {r["tier"]: r for r in tier_table(j)}
    assert (rows["7-8"]["trades"], rows["7-8"]["wins"], rows["8-9"]["pnl"]) == (2, 1, 60.0)
    assert today_figures(j, T0 + 86_400 * 3)["win_rate"] is None
    j.close()


def test_default_journal_path_follows_platform_conventions(tmp_path):
    home = Path("/home/u")
    assert default_journal_path({"XDG_DATA_HOME": "/data"}, "linux", home) == Path("/data/liqhunt/journal.sqlite")
    assert default_journal_path({}, "linux", home) == home / ".local/share/liqhunt/journal.sqlite"
    assert (
        default_journal_path({"XDG_DATA_HOME": "relative"}, "linux", home)
        == home / ".local/share/liqhunt/journal.sqlite"
    )
    assert default_journal_path({}, "darwin", home) == home / "Library/Application Support/liqhunt/journal.sqlite"
    assert resolve_journal_path("x.sqlite") == "x.sqlite"
    assert resolve_journal_path(None, in_memory_by_default=True) == ":memory:"
