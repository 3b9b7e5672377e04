"""The `fade` playbook: enter against a cascade once it has exhausted, while the snap-back is young.

An episode starts with a large liquidation and follows the cascade: its start price, its
extreme, the peak of the short-horizon (default 10 s) liquidation rate and the peak score.
The 90 s window lags by its own length, so exhaustion is judged on the short horizon.

A signal needs all of: the short-horizon rate fell ≥ `exhaustion_drop_pct` from its episode
peak; price moved ≥ `min_move_pct` from the start; no large liquidation for `quiet_s`; the
snap-back has retraced less than `max_retrace_pct` of the move; the episode was big enough
and scored ≥ `score_min` at its peak. Stop beyond the extreme plus a volatility buffer;
take profit at `target_retrace_pct` of the move retraced.

The buffer's volatility is the market's 10-minute σ frozen when the episode began (at its
first large liquidation). Measured later it would include the cascade itself, so the bigger
the cascade the wider the stop, until every large one was skipped for a stop past
`max_stop_pct` — the very episodes the playbook is for.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from core.cascade_score import CascadeScore
from core.config import Config, FadeConfig, SignalConfig
from core.events import LONG, Liquidation, Side
from core.fuel_map import FuelMap
from core.market_state import MarketState
from core.setup_inputs import VOL_HORIZON_S, market_score
from core.signals import IDLE, SIGNAL, TRACKING, Detector, FilterResult, LazyFilter, Signal


# the filters' detail texts, formatted only when read (the console, the journal)
def _exhausted_text(drop: float, need: float) -> str:
    return f"10 s rate −{drop:.0f} % from peak (need {need:g})"


def _move_text(move_pct: float, need: float) -> str:
    return f"{move_pct:.2f} % from start (need {need:g})"


def _quiet_text(since: float, need: float) -> str:
    return f"{since:.0f} s since a large liquidation (need {need:g})"


def _young_text(retraced: float, most: float) -> str:
    return f"{retraced:.0f} % retraced (max {most:g})"


def _size_text(peak: float, need: float) -> str:
    return f"peak ${peak:,.0f} (need ${need:,.0f})"


def _peak_score_text(peak: float, need: float) -> str:
    return f"peak score {peak:.1f} (need {need:g})"


@dataclass(frozen=True, slots=True)
class FadeView:
    short_usd: float  # liquidations of the cascade side over the short horizon
    window_usd: float  # ... over the main window
    window_events: int
    price: float | None
    score: CascadeScore


def fade_setup(st: MarketState, side: Side, now: float, cfg: Config, fuel_map: FuelMap) -> FadeView:
    """The fade playbook's inputs from one market, gathered when it evaluates."""
    s = st.side(side)
    s.short.expire(now)
    return FadeView(
        s.short.total, s.window.total, s.window.count, st.price or st.mark, market_score(st, side, now, cfg, fuel_map)
    )


