"""Everything the engine knows about one market, kept up to date in O(1) per event.

Windows per side (long / short liquidations), a short-horizon window for exhaustion,
the market's own baseline rates, last prices, funding, open-interest history and a
realised-volatility estimate for sizing stops.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from core.config import Config
from core.events import LONG, Liquidation, MarkPrice, OpenInterest, Side, Trade
from core.price_history import PriceHistory
from core.rolling_window import WindowPair


class DecayedRate:
    """A long-run rate (per second) with exponential forgetting: the market's own baseline."""

    __slots__ = ("halflife", "_acc", "_t", "_tau")

    def __init__(self, halflife: float) -> None:
        self.halflife = halflife
        self._tau = halflife / math.log(2)
        self._acc = 0.0
        self._t: float | None = None

    def add(self, ts: float, amount: float) -> None:
        if self._t is not None and ts > self._t:
            self._acc *= math.exp(-(ts - self._t) / self._tau)
        if self._t is None or ts > self._t:
            self._t = ts
        self._acc += amount

    def rate(self, now: float) -> float:
        if self._t is None:
            return 0.0
        decayed = self._acc * math.exp(-max(0.0, now - self._t) / self._tau)
        return decayed / self._tau


class RealisedVol:
    """Sum of squared log returns over a lookback, sampled at most every `min_step` seconds."""

    __slots__ = ("lookback", "min_step", "_samples", "_sumsq", "_last")

    def __init__(self, lookback: float, min_step: float = 5.0) -> None:
        self.lookback = lookback
        self.min_step = min_step
        self._samples: deque[tuple[float, float]] = deque()  # (ts, squared return)
        self._sumsq = 0.0
        self._last: tuple[float, float] | None = None  # (ts, log price)

    def update(self, ts: float, price: float) -> None:
        if price <= 0:
            return
        lp = math.log(price)
        if self._last is None:
            self._last = (ts, lp)
            return
        if ts - self._last[0] < self.min_step:
            return
        r2 = (lp - self._last[1]) ** 2
        self._last = (ts, lp)
        self._samples.append((ts, r2))
        self._sumsq += r2
        cutoff = ts - self.lookback
        while self._samples and self._samples[0][0] <= cutoff:
            self._sumsq -= self._samples.popleft()[1]

    def sigma_over(self, horizon: float) -> float | None:
        """Volatility (fraction) scaled to `horizon` seconds; None until enough samples."""
        if len(self._samples) < 6:
            return None
        span = self._samples[-1][0] - self._samples[0][0] + self.min_step
        if span < min(60.0, self.lookback / 4):
            return None  # a few seconds of one violent move, scaled to 10 minutes, is not a volatility
        return math.sqrt(max(self._sumsq, 0.0) * horizon / max(span, 1.0))


class DecayedRates:
    """The two baselines of one side (events and USD per second) in one object: they decay with
    the same half-life at the same times, so one `exp` per event serves both. Same floats as two
    `DecayedRate`s fed the same times."""

    __slots__ = ("halflife", "_tau", "_events", "_usd", "_t")

    def __init__(self, halflife: float) -> None:
        self.halflife = halflife
        self._tau = halflife / math.log(2)
        self._events = 0.0
        self._usd = 0.0
        self._t: float | None = None

    def add(self, ts: float, usd: float) -> None:
        t = self._t
        if t is None:
            self._t = ts
        elif ts > t:
            f = math.exp(-(ts - t) / self._tau)
            self._events *= f
            self._usd *= f
            self._t = ts
        self._events += 1.0
        self._usd += usd

    def events_rate(self, now: float) -> float:
        if self._t is None:
            return 0.0
        return self._events * math.exp(-max(0.0, now - self._t) / self._tau) / self._tau

    def usd_rate(self, now: float) -> float:
        if self._t is None:
            return 0.0
        return self._usd * math.exp(-max(0.0, now - self._t) / self._tau) / self._tau


class _BaselineView:
    """`rate(now)` of one of a `DecayedRates`' two figures, where a `DecayedRate` was read before."""

    __slots__ = ("rate",)

    def __init__(self, rate) -> None:
        self.rate = rate


class SideActivity:
    """One side (long or short liquidations) of one market: the window and the short window over
    one shared event log (`WindowPair`), and the market's own baseline rates."""

    __slots__ = ("pair", "window", "short", "baselines", "baseline_events", "baseline_usd")

    def __init__(self, window_s: float, short_window_s: float, halflife_s: float) -> None:
        self.pair = WindowPair(window_s, short_window_s)
        self.window = self.pair.window
        self.short = self.pair.short
        self.baselines = DecayedRates(halflife_s)
        self.baseline_events = _BaselineView(self.baselines.events_rate)
        self.baseline_usd = _BaselineView(self.baselines.usd_rate)


