"""One simulated perpetual market, stepped one second at a time (quarter seconds while forced
orders are in flight).

Each step: fair value moves (BTC factor × beta + the market's own GARCH noise); traders open
and close positions; now and then a large taker hits the book; then, per substep, resting
entries fill, positions whose liquidation price the price has crossed are handed to the
liquidation engine, and the engine works off its queue as market orders through the book.
Those orders push price to the next liquidation prices, which is how a cascade feeds itself;
it stops when the next cluster is out of reach or the queue runs dry, and the book's refill
then pulls price back.
"""

from __future__ import annotations

import math
import random
from collections import deque

from core.events import LONG, SHORT, Liquidation, MarkPrice, OpenInterest, Side, Trade
from core.sim.order_book import OrderBook
from core.sim.positions import Position, PositionBook
from core.sim.resting_orders import RestingOrders
from core.sim.scenario import Scenario
from core.sim.traders import TraderFlow
from core.sim.truth import CascadeEpisode, MarketTruth
from core.sim.universe import MarketSpec

SECONDS_PER_YEAR = 365.0 * 86400.0
HOT_SUBSTEPS = 4  # substeps per second while the liquidation engine is busy or the book is disturbed
MARK_EVERY = 2  # seconds between mark price events per market
OI_EVERY = 8  # seconds between open interest events per market
FUNDING_INTERVAL_S = 8 * 3600.0
BASE_OI_MULT = 2.0  # OI held by unleveraged / hedged accounts, as a multiple of the modelled population
TRADE_USD_BTC = 3_000.0  # typical background trade on BTC
WHALE_CAP = 3.0  # largest whale order, in units of 1 % depth


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9)) + 1 if step < 1 else 0


def _power_of_ten(step: float) -> bool:
    return abs(math.log10(step) - round(math.log10(step))) < 1e-9