class FadeDetector(Detector):
    playbook = "fade"
    outcome_label = "fade signal"

    def __init__(self, market: str, cfg: FadeConfig, signal_cfg: SignalConfig) -> None:
        self.market = market
        self.cfg = cfg
        self.signal_cfg = signal_cfg
        self.state = IDLE
        self.side: Side | None = None
        self.signal: Signal | None = None
        self.last_filters: tuple[FilterResult, ...] = ()
        self.last_outcome = ""
        self._rearm_at = float("-inf")
        self._seq = 0
        self._reset_episode()

    @classmethod
    def for_market(cls, market: str, cfg: Config) -> FadeDetector:
        return cls(market, cfg.fade, cfg.signal)

    def observe_market(self, ev: Liquidation, now: float, st: MarketState) -> bool:
        # σ before the cascade: the stop buffer must not include it
        return self.observe(ev, now, st.price, st.vol.sigma_over(VOL_HORIZON_S))

    def evaluate_market(self, now: float, st: MarketState, cfg: Config, fuel_map: FuelMap) -> Signal | None:
        return self.evaluate(now, lambda side: fade_setup(st, side, now, cfg, fuel_map))

    def next_deadline(self, now: float, st: MarketState) -> float | None:
        # the quiet period's end, the episode's timeout, and the next expiry from the short window:
        # the 10 s rate falls only then, which is how a cascade becomes "exhausted" without an event
        if self.state != TRACKING or self.side is None:
            return None
        c = self.cfg
        due = math.nextafter(self.last_large_ts + c.max_wait_s, math.inf)
        quiet = self.last_large_ts + c.quiet_s
        if now < quiet < due:
            due = quiet
        short = st.side(self.side).short
        oldest = short.oldest_ts
        if oldest is not None and oldest + short.length < due:
            due = oldest + short.length
        return due

    def _reset_episode(self) -> None:
        self.first_ts: float | None = None
        self.first_usd = 0.0
        self.start_price: float | None = None
        self.extreme: float | None = None
        self.last_large_ts = 0.0
        self.peak_short = 0.0
        self.peak_window = 0.0
        self.peak_score: CascadeScore | None = None
        self.sigma_at_start: float | None = None  # 10-min σ before the cascade: the stop buffer's volatility

    # the same large-liquidation trigger as the ride playbook
    def observe(self, ev: Liquidation, now: float, price: float | None, sigma_10m: float | None = None) -> bool:
        if ev.usd < self.signal_cfg.watch_min_usd:
            return False
        if self.state == TRACKING and ev.side == self.side:
            self.last_large_ts = ev.ts_recv
            return False
        if self.state != IDLE or now < self._rearm_at:
            return False
        self.state = TRACKING
        self.side = ev.side
        self.first_ts = self.last_large_ts = ev.ts_recv
        self.first_usd = ev.usd
        # the cascade "began" where price stood before this forced order; the liquidation's own
        # fill price is the best public proxy when no price has been seen yet
        self.start_price = price or ev.price
        self.extreme = self.start_price
        self.sigma_at_start = sigma_10m
        self.last_filters = ()
        return True

    def on_price(self, price: float) -> None:
        if self.state != TRACKING or self.extreme is None:
            return
        if (self.side == LONG and price < self.extreme) or (self.side != LONG and price > self.extreme):
            self.extreme = price

    def evaluate(self, now: float, gather: Callable[[Side], FadeView]) -> Signal | None:
        if self.state != TRACKING or self.side is None or self.start_price is None:
            return None
        c = self.cfg
        view = gather(self.side)
        if view.price is not None:
            self.on_price(view.price)
        self.peak_short = max(self.peak_short, view.short_usd)
        self.peak_window = max(self.peak_window, view.window_usd)
        if self.peak_score is None or view.score.total > self.peak_score.total:
            self.peak_score = view.score
        since_large = now - self.last_large_ts
        # timers as sums, the same as next_deadline's, so a check at a deadline sees them as over
        if now > self.last_large_ts + c.max_wait_s:
            self.last_outcome = "fade: no exhaustion entry in time"
            self._reset(now, rearm=False)
            return None
        if view.price is None or self.extreme is None:
            return None
        long_casc = self.side == LONG
        move = (self.start_price - self.extreme) if long_casc else (self.extreme - self.start_price)
        move_pct = move / self.start_price * 100
        retraced = (
            ((view.price - self.extreme) if long_casc else (self.extreme - view.price)) / move * 100
            if move > 0
            else 0.0
        )
        drop = (1 - view.short_usd / self.peak_short) * 100 if self.peak_short > 0 else 0.0
        peak_score = self.peak_score.total if self.peak_score else 0.0
        fs: tuple[FilterResult, ...] = (
            LazyFilter("exhausted", drop >= c.exhaustion_drop_pct, _exhausted_text, drop, c.exhaustion_drop_pct),
            LazyFilter("move", move_pct >= c.min_move_pct, _move_text, move_pct, c.min_move_pct),
            LazyFilter("quiet", now >= self.last_large_ts + c.quiet_s, _quiet_text, since_large, c.quiet_s),
            LazyFilter("young", retraced < c.max_retrace_pct, _young_text, retraced, c.max_retrace_pct),
            LazyFilter("size", self.peak_window >= c.min_cascade_usd, _size_text, self.peak_window, c.min_cascade_usd),
            LazyFilter("score", peak_score >= c.score_min, _peak_score_text, peak_score, c.score_min),
        )
        self.last_filters = fs
        if not all(f.passed for f in fs):
            return None
        buffer = max(c.stop_buffer_pct / 100, c.stop_vol_mult * (self.sigma_at_start or 0.0))
        if long_casc:
            stop = self.extreme * (1 - buffer)
            target = self.extreme + move * c.target_retrace_pct / 100
        else:
            stop = self.extreme * (1 + buffer)
            target = self.extreme - move * c.target_retrace_pct / 100
        price = view.price
        if (long_casc and target <= price) or (not long_casc and target >= price):
            return None  # the bounce already passed the target: nothing left to take
        stop_dist = abs(price - stop) / price * 100
        if stop_dist > c.max_stop_pct:  # a stop that far away is a bet, not a trade: skip
            self.last_filters = fs + (
                FilterResult("stop", False, f"stop {stop_dist:.2f} % away (max {c.max_stop_pct:g})"),
            )
            return None
        reward = abs(target - price) / price * 100
        if stop_dist > 0 and reward / stop_dist < c.min_reward_risk:
            self.last_filters = fs + (
                FilterResult("reward", False, f"target {reward:.2f} % vs stop {stop_dist:.2f} %"),
            )
            return None
        self._seq += 1
        sig = Signal(
            id=f"{self.market}#F{self._seq}@{now:.3f}",
            market=self.market,
            liquidated=self.side,
            order_side="buy" if long_casc else "sell",
            score=self.peak_score or view.score,
            first_ts=self.first_ts or now,
            first_usd=self.first_usd,
            raised_ts=now,
            expires_ts=now + self.signal_cfg.signal_ttl_s,
            price=price,
            window_usd=self.peak_window,
            window_events=view.window_events,
            filters=fs,
            playbook="fade",
        )
        sig.stop_pct = abs(price - stop) / price * 100
        sig.take_profit_pct = abs(target - price) / price * 100
        sig.extras.update(
            stop_price=stop,
            take_profit_price=target,
            start_price=self.start_price,
            extreme=self.extreme,
            why=f"cascade moved {move_pct:.2f} % and its 10 s rate fell {drop:.0f} % from peak; fading the snap-back",
        )
        self.state = SIGNAL
        self.signal = sig
        return sig

    def _reset(self, now: float, rearm: bool) -> None:
        self._reset_episode()
        super()._reset(now, rearm)
