"""HeatmapEstimator: where leveraged positions would be force-closed, estimated from open interest.

Exchanges do not publish their positions' liquidation prices, so, like the known heatmap tools,
we infer them. Every net rise in a venue's open interest is new positions opened at the average
price since the previous reading; they are split long/short (50/50, tilted by funding when
configured) and over leverage tiers, and each slice's liquidation price comes from the venue's
margin rule (core/heatmap/margin.py). The USD that would be force-traded there accumulates in
0.1 % log-price buckets. Mass leaves the map four ways:
  - price trades into a bucket: those positions are liquidated (or stopped) by now;
  - a realised liquidation removes up to its size from the nearest buckets of its side;
  - a fall in open interest not explained by liquidations removes every level proportionally;
  - everything decays with a half-life, because positions are closed in ways we cannot see.
The first reading of a venue's open interest is positions of unknown age: optionally seeded as
entries spread around the current price (`seed_spread_pct`), and only where not already crossed.

This object is the engine's FuelMap; `observe(ev)` gets every accepted market event. Event
times drive the state, the clock only the queries. Per event: an open-interest reading costs
O(tiers × 2); a price tick O(1) plus O(buckets crossed); a liquidation O(consume radius).

What "support" means for a cascade (`support_within`): the things that stop a cascade or turn it
against a trade riding it, within `pct` % of price:
  - an opposing liquidation cluster: for a long cascade (price falling) a large cluster of SHORT
    liquidation levels just above price. Any snap-back of that size sets off forced buying that
    feeds on itself (a squeeze), so the V comes fast and a short riding the cascade is stopped out;
    the mirror for a short cascade is a cluster of long levels just below price;
  - resting liquidity in the cascade's path, when order-book depth is supplied (`observe_depth`):
    bids below price for a long cascade, asks above for a short one — real buyers that absorb it.
The nearest of the two is reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.clock import Clock
from core.events import LONG, SHORT, Event, Liquidation, MarkPrice, OpenInterest, Side, Trade
from core.fuel_map import SupportCheck
from core.heatmap.buckets import LogGrid, MarketLevels
from core.heatmap.config import HeatmapConfig, check_heatmap_relations
from core.heatmap.fuel import Cluster, display_bins, fuel_between, nearest_cluster, nearest_depth_cluster
from core.heatmap.margin import table_for
from core.heatmap.realised import RealisedLiquidations
from core.heatmap.slices import TierSlice, tier_slices
from core.instruments import Instrument

if TYPE_CHECKING:
    from core.config import Config  # core.config imports the heatmap's own config from this package

SEED_SIGMAS = 2.5  # the seed's normal of entry prices is cut off this many σ out
_FUNDING_UNIT = 0.001  # funding_tilt is per 0.1 % per 8 h
# a venue reports a liquidation within seconds of the price crossing it; levels the price crossed
# this recently already left the map, so their reports must not take a second helping
CROSS_CREDIT_S = 60.0


class _OiTrack:
    """One venue's open interest on one market, and what happened since its last reading."""

    __slots__ = ("qty", "first_ts", "price_sum", "price_n", "liq_qty")

    def __init__(self, qty: float, ts: float) -> None:
        self.qty = qty
        self.first_ts = ts
        self.price_sum = 0.0
        self.price_n = 0
        self.liq_qty = 0.0  # base quantity liquidated since the last reading


class _Market:
    __slots__ = (
        "levels",
        "price",
        "funding_8h",
        "tracks",
        "realised",
        "bids",
        "asks",
        "depth_ts",
        "credit",
        "credit_ts",
    )

    def __init__(self, cfg: HeatmapConfig, ts: float) -> None:
        self.levels = MarketLevels(cfg.half_life_s, ts)
        self.price: float | None = None
        self.funding_8h: float | None = None
        self.tracks: dict[str, _OiTrack] = {}
        self.realised = RealisedLiquidations(cfg.realised_keep_s)
        self.bids: list[tuple[float, float]] = []
        self.asks: list[tuple[float, float]] = []
        self.depth_ts = float("-inf")
        self.credit = [0.0, 0.0]  # USD of short, long levels crossed by price recently (index: is_long)
        self.credit_ts = float("-inf")