class MarketModel:
    def __init__(
        self,
        spec: MarketSpec,
        scenario: Scenario,
        rng: random.Random,
        start_ts: float,
        index: int,
        episodes: list[CascadeEpisode],
        own_vol: float,
        factor_vol: float,
    ) -> None:
        self.spec = spec
        self.market = spec.market
        self.symbol = spec.symbol
        self.rng = rng
        self.index = index
        self.beta = spec.beta
        self.tick = spec.tick
        self.tick_dec = _decimals(spec.tick)
        # ticks of 10^-k round in one call; anything else goes through the tick itself
        self.tick_round = -round(math.log10(spec.tick)) if _power_of_ten(spec.tick) else None
        self.lot = spec.lot
        self.lot_dec = _decimals(spec.lot)
        s = scenario
        self.scenario = s
        self.fair = spec.price
        self.price = spec.price
        self.book = OrderBook(
            s.depth_btc_usd_per_pct * spec.scale, refill_tau=s.refill_tau_s, permanent=s.permanent_impact
        )
        self.positions = PositionBook(s.maintenance_margin)
        self.resting = RestingOrders()
        total_vol = math.hypot(spec.beta * factor_vol, own_vol) * s.vol_mult
        # no single bundle bigger than the book's 1 % depth: nobody that size trades that market
        self.flow = TraderFlow(
            spec, s, rng, max_usd=self.book.depth, vol_ratio=min(1.0, factor_vol * s.vol_mult / total_vol)
        )
        self.queue: deque[Position] = deque()
        self.queue_usd = 0.0
        self.truth = MarketTruth(spec.market, spec.scale, episodes)
        # the market's own (non-BTC) variance per second, GARCH(1,1)
        self.own_var_lr = (own_vol * s.vol_mult) ** 2 / SECONDS_PER_YEAR
        self.own_var = self.own_var_lr
        self.g_alpha = s.garch_alpha
        self.g_beta = s.garch_persistence - s.garch_alpha
        self.g_omega = self.own_var_lr * (1.0 - s.garch_persistence)
        self.funding = 0.0001
        self.sigma_30m = max(1e-4, total_vol * math.sqrt(1800.0 / SECONDS_PER_YEAR))
        self.minutes: deque[float] = deque([spec.price], maxlen=31)
        self.recent_low = self.recent_high = spec.price
        self.trend = 0.0
        self.trade_usd = TRADE_USD_BTC * spec.scale**0.6
        self.whale_rate = s.whale_rate_per_hour / 3600.0
        self.trade_rate = s.trade_rate
        self.flow.seed_population(self.positions, spec.price, total_vol / math.sqrt(SECONDS_PER_YEAR))
        self.base_oi_qty = BASE_OI_MULT * s.population_usd_btc * spec.scale / spec.price
        self.next_open = start_ts + rng.expovariate(self.flow.arrival_rate)
        self.next_close = start_ts + rng.expovariate(max(len(self.positions), 1) / s.mean_hold_s)
        self.next_whale = start_ts + rng.expovariate(self.whale_rate) if self.whale_rate > 0 else math.inf
        self.next_trade = start_ts + rng.expovariate(self.trade_rate) if self.trade_rate > 0 else math.inf
        self.engine_tau = s.engine_tau_s
        self.engine_max = s.engine_max_depth_per_s

    # -- the step ----------------------------------------------------------------------------
    def step(self, t: float, n: int, factor_ret: float, out: list) -> None:
        """Advance over [t, t + 1); append this market's events to `out` (not sorted)."""
        rng = self.rng
        own = math.sqrt(self.own_var) * rng.gauss(0.0, 1.0) if self.own_var_lr > 0.0 else 0.0
        if own:
            self.own_var = (
                self.g_omega + self.g_alpha * min(own * own, 25.0 * self.own_var) + self.g_beta * self.own_var
            )
        ret = self.beta * factor_ret + own
        # marks, open interest and the background tape describe the market as the second begins
        phase = n + self.index
        if phase % MARK_EVERY == 0:
            out.append(self._mark(t))
        if phase % OI_EVERY == 0:
            out.append(self._open_interest(t))
        if self.next_trade < t + 1.0:
            self._background_trades(t, ret, out)
        if t >= self.next_open:
            self._arrivals(t)
        if t >= self.next_close:
            self._voluntary_closes(t)
        if t >= self.next_whale:
            self._whale(t, out)
        book = self.book
        hot = bool(self.queue) or book.busy
        subs = HOT_SUBSTEPS if hot else 1
        dt = 1.0 / subs
        sub_growth = math.exp(ret / subs)
        truth = self.truth
        long_liq = self.positions.long_liq
        short_liq = self.positions.short_liq
        resting = self.resting
        for k in range(subs):
            ts = t + k * dt
            self.fair *= sub_growth
            if not book.quiet:
                book.relax(dt)
            p = self.fair * math.exp(book.displacement) if book.displacement else self.fair
            self.price = p
            if (resting.below_levels and p <= resting.below_levels[-1]) or (
                resting.above_levels and p >= resting.above_levels[0]
            ):
                self._fill_resting(p, ts)
            if long_liq and p <= long_liq[-1]:
                self._enqueue(self.positions.take_crossed_longs(p))
            if short_liq and p >= short_liq[0]:
                self._enqueue(self.positions.take_crossed_shorts(p))
            if self.queue:
                self._run_engine(ts, dt, out)
            if truth.active:
                truth.on_price(ts, self.price)
        if phase % 60 == 0:
            self._remember_minute()
        if phase % 900 == 0:
            resting.drop_expired(t)

    # -- traders -----------------------------------------------------------------------------
    def _arrivals(self, t: float) -> None:
        rng = self.rng
        flow = self.flow
        while self.next_open <= t:
            order = flow.new_entry(self.price, t, self.funding, self.trend, self.recent_low, self.recent_high)
            if order.level == self.price:
                self.positions.open(order.is_long, order.level, order.leverage, order.usd)
            else:
                self.resting.add(order, self.price)
            self.next_open += rng.expovariate(flow.arrival_rate)

    def _voluntary_closes(self, t: float) -> None:
        hold = self.scenario.mean_hold_s
        while self.next_close <= t:
            self.positions.close_random(self.rng)
            self.next_close += self.rng.expovariate(max(len(self.positions), 1) / hold)

    def _fill_resting(self, p: float, ts: float) -> None:
        for order in self.resting.take_filled(p, ts):
            pos = self.positions.open(order.is_long, order.level, order.leverage, order.usd)
            # an entry filled through a gap can be born past its liquidation price: liquidate it now
            if (pos.is_long and p <= pos.liq) or (not pos.is_long and p >= pos.liq):
                if pos.is_long:
                    self._enqueue(self.positions.take_crossed_longs(p))
                else:
                    self._enqueue(self.positions.take_crossed_shorts(p))

    def _whale(self, t: float, out: list) -> None:
        """A large taker: the shocks that knock price into a liquidation cluster."""
        rng = self.rng
        while self.next_whale <= t:
            base = self.book.depth
            usd = min(base * self.scenario.whale_size_depth * rng.paretovariate(1.5), WHALE_CAP * base)
            buy = rng.random() < 0.5
            self.fair *= math.exp(self.book.take(usd, buy))
            p = self.fair * math.exp(self.book.displacement)
            self.price = p
            out.append(
                Trade("sim", self.market, self.symbol, self._px(p), self._qty(usd / p), "buy" if buy else "sell", t, t)
            )
            self.next_whale += rng.expovariate(self.whale_rate)

    # -- liquidation engine --------------------------------------------------------------------
    def _enqueue(self, crossed: list[Position]) -> None:
        if crossed:
            self.queue.extend(crossed)
            self.queue_usd += sum(pos.qty * pos.liq for pos in crossed)

    def _run_engine(self, ts0: float, dt: float, out: list) -> None:
        """Work off part of the queue: each position goes out as market orders, one per account."""
        # it works the queue down over a few seconds, but no faster than the book can take:
        # an exchange's engine sends limited orders, it does not dump into an empty book
        budget = min(self.queue_usd * (1.0 - math.exp(-dt / self.engine_tau)), self.engine_max * self.book.depth * dt)
        done = 0.0
        j = 0
        book = self.book
        truth = self.truth
        market, symbol = self.market, self.symbol
        while self.queue and (done < budget or j == 0):
            pos = self.queue.popleft()
            self.queue_usd = max(0.0, self.queue_usd - pos.qty * pos.liq)
            side: Side = LONG if pos.is_long else SHORT
            buy = not pos.is_long
            for usd in self.flow.split_into_accounts(pos.qty * self.price):
                before = self.price
                self.fair *= math.exp(book.take(usd, buy))
                after = self.price = self.fair * math.exp(book.displacement)
                fill = self._px(0.5 * (before + after))
                ts = ts0 + dt * min(j, 63) / 64.0
                out.append(Liquidation("sim", market, symbol, side, fill, usd / fill, usd, ts, ts))
                truth.on_liquidation(ts, side, usd, before, after)
                done += usd
                j += 1
            p = self._px(self.price)
            out.append(Trade("sim", market, symbol, p, self._qty(pos.qty), "buy" if buy else "sell", ts, ts))

    # -- tape ----------------------------------------------------------------------------------
    def _background_trades(self, t: float, ret: float, out: list) -> None:
        rng = self.rng
        end = t + 1.0
        while self.next_trade < end:
            ts = max(self.next_trade, t)
            buy = rng.random() < (0.8 if ret > 0 else 0.2)
            usd = self.trade_usd * min(rng.paretovariate(1.3), 500.0)
            p = self._px(self.price * math.exp(ret * (ts - t)))  # on the second's drift
            out.append(Trade("sim", self.market, self.symbol, p, self._qty(usd / p), "buy" if buy else "sell", ts, ts))
            self.next_trade += rng.expovariate(self.trade_rate)

    def _mark(self, t: float) -> MarkPrice:
        # perpetual funding leans against the crowded side; the premium of mark over index adds to it
        f = 0.0001 + 0.002 * self.positions.imbalance() + 0.03 * self.book.displacement
        self.funding = f = min(0.003, max(-0.003, f))
        next_funding = (math.floor(t / FUNDING_INTERVAL_S) + 1.0) * FUNDING_INTERVAL_S
        return MarkPrice(
            "sim", self.market, self.symbol, self._px(self.price), round(f, 7), next_funding, t, t, self._px(self.fair)
        )

    def _open_interest(self, t: float) -> OpenInterest:
        qty = self.base_oi_qty + self.positions.long_qty + self.positions.short_qty
        return OpenInterest("sim", self.market, self.symbol, qty * self.price, t, t, round(qty, self.lot_dec))

    def _remember_minute(self) -> None:
        m = self.minutes
        m.append(self.price)
        self.recent_low = min(m)
        self.recent_high = max(m)
        self.trend = max(-1.0, min(1.0, math.log(self.price / m[0]) / self.sigma_30m))

    def _px(self, p: float) -> float:
        if self.tick_round is not None:
            return round(p, self.tick_round)
        return round(round(p / self.tick) * self.tick, self.tick_dec)

    def _qty(self, q: float) -> float:
        return max(self.lot, round(round(q / self.lot) * self.lot, self.lot_dec))
