"""Does the proximity component earn its weight? The same data backtested with it on and off.

"On" attaches the HeatmapEstimator with the configured `score.w_proximity`; "off" attaches the
same estimator with `w_proximity = 0`, so the support filter is identical and only the score's
proximity component differs. The report is win rate per score tier for each, from
core.backtest. The data is either a recording or a simulator run held in memory.

    python -m core.heatmap.ablation --scenario volatile --hours 6 --markets 5 --seed 7
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from core.backtest import (
    BacktestResult,
    Recording,
    Source,
    backtest_report,
    format_tier_table,
    load_recording,
    run_backtest,
)
from core.clock import SimClock
from core.config import Config, replace_section
from core.heatmap.config import HeatmapConfig
from core.heatmap.model import HeatmapEstimator
from core.instruments import Instrument
from core.replay import DecodeStats
from core.sim.market_sim import Simulator


def heatmap_factory(
    heatmap: HeatmapConfig | None = None,
    instruments: list[Instrument] | tuple = (),
) -> Callable[[Config, SimClock], HeatmapEstimator]:
    """The `fuel_map_factory` run_backtest (and the console's composition root) takes.
    Reads `cfg.heatmap` once the lead adds that section to Config; `heatmap` overrides it."""

    def make(cfg: Config, clock: SimClock) -> HeatmapEstimator:
        hc = heatmap or getattr(cfg, "heatmap", None) or HeatmapConfig()
        return HeatmapEstimator(hc, clock, instruments)

    return make


def sim_recording(scenario: str = "normal", seed: int = 7, markets: int = 5, hours: float = 6.0) -> Recording:
    """A simulator run as an in-memory Recording: one line per simulated second with events."""
    sim = Simulator(scenario, seed, markets)
    lines: list[tuple[float, list]] = []
    t = sim.start_ts
    end = sim.start_ts + hours * 3600.0
    while t < end:
        t += 1.0
        evs = sim.advance_to(t)
        if evs:
            lines.append((evs[-1].ts_recv, evs))
    stats = DecodeStats()
    return Recording(f"sim:{scenario}:seed{seed}:{markets}m:{hours:g}h", lines, sim.instruments(), stats)


def proximity_ablation(
    rec: Source, cfg: Config, heatmap: HeatmapConfig | None = None
) -> tuple[BacktestResult, BacktestResult]:
    """(proximity on, proximity off) backtests of the same data with the same estimator."""
    factory = heatmap_factory(heatmap, rec.instruments)
    on = run_backtest(rec, cfg, fuel_map_factory=factory, label="proximity on")
    off_cfg = replace_section(cfg, "score", w_proximity=0.0)
    off = run_backtest(rec, off_cfg, fuel_map_factory=factory, label="proximity off")
    return on, off


def ablation_config(base: Config | None = None) -> Config:
    """Loosened gates so every score tier gets signals and trades: the question is how each tier
    performs, so the score threshold, the funding gate and the daily risk caps must not decide it."""
    cfg = replace_section(base or Config(), "signal", score_min=0.0, require_funding=False, window_min_usd=1_000_000.0)
    return replace_section(
        cfg, "risk", daily_loss_limit_usd=1e12, max_trades_per_market_per_day=1000, cooldown_after_stop_s=0.0
    )


def format_ablation(on: BacktestResult, off: BacktestResult) -> str:
    lines: list[str] = []
    for res in (on, off):
        rep = backtest_report(res)
        lines.append(
            f"{res.label}: signals {rep['signals']}, trades {rep['trades']}, win rate {rep['win_rate']:.1%}, "
            f"P&L ${rep['pnl']:,.2f}"
        )
        lines += format_tier_table(rep["tiers"])
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Win rate per score tier with the proximity component on vs off.")
    ap.add_argument("--recording", help="a recording file; default: a simulator run")
    ap.add_argument("--scenario", default="volatile")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--markets", type=int, default=5)
    ap.add_argument("--hours", type=float, default=6.0)
    a = ap.parse_args(argv)
    rec = load_recording(a.recording) if a.recording else sim_recording(a.scenario, a.seed, a.markets, a.hours)
    on, off = proximity_ablation(rec, ablation_config())
    print(f"data: {rec.file}")
    print(format_ablation(on, off))


if __name__ == "__main__":
    main()
