"""Ground truth: the cascade episodes the simulator actually produced.

An episode is a run of forced liquidations on one market and side with no gap longer than
`EPISODE_GAP_S`, counted as a cascade once it has at least `MIN_EVENTS` liquidations and
`MIN_USD_BTC` × market scale of notional. Episodes appear in the list while they develop
and are filled in (end, extreme, price a minute later) as the simulation runs on, so the
detector and heatmap can be scored against what really happened.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from core.events import Side

EPISODE_GAP_S = 15.0
AFTER_S = 60.0
MIN_EVENTS = 8
MIN_USD_BTC = 2_000_000.0


@dataclass
class CascadeEpisode:
    market: str
    side: Side  # side of the positions liquidated
    start_ts: float  # first liquidation
    end_ts: float  # last liquidation so far
    start_price: float  # price just before the first liquidation
    extreme_price: float  # lowest (long cascade) / highest (short cascade) price so far
    total_usd: float
    events: int
    detected_ts: float = 0.0  # when it qualified as a cascade: the first moment a detector could know
    detected_price: float = 0.0
    end_price: float | None = None  # price AFTER_S after the last liquidation
    rebound_price: float | None = None  # best counter-move price within AFTER_S after the end
    done: bool = False

    @property
    def move_pct(self) -> float:
        """Signed % move from start to extreme (negative for a long cascade)."""
        return (self.extreme_price / self.start_price - 1.0) * 100.0

    @property
    def rebound_frac(self) -> float | None:
        """Share of the move won back AFTER_S after the end (0 = none, 1 = all of it)."""
        if self.end_price is None or abs(self.extreme_price / self.start_price - 1.0) < 1e-4:
            return None  # a move under 1 bp makes the ratio noise
        return (self.end_price - self.extreme_price) / (self.start_price - self.extreme_price)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["move_pct"] = self.move_pct
        d["rebound_frac"] = self.rebound_frac
        return d


class _Run:
    __slots__ = ("side", "start_ts", "last_ts", "start_price", "extreme", "rebound", "usd", "events", "episode")

    def __init__(self, side: Side, ts: float, start_price: float) -> None:
        self.side = side
        self.start_ts = ts
        self.last_ts = ts
        self.start_price = start_price
        self.extreme = start_price
        self.rebound = start_price  # best counter-move price since the latest liquidation
        self.usd = 0.0
        self.events = 0
        self.episode: CascadeEpisode | None = None


class MarketTruth:
    """Watches one market's liquidations and prices and appends its cascades to `episodes`."""

    __slots__ = ("market", "min_usd", "episodes", "_runs", "_after", "active")

    def __init__(self, market: str, scale: float, episodes: list[CascadeEpisode]) -> None:
        self.market = market
        self.min_usd = MIN_USD_BTC * scale
        self.episodes = episodes
        self._runs: dict[str, _Run] = {}
        self._after: list[CascadeEpisode] = []  # finished, waiting for their after-price
        self.active = False  # a plain flag, checked every substep: only active markets pay for on_price

    def on_liquidation(self, ts: float, side: Side, usd: float, price_before: float, price_after: float) -> None:
        self.active = True
        run = self._runs.get(side)
        if run is None:
            run = self._runs[side] = _Run(side, ts, price_before)
        run.last_ts = ts
        run.usd += usd
        run.events += 1
        run.rebound = price_after
        self._observe(run, price_after)
        ep = run.episode
        if ep is None and run.events >= MIN_EVENTS and run.usd >= self.min_usd:
            ep = run.episode = CascadeEpisode(
                self.market,
                side,
                run.start_ts,
                ts,
                run.start_price,
                run.extreme,
                run.usd,
                run.events,
                detected_ts=ts,
                detected_price=price_after,
            )
            self.episodes.append(ep)
        elif ep is not None:
            ep.end_ts = ts
            ep.total_usd = run.usd
            ep.events = run.events
            ep.extreme_price = run.extreme

    @staticmethod
    def _observe(run: _Run, price: float) -> None:
        is_long = run.side == "long"
        if (is_long and price < run.extreme) or (not is_long and price > run.extreme):
            run.extreme = price
            if run.episode is not None:
                run.episode.extreme_price = price
        if (is_long and price > run.rebound) or (not is_long and price < run.rebound):
            run.rebound = price

    def on_price(self, ts: float, price: float) -> None:
        for side in list(self._runs):
            run = self._runs[side]
            if ts - run.last_ts > EPISODE_GAP_S:
                del self._runs[side]
                if run.episode is not None:
                    run.episode.rebound_price = run.rebound
                    self._after.append(run.episode)
            else:
                self._observe(run, price)
        if self._after:
            keep = []
            for ep in self._after:
                if ep.side == "long":
                    ep.rebound_price = max(ep.rebound_price or price, price)
                else:
                    ep.rebound_price = min(ep.rebound_price or price, price)
                if ts >= ep.end_ts + AFTER_S:
                    ep.end_price = price
                    ep.done = True
                else:
                    keep.append(ep)
            self._after = keep
        self.active = bool(self._runs or self._after)
