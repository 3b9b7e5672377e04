"""The simulator against published facts: the Binance-style feed, the warm-up, the calibration table."""

from __future__ import annotations

import random

import pytest

from core.cli import main
from core.events import Liquidation, MarkPrice
from core.recording import RecordedLine, read_recording
from core.sim.calibration import (
    TARGETS,
    all_within,
    format_table,
    hill_alpha,
    measure,
    rows_for,
)
from core.sim.feeds import BinanceThinning, thinned
from core.sim.market_sim import Simulator

T = 1_767_225_600.0


def _liq(ts: float, usd: float, symbol: str = "BTCUSDT") -> Liquidation:
    market = symbol.replace("USDT", "-USDT-PERP")
    return Liquidation("sim", market, symbol, "long", 60_000.0, usd / 60_000.0, usd, ts, ts)


def _mark(ts: float) -> MarkPrice:
    return MarkPrice("sim", "BTC-USDT-PERP", "BTCUSDT", 60_000.0, 0.0001, None, ts, ts)


def test_binance_feed_publishes_only_the_latest_forced_order_per_symbol_per_second():
    evs = [
        _liq(T + 0.1, 1_000),
        _liq(T + 0.5, 2_000),
        _mark(T + 0.6),
        _liq(T + 0.7, 3_000, "ETHUSDT"),
        _liq(T + 0.9, 4_000),
        _mark(T + 1.2),
        _liq(T + 1.5, 5_000),
        _mark(T + 3.0),
    ]
    out = list(thinned(evs, "binance"))
    liqs = [e for e in out if isinstance(e, Liquidation)]
    # second 0: BTC's last order ($4k) and ETH's only one, pushed when the second closes; second 1: $5k
    assert [(e.symbol, e.usd, e.ts_recv) for e in liqs] == [
        ("BTCUSDT", 4_000, T + 1.0),
        ("ETHUSDT", 3_000, T + 1.0),
        ("BTCUSDT", 5_000, T + 2.0),
    ]
    assert liqs[0].ts_event == T + 0.9  # the order's own time is kept; only its arrival moves
    assert [e.ts_recv for e in out] == sorted(e.ts_recv for e in out)  # still in time order
    assert [e.ts_recv for e in out if isinstance(e, MarkPrice)] == [T + 0.6, T + 1.2, T + 3.0]
    thin = BinanceThinning()
    for e in evs:
        thin.feed(e)
    thin.flush()
    assert (thin.seen, thin.published) == (5, 3)
    assert list(thinned(evs, "all")) == evs


def test_sim_feed_binance_records_at_most_one_forced_order_per_symbol_per_second(tmp_path, capsys):
    path = tmp_path / "thin.jsonl"
    assert (
        main(
            [
                "sim",
                "--scenario",
                "volatile",
                "--markets",
                "5",
                "--minutes",
                "30",
                "--warmup-minutes",
                "0",
                "--feed",
                "binance",
                "--out",
                str(path),
            ]
        )
        == 0
    )
    assert "feed=binance" in capsys.readouterr().err
    seconds: dict[tuple[str, int], int] = {}
    n = 0
    for line in read_recording(path):
        assert isinstance(line, RecordedLine)
        msg = line.msg
        if isinstance(msg, dict) and msg.get("kind") == "liquidation":
            key = (msg["symbol"], int(msg["ts_recv"] - 1e-9))
            seconds[key] = seconds.get(key, 0) + 1
            n += 1
    assert n > 0 and max(seconds.values()) == 1


def test_warm_up_runs_before_the_recorded_start_and_is_not_recorded():
    warm = Simulator("normal", seed=3, markets=3, warmup_s=1800.0)
    cold = Simulator("normal", seed=3, markets=3)
    assert warm.now == warm.start_ts == cold.start_ts
    evs = list(warm.run(600.0, chunk=60.0))
    assert evs and min(e.ts_recv for e in evs) >= warm.start_ts
    assert all(ep.detected_ts >= warm.start_ts for ep in warm.episodes)
    assert [e for e in evs[:50]] != list(cold.run(600.0, chunk=60.0))[:50]  # the market it starts from differs


def test_hill_estimator_recovers_a_known_pareto_tail():
    rng = random.Random(5)
    sample = [rng.paretovariate(1.5) for _ in range(50_000)]
    assert hill_alpha(sample) == pytest.approx(1.5, abs=0.15)


def test_calibration_table_has_every_fact_with_its_source_target_and_figure():
    m = measure("normal", hours=1.0, markets=8, warmup_s=600.0)
    rows = rows_for(m)
    facts = " ".join(r.fact for r in rows)
    for needle in (
        "1m after a cascade",
        "5m after a cascade",
        "60m after a cascade",
        "largest single liquidation",
        "liquidated USD per day",
        "tail index",
        "Fano",
        "Binance",
    ):
        assert needle in facts
    assert all(r.source and r.target and r.simulated for r in rows)
    assert m.liquidations > 0 and 0 < m.binance_kept < 1
    text = format_table(m)
    assert "fact" in text.splitlines()[1] and "| source" in text and "| target" in text and "| simulated" in text
    assert set(TARGETS) == {"calm", "normal", "volatile", "crash"}


def test_sim_calibration_command_prints_the_table_and_exits_by_the_bands(capsys):
    rc = main(
        ["sim", "--calibration", "--scenario", "normal", "--hours", "1", "--markets", "8", "--warmup-minutes", "10"]
    )
    out = capsys.readouterr().out
    assert "scenario normal" in out and "fact" in out and "docs/simulator-calibration.md" in out
    m = measure("normal", hours=1.0, markets=8, warmup_s=600.0)
    assert rc == (0 if all_within(m) else 1)