@dataclass
class MarketState:
    market: str
    long: SideActivity
    short: SideActivity
    vol: RealisedVol
    price: float | None = None  # last trade or mark
    mark: float | None = None
    funding_rate: float | None = None  # per 8 h equivalent
    next_funding_ts: float | None = None
    funding_interval_h: float = 8.0  # the venue's funding interval (funding_rate above is rescaled to 8 h)
    oi_usd: float | None = None  # summed over venues
    oi_by_venue: dict = field(default_factory=dict)
    has_trades: bool = False
    oi_history: deque = field(default_factory=deque)  # (ts, oi_usd)
    last_liq_ts: float | None = None
    liq_count: int = 0
    venues: set = field(default_factory=set)
    symbol: str = ""
    prices: PriceHistory = field(default_factory=PriceHistory)  # one per second, for the console's chart

    def side(self, side: Side) -> SideActivity:
        return self.long if side == LONG else self.short

    def expire(self, now: float) -> None:
        for s in (self.long, self.short):
            s.window.expire(now)
            s.short.expire(now)

    def funding_for(self, side: Side) -> float | None:
        """Funding per 8 h signed so that positive means `side` was the crowded one paying it."""
        if self.funding_rate is None:
            return None
        return self.funding_rate if side == LONG else -self.funding_rate

    def oi_change_pct(self, now: float, lookback: float) -> float | None:
        """OI change over the lookback, in %; None when there is no history that old."""
        if self.oi_usd is None or not self.oi_history:
            return None
        ref = None
        for ts, oi in self.oi_history:  # history is short (trimmed to the lookback)
            if ts >= now - lookback:
                ref = oi
                break
        if ref is None or ref <= 0:
            return None
        if self.oi_history[0][0] > now - lookback * 0.25:
            return None  # too little history to call it a change over the lookback
        return (self.oi_usd - ref) / ref * 100.0

    def activity(self) -> float:
        return self.long.window.total + self.short.window.total


def _side_activity(cfg: Config) -> SideActivity:
    w = cfg.window
    return SideActivity(w.window_s, w.short_window_s, w.baseline_halflife_s)


def new_market_state(market: str, cfg: Config) -> MarketState:
    return MarketState(
        market=market, long=_side_activity(cfg), short=_side_activity(cfg), vol=RealisedVol(cfg.exits.vol_lookback_s)
    )


def apply_liquidation(st: MarketState, ev: Liquidation) -> None:
    s = st.long if ev.side == LONG else st.short
    ts, usd = ev.ts_recv, ev.usd
    s.pair.add(ts, usd)
    s.baselines.add(ts, usd)
    st.last_liq_ts = ts
    st.liq_count += 1
    st.venues.add(ev.venue)
    if not st.symbol:
        st.symbol = ev.symbol


def apply_price(st: MarketState, ev: MarkPrice | Trade) -> None:
    if isinstance(ev, MarkPrice):
        st.mark = ev.mark
        if not st.has_trades:  # without a trade stream the mark is the best price we have
            st.price = ev.mark
        if ev.funding_rate is not None and math.isfinite(ev.funding_rate):
            interval = ev.funding_interval_h if ev.funding_interval_h and ev.funding_interval_h > 0 else 8.0
            st.funding_rate = ev.funding_rate * 8.0 / interval
            st.funding_interval_h = interval
        st.next_funding_ts = ev.next_funding_ts
        st.vol.update(ev.ts_recv, ev.mark)
        if not st.has_trades and ev.ts_recv >= st.prices.due_ts:  # the check inline: most prices are not kept
            st.prices.add(ev.ts_recv, ev.mark)
    else:
        st.has_trades = True
        st.price = ev.price
        st.vol.update(ev.ts_recv, ev.price)
        if ev.ts_recv >= st.prices.due_ts:
            st.prices.add(ev.ts_recv, ev.price)
    st.venues.add(ev.venue)
    if not st.symbol:
        st.symbol = ev.symbol


def apply_open_interest(st: MarketState, ev: OpenInterest, lookback: float) -> None:
    st.oi_by_venue[ev.venue] = ev.oi_usd
    st.oi_usd = sum(st.oi_by_venue.values())
    hist = st.oi_history
    if not hist or ev.ts_recv - hist[-1][0] >= 5.0:
        hist.append((ev.ts_recv, st.oi_usd))
    while len(hist) > 2 and hist[1][0] < ev.ts_recv - lookback:
        hist.popleft()
    st.venues.add(ev.venue)
