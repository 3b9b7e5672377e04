"""Per-market signal state machine for riding a cascade.

idle ──(single liquidation ≥ watch_min_usd)──> watching
watching ──(5–15 s after that first event, every filter passes)──> signal
watching ──(no signal by entry_delay_max_s)──> idle   (the setup never developed)
signal ──(entered / rejected / blocked / ttl passed)──> idle, re-armed after rearm_after_s

Long liquidations (forced sells) give a SELL signal; short liquidations (a squeeze) a BUY.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from core.cascade_score import CascadeScore
from core.config import Config, SignalConfig
from core.events import LONG, Liquidation, OrderSide, Side
from core.fuel_map import FuelMap, SupportCheck
from core.market_state import MarketState
from core.positions import stop_pct_for
from core.setup_inputs import VOL_HORIZON_S, market_score


class SignalState(StrEnum):
    """Where a market's detector is: idle, watching a developing cascade (ride) or tracking one
    until it is exhausted (fade), or holding a raised signal."""

    IDLE = "idle"
    WATCHING = "watching"
    TRACKING = "tracking"
    SIGNAL = "signal"


IDLE, WATCHING, TRACKING, SIGNAL = SignalState.IDLE, SignalState.WATCHING, SignalState.TRACKING, SignalState.SIGNAL

# While a watch fails a cheap filter it is not scored on every frame (nothing can come of it); its
# filter list, which the console shows, is refreshed this often in engine time instead
FILTERS_REFRESH_S = 0.1


@dataclass(frozen=True, slots=True)
class FilterResult:
    name: str
    passed: bool
    detail: str


class LazyFilter(FilterResult):
    """A filter result whose detail text is formatted when read (the console, the journal), not at
    every evaluation. Pickled and deep-copied as the plain `FilterResult` it reads as."""

    __slots__ = ("_fmt", "_args")
    _fmt: Callable[..., str]
    _args: tuple

    def __init__(self, name: str, passed: bool, fmt: Callable[..., str], *args) -> None:
        put = object.__setattr__  # frozen: set once, here
        put(self, "name", name)
        put(self, "passed", passed)
        put(self, "_fmt", fmt)
        put(self, "_args", args)

    @property
    def detail(self) -> str:
        return self._fmt(*self._args)

    def __eq__(self, other: object) -> bool:  # equal to the plain one it reads as
        if not isinstance(other, FilterResult):
            return NotImplemented
        return (self.name, self.passed, self.detail) == ((other.name, other.passed, other.detail))

    __hash__ = FilterResult.__hash__

    def __reduce__(self):
        return (FilterResult, (self.name, self.passed, self.detail))


def _usd_vs(got: float, need: float) -> str:
    return f"${got:,.0f} vs ${need:,.0f}"


def _count_vs(got: int, need: int) -> str:
    return f"{got} vs {need}"


def _score_vs(got: float, need: float) -> str:
    return f"{got:.1f} vs {need:g}"


def _funding_vs(got: float, need: float) -> str:
    return f"{got * 100:+.4f} %/8h vs ≥ {need * 100:+.4f}"


def _support_text(sup: SupportCheck, max_pct: float) -> str:
    if not sup.known:
        return "heatmap unknown"
    if sup.blocks:
        return f"${sup.usd or 0:,.0f} cluster {sup.distance_pct:.1f} % away"
    return f"no large cluster within {max_pct:g} %"


@dataclass
class Signal:
    id: str
    market: str
    liquidated: Side
    order_side: OrderSide
    score: CascadeScore
    first_ts: float  # the first large liquidation
    first_usd: float
    raised_ts: float
    expires_ts: float
    price: float  # reference price when raised
    window_usd: float
    window_events: int
    filters: tuple[FilterResult, ...]
    playbook: str = "ride"
    status: str = "pending"  # pending | entered | rejected | expired | blocked | ignored
    reason: str = ""  # why it ended (risk rule, user, expiry)
    # the plan shown before confirming; the engine fills it in when the signal is raised
    qty: float = 0.0
    notional: float = 0.0
    stop_pct: float = 0.0
    take_profit_pct: float = 0.0
    risk_usd: float = 0.0  # dollars lost if the stop is hit at the planned size (before fees and slippage)
    reward_risk: float = 0.0  # take-profit distance ÷ stop distance
    extras: dict = field(default_factory=dict)

    def seconds_left(self, now: float) -> float:
        return max(0.0, self.expires_ts - now)

    @property
    def stop_price(self) -> float:
        return (
            self.price * (1 + self.stop_pct / 100)
            if self.order_side == "sell"
            else self.price * (1 - self.stop_pct / 100)
        )

    @property
    def take_profit_price(self) -> float:
        return (
            self.price * (1 - self.take_profit_pct / 100)
            if self.order_side == "sell"
            else self.price * (1 + self.take_profit_pct / 100)
        )


@dataclass(frozen=True, slots=True)
class SetupView:
    """What the filters look at, gathered by the engine at evaluation time."""

    window_usd: float
    window_events: int
    score: CascadeScore
    funding_signed: float | None
    support: SupportCheck
    price: float | None


def ride_setup(st: MarketState, side: Side, now: float, cfg: Config, fuel_map: FuelMap) -> SetupView:
    """The ride playbook's inputs from one market, gathered when it evaluates."""
    s = st.side(side)
    score = market_score(st, side, now, cfg, fuel_map)
    price = st.price or st.mark
    sc = cfg.signal
    # "large" is relative to the cascade: a cluster the size of what already burned won't stop it
    min_support = max(sc.support_min_usd, sc.support_window_mult * s.window.total)
    support = (
        fuel_map.support_within(st.market, side, price, sc.support_max_pct, min_support)
        if price
        else SupportCheck(False)
    )
    return SetupView(s.window.total, s.window.count, score, st.funding_for(side), support, price)