class HeatmapEstimator:
    def __init__(
        self, config: HeatmapConfig | None = None, clock: Clock | None = None, instruments: Iterable[Instrument] = ()
    ) -> None:
        self.cfg = cfg = config or HeatmapConfig()
        check_heatmap_relations(cfg)
        if clock is None:
            raise ValueError("HeatmapEstimator needs the engine's clock for its queries")
        self.clock = clock
        self.grid = LogGrid(cfg.bucket_pct)
        self._keep = self.grid.span(cfg.range_pct)
        self._max_buckets = 4 * self._keep  # both sides × the range, with room before a prune
        self._consume_radius = round(cfg.liquidation_consume_pct / cfg.bucket_pct)
        self._instruments: dict[tuple[str, str], Instrument] = {(i.venue, i.market): i for i in instruments}
        self._slices: dict[tuple[str, str], tuple[TierSlice, ...]] = {}
        self._markets: dict[str, _Market] = {}

    # -- learning -----------------------------------------------------------------------------
    def observe(self, ev: Event) -> None:
        kind = ev.kind
        if kind == "liquidation":  # the most frequent kind first
            self.observe_liquidation(ev)  # type: ignore[arg-type]
        elif kind == "trade":
            assert isinstance(ev, Trade)
            self._on_price(self._market(ev.market, ev.ts_recv), ev.price, ev.ts_recv)
        elif kind == "mark":
            assert isinstance(ev, MarkPrice)
            m = self._market(ev.market, ev.ts_recv)
            if ev.funding_rate is not None:
                m.funding_8h = ev.funding_rate * 8.0 / (ev.funding_interval_h or 8.0)
            self._on_price(m, ev.mark, ev.ts_recv)
        elif kind == "open_interest":
            assert isinstance(ev, OpenInterest)
            self._on_open_interest(ev)

    def observe_depth(
        self, market: str, bids: list[tuple[float, float]], asks: list[tuple[float, float]], ts: float
    ) -> None:
        """Resting order-book liquidity as (price, USD) rows, for venues whose depth stream is subscribed."""
        m = self._market(market, ts)
        m.bids, m.asks, m.depth_ts = list(bids), list(asks), ts

    def add_instruments(self, instruments: Iterable[Instrument]) -> None:
        for ins in instruments:
            self._instruments[(ins.venue, ins.market)] = ins
            self._slices.pop((ins.venue, ins.market), None)

    def _market(self, market: str, ts: float) -> _Market:
        m = self._markets.get(market)
        if m is None:
            m = self._markets[market] = _Market(self.cfg, ts)
        return m

    def _on_price(self, m: _Market, price: float, ts: float) -> None:
        if price <= 0.0:
            return
        m.price = price
        for tr in m.tracks.values():
            tr.price_sum += price
            tr.price_n += 1
        i = self.grid.index(price)
        if i != m.levels.price_idx:
            long_gone, short_gone = m.levels.move_price(i, ts)
            if long_gone or short_gone:
                if ts - m.credit_ts > CROSS_CREDIT_S:
                    m.credit = [0.0, 0.0]
                m.credit[True] += long_gone
                m.credit[False] += short_gone
                m.credit_ts = ts

    def observe_liquidation(self, ev: Liquidation) -> None:
        """`observe` for a liquidation, without the dispatch (the engine calls it for every one)."""
        ts = ev.ts_recv
        m = self._markets.get(ev.market) or self._market(ev.market, ts)
        if m.tracks:
            tr = m.tracks.get(ev.venue)
            if tr is not None:
                tr.liq_qty += ev.qty
        is_long = ev.side == LONG
        usd, price = ev.usd, ev.price
        m.realised.add(ts, price, usd, is_long)
        if ts - m.credit_ts <= CROSS_CREDIT_S:
            covered = min(usd, m.credit[is_long])
            m.credit[is_long] -= covered
            usd -= covered
        levels = m.levels
        if usd > 0.0 and price > 0.0 and (levels.long_keys if is_long else levels.short_keys):
            levels.take_near(is_long, self.grid.index(price), self._consume_radius, usd, ts)

    def _on_open_interest(self, ev: OpenInterest) -> None:
        m = self._market(ev.market, ev.ts_recv)
        price = m.price
        if price is None and ev.oi_qty:
            price = ev.oi_usd / ev.oi_qty
        if not price:
            return  # no price yet: a reading we cannot place
        qty = ev.oi_qty if ev.oi_qty else ev.oi_usd / price
        ts = ev.ts_recv
        tr = m.tracks.get(ev.venue)
        if tr is None:
            m.tracks[ev.venue] = _OiTrack(qty, ts)
            if self.cfg.seed_spread_pct > 0.0:
                self._seed(m, ev.venue, ev.market, price, qty * price * self.cfg.leveraged_share, ts)
            return
        entry = tr.price_sum / tr.price_n if tr.price_n else price
        # liquidations already took their positions off the map; the rest of the change is opens and closes
        net = qty - tr.qty + tr.liq_qty
        if net > 0.0:
            self._open(m, ev.venue, ev.market, entry, net * entry * self.cfg.leveraged_share, ts)
        elif net < 0.0:
            total = sum(t.qty for t in m.tracks.values())
            if total > 0.0:
                m.levels.multiply(1.0 - min(1.0, -net / total) * self.cfg.oi_decrease_weight, ts)
        tr.qty = qty
        tr.price_sum, tr.price_n, tr.liq_qty = 0.0, 0, 0.0

    def _seed(self, m: _Market, venue: str, market: str, price: float, usd: float, ts: float) -> None:
        """Open interest of unknown age: entries on a normal in log price, one point per bucket
        so the seed is smooth at the map's resolution. Runs once per venue and market."""
        sigma = math.log1p(self.cfg.seed_spread_pct / 100.0)
        step = self.grid.log_step
        n = max(1, int(SEED_SIGMAS * sigma / step))
        offsets = [k * step for k in range(-n, n + 1)]
        weights = [math.exp(-0.5 * (x / sigma) ** 2) for x in offsets]
        wsum = sum(weights)
        for x, w in zip(offsets, weights, strict=True):
            self._open(m, venue, market, price * math.exp(x), usd * w / wsum, ts)

    def _open(self, m: _Market, venue: str, market: str, entry: float, usd: float, ts: float) -> None:
        """New positions worth `usd` at `entry`: O(tiers × 2) bucket additions."""
        slices = self._slices.get((venue, market))
        if slices is None:
            slices = self._slices[(venue, market)] = self._slices_for(venue, market)
        long_share = self._long_share(m)
        levels, grid = m.levels, self.grid
        here = levels.price_idx
        for s in slices:
            for is_long, share, mult in ((True, long_share, s.long_mult), (False, 1.0 - long_share, s.short_mult)):
                if share <= 0.0:
                    continue
                liq = entry * mult
                i = grid.index(liq)
                if here is not None and abs(i - here) > self._keep:
                    continue
                # USD force-traded at the liquidation price: qty × liq = usd / entry × liq
                levels.add(is_long, i, usd * s.weight * share * mult, ts)
        if len(levels) > self._max_buckets and here is not None:
            levels.prune(here, self._keep)

    def _slices_for(self, venue: str, market: str) -> tuple[TierSlice, ...]:
        ins = self._instruments.get((venue, market))
        inverse = ins is not None and ins.contract_kind == "inverse"
        max_lev = ins.max_leverage if ins is not None else None
        return tier_slices(self.cfg, table_for(venue, market, inverse, max_lev), max_lev)

    def _long_share(self, m: _Market) -> float:
        c = self.cfg
        share = c.long_share
        if c.funding_tilt and m.funding_8h is not None:
            # positive funding: longs pay, so longs are the crowded side being added to
            share += c.funding_tilt * (m.funding_8h - c.funding_neutral_rate) / _FUNDING_UNIT
        return min(0.95, max(0.05, share))

    # -- FuelMap ------------------------------------------------------------------------------
    def _known(self, market: str, now: float) -> _Market | None:
        m = self._markets.get(market)
        if m is None or not m.tracks:
            return None
        if now - min(t.first_ts for t in m.tracks.values()) < self.cfg.warmup_s:
            return None
        return m

    def fuel_ahead(self, market: str, liquidated: Side, price: float, pct: float) -> float | None:
        now = self.clock.now()
        m = self._known(market, now)
        if m is None or price <= 0.0:
            return None
        return fuel_between(m.levels, self.grid, liquidated == LONG, price, pct, now)

    def support_within(self, market: str, liquidated: Side, price: float, pct: float, min_usd: float) -> SupportCheck:
        now = self.clock.now()
        m = self._known(market, now)
        if m is None or price <= 0.0:
            return SupportCheck(known=False)
        width = self.cfg.cluster_width_pct
        # the opposing side's levels on their own side of price: shorts above a falling market
        found = [nearest_cluster(m.levels, self.grid, liquidated == SHORT, price, pct, width, min_usd, now)]
        if now - m.depth_ts <= self.cfg.depth_stale_s:
            falling = liquidated == LONG
            book = m.bids if falling else m.asks
            found.append(nearest_depth_cluster(book, self.grid, price, pct, width, min_usd, upward=not falling))
        hits = [c for c in found if c is not None]
        if not hits:
            return SupportCheck(known=True)
        best = min(hits, key=lambda c: c.distance_pct)
        return SupportCheck(known=True, price=best.price, distance_pct=best.distance_pct, usd=best.usd)

    # -- views --------------------------------------------------------------------------------
    def nearest_cluster(
        self, market: str, side: Side, price: float, min_usd: float, max_pct: float = 10.0
    ) -> Cluster | None:
        """Nearest `side` cluster of at least `min_usd` on its own side of price (longs below, shorts above)."""
        now = self.clock.now()
        m = self._known(market, now)
        if m is None:
            return None
        return nearest_cluster(
            m.levels, self.grid, side == LONG, price, max_pct, self.cfg.cluster_width_pct, min_usd, now
        )

    def levels(
        self, market: str, price: float, pct: float = 5.0, buckets: int = 20
    ) -> tuple[list[float], list[float], list[float]]:
        """Estimated levels in `buckets` equal bins over price ± pct %: (bin prices, long USD, short USD)."""
        now = self.clock.now()
        m = self._markets.get(market)
        if m is None:
            return _empty_bins(price, pct, buckets)
        return display_bins(m.levels, self.grid, price, pct, buckets, now)

    def realised_levels(
        self, market: str, price: float, pct: float = 5.0, buckets: int = 20
    ) -> tuple[list[float], list[float], list[float]]:
        """Realised liquidations on the same bins as `levels`, for the overlay."""
        m = self._markets.get(market)
        if m is None:
            return _empty_bins(price, pct, buckets)
        return m.realised.bins(price, pct, buckets, self.clock.now())

    def markets(self) -> list[str]:
        return list(self._markets)

    def totals(self, market: str) -> tuple[float, float]:
        """(long, short) estimated USD over the whole map: O(buckets), for stats and tests."""
        m = self._markets.get(market)
        return m.levels.total(self.clock.now()) if m else (0.0, 0.0)

    def bucket_count(self, market: str) -> int:
        m = self._markets.get(market)
        return len(m.levels) if m else 0


def _empty_bins(price: float, pct: float, buckets: int) -> tuple[list[float], list[float], list[float]]:
    lo = price * (1.0 - pct / 100.0)
    width = (2.0 * price * pct / 100.0) / buckets
    return [lo + width * (b + 0.5) for b in range(buckets)], [0.0] * buckets, [0.0] * buckets


def estimated_fuel_map(cfg: Config, clock: Clock, instruments: Iterable[Instrument]) -> HeatmapEstimator | None:
    """The heatmap estimate every composition (console, backtest, study) attaches, unless the config
    turns it off."""
    if not cfg.heatmap.enabled:
        return None
    return HeatmapEstimator(cfg.heatmap, clock, instruments)
