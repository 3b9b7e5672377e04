"""How close the estimate is to the simulator's true liquidation levels.

Runs the simulator, feeds every event to a HeatmapEstimator exactly as the engine would, and at
regular snapshots bins both the estimate and `Simulator.true_liquidation_levels` the same way over
price ± `pct` %. The score is the Pearson correlation of the per-bin USD (longs and shorts
together, since both sides are what the queries read), per snapshot, then averaged.

    python -m core.heatmap.truth_check --hours 2 --markets 3 --seed 7
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from core.clock import SimClock
from core.heatmap.config import HeatmapConfig
from core.heatmap.model import HeatmapEstimator
from core.sim.market_sim import Simulator


@dataclass(frozen=True, slots=True)
class Snapshot:
    market: str
    ts: float
    correlation: float
    estimated_usd: float
    true_usd: float


def pearson(a: list[float], b: list[float]) -> float:
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    return cov / math.sqrt(va * vb) if va > 0 and vb > 0 else float("nan")


def true_bins(
    levels: list[tuple[float, float, str]], price: float, pct: float, buckets: int
) -> tuple[list[float], list[float]]:
    """The simulator's levels on `fuel.display_bins`' grid: (long USD, short USD) per bin."""
    lo = price * (1.0 - pct / 100.0)
    width = (2.0 * price * pct / 100.0) / buckets
    longs = [0.0] * buckets
    shorts = [0.0] * buckets
    for liq, usd, side in levels:
        b = int((liq - lo) // width)
        if 0 <= b < buckets:
            (longs if side == "long" else shorts)[b] += usd
    return longs, shorts


def compare(
    scenario: str = "normal",
    seed: int = 7,
    markets: int = 3,
    hours: float = 2.0,
    warmup_h: float = 1.0,
    every_s: float = 900.0,
    pct: float = 5.0,
    buckets: int = 40,
    config: HeatmapConfig | None = None,
) -> list[Snapshot]:
    """Snapshots every `every_s` after `warmup_h`, one per market."""
    sim = Simulator(scenario, seed, markets)
    clock = SimClock(sim.start_ts)
    est = HeatmapEstimator(config or HeatmapConfig(), clock, sim.instruments())
    out: list[Snapshot] = []
    t = sim.start_ts
    end = sim.start_ts + hours * 3600.0
    next_snap = sim.start_ts + warmup_h * 3600.0
    while t < end:
        t = min(t + 60.0, end)
        for ev in sim.advance_to(t):
            clock.set(ev.ts_recv)
            est.observe(ev)
        clock.set(t)
        if t >= next_snap:
            next_snap += every_s
            for m in sim.markets:
                price = sim.price(m)
                _, el, es = est.levels(m, price, pct, buckets)
                tl, ts = true_bins(sim.true_liquidation_levels(m), price, pct, buckets)
                out.append(Snapshot(m, t, pearson(el + es, tl + ts), sum(el) + sum(es), sum(tl) + sum(ts)))
    return out


def mean_correlation(snaps: list[Snapshot]) -> float:
    vals = [s.correlation for s in snaps if s.correlation == s.correlation]
    return sum(vals) / len(vals) if vals else float("nan")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Correlate the estimated heatmap with the simulator's true levels.")
    ap.add_argument("--scenario", default="normal")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--markets", type=int, default=3)
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--warmup-h", type=float, default=1.0)
    ap.add_argument("--buckets", type=int, default=40)
    a = ap.parse_args(argv)
    snaps = compare(a.scenario, a.seed, a.markets, a.hours, a.warmup_h, buckets=a.buckets)
    for s in snaps:
        print(
            f"{s.market:16} t+{(s.ts - snaps[0].ts) / 60:5.0f} min  r={s.correlation:+.3f}  "
            f"est ${s.estimated_usd / 1e6:8.1f}M  true ${s.true_usd / 1e6:8.1f}M"
        )
    print(f"mean correlation over {len(snaps)} snapshots: {mean_correlation(snaps):+.3f}")


if __name__ == "__main__":
    main()