class Detector:
    """A playbook: one per market, driven by the engine through the four calls below, which is
    all the engine knows of any playbook (core/playbooks.py lists them). Also what they share:
    ending a signal, then re-arming."""

    playbook = ""
    outcome_label = "signal"
    signal_cfg: SignalConfig
    state: SignalState
    # while active, before this engine time evaluate_market decides nothing and changes nothing
    # (a timer the engine has on its deadlines): the engine skips it for a frame before then
    decides_from = float("-inf")
    signal: Signal | None
    side: Side | None
    last_outcome: str

    @classmethod
    def for_market(cls, market: str, cfg: Config) -> Detector:
        raise NotImplementedError

    @property
    def active(self) -> bool:
        """Following a developing setup (the engine keeps re-evaluating the market)."""
        return self.state in (WATCHING, TRACKING)

    def observe_market(self, ev: Liquidation, now: float, st: MarketState) -> bool:
        """Every liquidation on the market (already applied to `st`); True when it starts a watch."""
        raise NotImplementedError

    def on_price(self, price: float) -> None:
        """Every price on a market being watched; most playbooks read prices only when evaluating."""

    def evaluate_market(self, now: float, st: MarketState, cfg: Config, fuel_map: FuelMap) -> Signal | None:
        """After each frame that changed its market and at its deadlines while active; returns a
        newly raised signal."""
        raise NotImplementedError

    def skips_frame(self, now: float, st: MarketState) -> bool:
        """True when a frame that changed the market cannot change what `evaluate_market` decides
        (an exact pre-check the engine makes before evaluating on a frame; deadlines always evaluate)."""
        return False

    def next_deadline(self, now: float, st: MarketState) -> float | None:
        """While active: the next engine time at which time alone (no new event) can change what
        `evaluate_market` decides — a timer ending, a window expiry the setup waits for. The
        engine evaluates the market then; None when only events can."""
        return None

    def resolve(self, now: float, status: str, reason: str = "") -> Signal | None:
        """End the current signal (entered / rejected / expired / blocked)."""
        sig = self.signal
        if sig is None:
            return None
        sig.status, sig.reason = status, reason
        self.last_outcome = f"{self.outcome_label} {status}" + (f": {reason}" if reason else "")
        self._reset(now, rearm=True)
        return sig

    def _reset(self, now: float, rearm: bool) -> None:
        """Back to idle; after a signal (rearm) the market is not watched again for a while."""
        self.state = IDLE
        self.side = None
        self.signal = None
        if rearm:
            self._rearm_at = now + self.signal_cfg.rearm_after_s


class SignalDetector(Detector):
    """One per market. `observe` on every liquidation; `evaluate` on events and clock ticks."""

    playbook = "ride"

    def __init__(self, market: str, cfg: SignalConfig) -> None:
        self.market = market
        self.cfg = self.signal_cfg = cfg
        self.state = IDLE
        self.side: Side | None = None
        self.first_ts: float | None = None
        self.first_usd = 0.0
        self.signal: Signal | None = None
        self.last_filters: tuple[FilterResult, ...] = ()
        self.last_outcome = ""  # why the last watch ended, for the UI
        self._rearm_at = float("-inf")
        self._filters_due = float("-inf")  # engine time after which a failing watch is scored again for display
        self._seq = 0

    @classmethod
    def for_market(cls, market: str, cfg: Config) -> SignalDetector:
        return cls(market, cfg.signal)

    def observe_market(self, ev: Liquidation, now: float, st: MarketState | None = None) -> bool:
        """A large liquidation starts a watch. Returns True if it did (every liquidation passes here)."""
        if self.state is not IDLE or now < self._rearm_at or ev.usd < self.cfg.watch_min_usd:
            return False
        self._filters_due = float("-inf")
        self.state = WATCHING
        self.side = ev.side
        self.first_ts = ev.ts_recv
        self.decides_from = ev.ts_recv + self.cfg.entry_delay_min_s
        self.first_usd = ev.usd
        self.last_filters = ()
        return True

    observe = observe_market  # the ride reads nothing from the market to start a watch

    def skips_frame(self, now: float, st: MarketState) -> bool:
        # inside the entry window with a cheap filter failing: nothing to decide, and the filter
        # list the console shows was refreshed less than FILTERS_REFRESH_S ago
        first_ts, c = self.first_ts, self.cfg
        return (
            now < self._filters_due
            and self.state is WATCHING
            and first_ts is not None
            and first_ts + c.entry_delay_min_s <= now <= first_ts + c.entry_delay_max_s
            and self.cheap_filter_fails(st, self.side)  # type: ignore[arg-type]
        )

    def evaluate_market(self, now: float, st: MarketState, cfg: Config, fuel_map: FuelMap) -> Signal | None:
        sig = self.evaluate(now, lambda side: ride_setup(st, side, now, cfg, fuel_map))
        if sig is not None:  # the ride's stop follows recent volatility; its target is the exit rules' own
            sig.stop_pct = stop_pct_for(st.vol.sigma_over(VOL_HORIZON_S), cfg.exits)
            sig.take_profit_pct = cfg.exits.take_profit_pct
        return sig

    def next_deadline(self, now: float, st: MarketState) -> float | None:
        # the entry delay's end, then the watch's timeout (it ends once strictly past the maximum).
        # Otherwise time only drains the window and the rates, which never makes the setup pass
        # (the baseline's slow decay aside), so frames decide the rest.
        if self.state != WATCHING or self.first_ts is None:
            return None
        opens = self.first_ts + self.cfg.entry_delay_min_s
        if now < opens:
            return opens
        return math.nextafter(self.first_ts + self.cfg.entry_delay_max_s, math.inf)

    def cheap_filter_fails(self, st: MarketState, side: Side) -> bool:
        """True when the window, events or funding filter fails on the market as it stands: a few
        attribute reads, against ~15 µs for the score and the heatmap's support. Exact as a gate:
        the windows are read before the expiry the score's rates apply, so their totals can only be
        larger than check_filters sees, and funding changes only with a mark."""
        w = (st.long if side == LONG else st.short).window
        c = self.cfg
        if not (w.total >= c.window_min_usd and w.count >= c.min_events):
            return True
        if c.require_funding:
            funding = st.funding_for(side)
            return funding is None or not funding >= c.funding_min_rate
        return False

    def check_filters(self, view: SetupView) -> tuple[FilterResult, ...]:
        c = self.cfg
        fs: list[FilterResult] = [
            LazyFilter("window", view.window_usd >= c.window_min_usd, _usd_vs, view.window_usd, c.window_min_usd),
            LazyFilter("events", view.window_events >= c.min_events, _count_vs, view.window_events, c.min_events),
            LazyFilter("score", view.score.total >= c.score_min, _score_vs, view.score.total, c.score_min),
        ]
        if c.require_funding:
            if view.funding_signed is None:
                fs.append(FilterResult("funding", False, "funding unknown"))
            else:
                fs.append(
                    LazyFilter(
                        "funding",
                        view.funding_signed >= c.funding_min_rate,
                        _funding_vs,
                        view.funding_signed,
                        c.funding_min_rate,
                    )
                )
        sup = view.support
        fs.append(LazyFilter("support", not (sup.known and sup.blocks), _support_text, sup, c.support_max_pct))
        return tuple(fs)

    def evaluate(self, now: float, gather: Callable[[Side], SetupView]) -> Signal | None:
        """Advance the state machine; returns a newly raised signal, if any. (The engine does not
        call it on a frame `skips_frame` rules out.)"""
        if self.state != WATCHING or self.first_ts is None or self.side is None:
            return None
        # the same sums as next_deadline's, so a check at a deadline sees the timer as over
        if now > self.first_ts + self.cfg.entry_delay_max_s:
            self.last_outcome = "watch ended: " + (
                ", ".join(f.name for f in self.last_filters if not f.passed) or "no follow-through"
            )
            self._reset(now, rearm=False)
            return None
        if now < self.first_ts + self.cfg.entry_delay_min_s:
            return None
        view = gather(self.side)
        self._filters_due = now + FILTERS_REFRESH_S
        self.last_filters = self.check_filters(view)
        if not all(f.passed for f in self.last_filters) or view.price is None:
            return None
        self._seq += 1
        side = self.side
        sig = Signal(
            id=f"{self.market}#{self._seq}@{now:.3f}",
            market=self.market,
            liquidated=side,
            order_side="sell" if side == LONG else "buy",
            score=view.score,
            first_ts=self.first_ts,
            first_usd=self.first_usd,
            raised_ts=now,
            expires_ts=now + self.cfg.signal_ttl_s,
            price=view.price,
            window_usd=view.window_usd,
            window_events=view.window_events,
            filters=self.last_filters,
        )
        self.state = SIGNAL
        self.signal = sig
        return sig

    def _reset(self, now: float, rearm: bool) -> None:
        self.first_ts = None
        super()._reset(now, rearm)
