"""The Engine: normalised events and typed commands in, engine events out.

One engine for live feeds, the simulator, replay and backtests: only the event source and
the clock change. Time always comes from the injected clock; `process(ev)` first moves the
engine to the clock's now (fills due, signals expiring, exits on time) and then applies
the event, so nothing is ever decided with information from the future.

When decisions are made: a watching market is evaluated after every frame that changed it
(`process_many`'s batch, or one event through `process`), and every time-based decision
(entry delay over, quiet period, watch timeout, signal expiry, max hold, a window draining) is
an exact deadline on `self._deadlines`, handled at its own time by `advance` — in time order,
on the state as it was before the event that moved the clock past it. `next_deadline()` tells
a source when to wake the engine (core/deadlines.py).
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable

from core.brokers.base import Broker, Order
from core.brokers.paper import PaperBroker
from core.cascade_score import CascadeScore
from core.clock import Clock
from core.config import Config
from core.deadlines import DeadlineQueue
from core.engine_commands import (
    MODE_LABELS,
    MODES,
    Arm,
    Command,
    CommandResult,
    Confirm,
    Disarm,
    Flatten,
    FlattenAll,
    Kill,
    Mode,
    Reject,
    ResultCode,
)
from core.engine_events import (
    CommandApplied,
    EngineEvent,
    FeedStateChanged,
    ModeChanged,
    SignalEnded,
    SignalRaised,
    WatchEnded,
    WatchStarted,
)
from core.events import Event, Liquidation, OpenInterest, OrderSide, Side, base_asset
from core.feeds.health import BLOCKING_STATES
from core.fuel_map import FuelMap, NoFuelMap
from core.instruments import Instrument
from core.market_state import MarketState, apply_liquidation, apply_open_interest, apply_price, new_market_state
from core.order_flow import OrderFlow
from core.playbooks import detectors_for
from core.positions import ClosedTrade, Position
from core.risk import RiskManager
from core.setup_inputs import market_score
from core.signals import SIGNAL, Detector, Signal
from core.sizing import size_entry
from core.timed_decisions import TimedDecisions

log = logging.getLogger("liqhunt.engine")


class Engine(OrderFlow, TimedDecisions):
    def __init__(
        self,
        config: Config,
        clock: Clock,
        broker: Broker | None = None,
        fuel_map: FuelMap | None = None,
        instruments: Iterable[Instrument] = (),
        mode: str = Mode.WATCH,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.cfg = config
        self.clock = clock
        self.fuel_map: FuelMap = fuel_map or NoFuelMap()
        # a heatmap estimator learns from the same events (OI changes, prices, realised liquidations)
        self._fuel_observe = getattr(self.fuel_map, "observe", None)
        # liquidations are nearly every event: straight to the estimator's own handler when it has one
        self._fuel_liquidation = getattr(self.fuel_map, "observe_liquidation", None) or self._fuel_observe
        self.instruments: dict[str, Instrument] = {}
        self.add_instruments(instruments)
        self.broker: Broker = broker or PaperBroker(config.broker, self.price_of, self.pressure_of)
        self.mode = Mode(mode)
        self.risk = RiskManager(config.risk)
        self.markets: dict[str, MarketState] = {}
        self.detectors: dict[str, list[Detector]] = {}  # per market, one per playbook (core/playbooks.py)
        self.signals: dict[str, Signal] = {}  # pending signals by id
        self.positions: dict[str, Position] = {}  # by market
        self.orders: dict[str, Order] = {}  # in flight
        self.pending_entries: dict[str, Order] = {}  # market -> entry order in flight
        self._entry_plans: dict[str, Signal] = {}  # entry order id -> the signal it came from
        self.trades: list[ClosedTrade] = []
        self.realised_pnl = 0.0
        self.fees_paid = 0.0
        self.tape: deque[Liquidation] = deque(maxlen=config.window.tape_rows)
        self.liquidations_seen = 0
        self.counts: Counter[str] = Counter()  # events by kind, plus "filtered"
        self.feed_states: dict[str, str] = {}
        self.stale_venues: set[str] = set()
        self._subscribers: list[Callable[[EngineEvent], None]] = []
        # insertion-ordered (not a set): markets are re-checked in the order they started watching, so
        # the outputs do not depend on PYTHONHASHSEED (string hashes are randomised per process)
        self._watching: dict[str, None] = {}
        self._dirty: dict[str, None] = {}  # watching markets changed by the frame being applied
        self._deadlines = DeadlineQueue()
        self._agenda = self._deadlines.heap
        self._market_due: dict[str, float] = {}  # market -> the deadline it expects (older ones are stale)
        self._position_due: dict[str, float] = {}  # market -> its position's next time-based check
        self._ids = itertools.count(1)
        self._now = float("-inf")
        f = config.filters
        self._include = set(f.markets)
        self._exclude = set(f.exclude_markets)
        self._sides = set(f.sides)
        self._market_filter = bool(self._include or self._exclude)

    # -- wiring ---------------------------------------------------------------------------------
    def subscribe(self, fn: Callable[[EngineEvent], None]) -> Callable[[], None]:
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn)

    def _emit(self, ev: EngineEvent) -> None:
        for fn in list(self._subscribers):
            try:
                fn(ev)
            except Exception:  # a broken subscriber must never stop trading logic
                log.exception("engine subscriber failed on %s", type(ev).__name__)

    def add_instruments(self, instruments: Iterable[Instrument]) -> None:
        for ins in instruments:
            self.instruments.setdefault(ins.market, ins)

    # -- queries used by the broker and the console -----------------------------------------------
    def price_of(self, market: str) -> float | None:
        st = self.markets.get(market)
        return st.price if st else None

    def mark_of(self, market: str) -> float | None:
        st = self.markets.get(market)
        if st is None:
            return None
        return st.mark if st.mark is not None else st.price

    def pressure_of(self, market: str, side: OrderSide) -> float:
        """USD liquidated in the window pushing the same way as an order (forced sells = long liquidations)."""
        st = self.markets.get(market)
        if st is None:
            return 0.0
        return (st.long if side == "sell" else st.short).window.total

    @property
    def now(self) -> float:
        return self._now

    # -- event intake -----------------------------------------------------------------------------
    def process(self, ev: Event) -> None:
        """One event as a frame of its own: time moves, the event is applied, its market evaluated."""
        self.advance(self.clock.now())
        self._take(ev)
        if self._dirty:
            self._evaluate_changed()

    def process_many(self, events: Iterable[Event]) -> None:
        """The events of one frame: engine time moves once, each is applied (the hot path), then
        each watching market the frame changed is evaluated once, so an entry is decided at the
        frame that makes it due."""
        self.advance(self.clock.now())
        take = self._take
        for ev in events:
            take(ev)
        if self._dirty:
            self._evaluate_changed()

    def _evaluate_changed(self) -> None:
        now, watching, detectors = self._now, self._watching, self.detectors
        dirty = self._dirty  # kept and cleared, not replaced: no new container per frame for the collector
        for market in dirty:  # evaluating applies no event, so nothing is added while this runs
            if market not in watching:
                continue
            st = self.markets[market]
            for det in detectors[market]:
                if det.active and now >= det.decides_from and not det.skips_frame(now, st):
                    self._evaluate(market, now)
                    break
            else:  # every active playbook waits for a timer or cannot pass on this frame (exact
                # pre-checks: the ride decides nothing before its entry delay is over, nor while a
                # cheap filter fails); a watch just started has its timer put on the deadlines
                if market not in self._market_due:
                    self._schedule_market(market, now)
        dirty.clear()

    def _take(self, ev: Event) -> None:
        kind = ev.kind
        counts = self.counts
        counts[kind] += 1
        market = ev.market
        if self._market_filter and ((self._include and market not in self._include) or market in self._exclude):
            counts["filtered"] += 1
            return
        st = self.markets.get(market)
        if st is None:
            st = self._new_market(market)
        if kind == "liquidation":  # the most frequent kind first
            if self._fuel_liquidation is not None:
                self._fuel_liquidation(ev)
            if ev.usd < self.cfg.filters.min_usd or ev.side not in self._sides:  # type: ignore[union-attr]
                counts["filtered"] += 1
                return
            self._on_liquidation(st, ev)  # type: ignore[arg-type]
            return
        if self._fuel_observe is not None:
            self._fuel_observe(ev)
        if kind in ("mark", "trade"):
            if kind == "mark":
                self._funding_on_mark(market, ev)  # type: ignore[arg-type]
            apply_price(st, ev)  # type: ignore[arg-type]
            self._on_price(st)
        elif kind == "open_interest":
            assert isinstance(ev, OpenInterest)
            apply_open_interest(st, ev, self.cfg.score.oi_lookback_s)
            if market in self._watching:
                self._dirty[market] = None  # open interest is one of the score's inputs

    def _on_liquidation(self, st: MarketState, ev: Liquidation) -> None:
        now = self._now
        market = st.market
        apply_liquidation(st, ev)
        self.tape.append(ev)
        self.liquidations_seen += 1
        active = False
        for det in self.detectors[market]:
            if det.observe_market(ev, now, st):
                self._emit(WatchStarted(now, market, ev.side, ev.usd))
            if not active and det.active:
                active = True
        if active:
            self._watching[market] = None
            # evaluated once at the end of the frame, however many of its events hit this market
            self._dirty[market] = None
        if self.positions:
            pos = self.positions.get(market)
            if pos is not None:
                self._check_position(pos, st, now)
                self._schedule_position(pos, st)  # a first event in an empty window starts its drain

    def _new_market(self, market: str) -> MarketState:
        st = self.markets[market] = new_market_state(market, self.cfg)
        self.detectors[market] = detectors_for(market, self.cfg)
        return st

    def _on_price(self, st: MarketState) -> None:
        if st.market in self._watching and st.price is not None:
            for det in self.detectors[st.market]:
                det.on_price(st.price)
            self._dirty[st.market] = None  # price moves the fade's retrace and the ride's heatmap inputs
        pos = self.positions.get(st.market)
        if pos is not None:
            self._check_position(pos, st, self._now)
            self._check_daily_loss(self._now)

    # -- time -------------------------------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Move engine time to `now`: every deadline passed on the way is handled at its own time,
        in time order (fills due by then first); then the fills due at `now`."""
        if now < self._now:
            return  # time never runs backwards; a late event is applied at the current time
        agenda = self._agenda  # the deadline heap itself: this check runs on every frame
        if agenda and agenda[0][0] <= now:
            self._run_deadlines(now)
        self._now = now
        self._poll_broker(now)

    def tick(self) -> None:
        self.advance(self.clock.now())

    # -- signals ----------------------------------------------------------------------------------
    def score_for(self, market: str, side: Side, now: float | None = None) -> CascadeScore:
        return market_score(self.markets[market], side, self._now if now is None else now, self.cfg, self.fuel_map)

    def _evaluate(self, market: str, now: float) -> None:
        active = False
        for det in self.detectors[market]:
            if not det.active:
                continue
            sig = det.evaluate_market(now, self.markets[market], self.cfg, self.fuel_map)
            if det.active:
                active = True
            elif sig is None and det.state != SIGNAL:
                self._emit(WatchEnded(now, market, det.last_outcome))
            if sig is not None:
                self._raise(sig)
        if active:
            self._schedule_market(market, now)
        else:
            self._watching.pop(market, None)
            self._market_due.pop(market, None)

    def _raise(self, sig: Signal) -> None:
        self._plan(sig)
        self.signals[sig.id] = sig
        self._schedule_signal(sig)
        self._emit(SignalRaised(self._now, sig))
        if self.mode == Mode.AUTO:
            self._enter(sig)

    def _plan(self, sig: Signal) -> None:
        # each playbook set the signal's stop and target when it raised it
        decision = size_entry(
            sig.score.total, sig.window_usd, sig.price, sig.stop_pct, self.cfg.sizing, self.instruments.get(sig.market)
        )
        sig.qty = decision.qty
        sig.notional = decision.notional
        sig.risk_usd = decision.risk_usd
        sig.reward_risk = sig.take_profit_pct / sig.stop_pct if sig.stop_pct > 0 else 0.0
        sig.extras["risk_budget_usd"] = decision.budget_usd
        sig.extras["size_capped_by"] = decision.capped
        sig.extras["size_skip"] = decision.skip_reason
        sig.extras["volume_factor"] = decision.volume_factor

    def _end_signal(self, sig: Signal, status: str, reason: str) -> None:
        self.signals.pop(sig.id, None)
        for det in self.detectors.get(sig.market, ()):
            if det.signal is sig:
                det.resolve(self._now, status, reason)
                break
        else:
            sig.status, sig.reason = status, reason
        self._emit(SignalEnded(self._now, sig))

    # -- commands ---------------------------------------------------------------------------------
    def submit(self, cmd: Command) -> CommandResult:
        """Apply a command now; the result (also emitted for the journal) says what happened."""
        self.advance(self.clock.now())
        result = self._apply(cmd)
        self._emit(CommandApplied(self._now, cmd, result))
        return result

    def _apply(self, cmd: Command) -> CommandResult:
        if isinstance(cmd, Arm):
            if cmd.mode not in (Mode.SEMI, Mode.AUTO):
                return CommandResult(False, ResultCode.UNKNOWN_MODE, f"unknown mode {cmd.mode!r}")
            if self.risk.loss_limit_breached(self._now, self.unrealised()):
                return CommandResult(False, ResultCode.REFUSED_LOSS_LIMIT, "refused: daily loss limit reached")
            self.risk.killed = False
            self._set_mode(Mode(cmd.mode), "user")
            return CommandResult(True, ResultCode.ARMED, f"armed {MODE_LABELS[cmd.mode]}")
        if isinstance(cmd, Disarm):
            self._set_mode(Mode.WATCH, cmd.reason)
            return CommandResult(True, ResultCode.DISARMED, "disarmed")
        if isinstance(cmd, Confirm):
            sig = self.signals.get(cmd.signal_id)
            if sig is None:
                return CommandResult(
                    False, ResultCode.NO_SUCH_SIGNAL, "no such pending signal (already expired or handled)"
                )
            if self.mode != Mode.SEMI:
                return CommandResult(False, ResultCode.WRONG_MODE, f"confirm ignored in {MODE_LABELS[self.mode]} mode")
            if self._now >= sig.expires_ts:
                self._end_signal(sig, "expired", "confirmed too late")
                return CommandResult(False, ResultCode.SIGNAL_EXPIRED, "too late: signal expired")
            self._enter(sig)
            return CommandResult(True, ResultCode.CONFIRMED, f"confirmed {sig.market}: {sig.status}")
        if isinstance(cmd, Reject):
            sig = self.signals.get(cmd.signal_id)
            if sig is None:
                return CommandResult(False, ResultCode.NO_SUCH_SIGNAL, "no such pending signal")
            self._end_signal(sig, "rejected", "rejected by user")
            return CommandResult(True, ResultCode.SKIPPED, f"skipped {sig.market}")
        if isinstance(cmd, Flatten):
            return CommandResult(True, ResultCode.CLOSING, self._flatten([cmd.market], "flatten"))
        if isinstance(cmd, FlattenAll):
            return CommandResult(True, ResultCode.CLOSING, self._flatten(list(self.positions), "flatten"))
        if isinstance(cmd, Kill):
            self.risk.killed = True
            self._set_mode(Mode.WATCH, "kill switch")
            for sig in list(self.signals.values()):
                self._end_signal(sig, "rejected", "kill switch")
            self.broker.cancel_all(self._now)
            for market, order in list(self.pending_entries.items()):
                if order.status == "cancelled":
                    self.orders.pop(order.id, None)
                    self._entry_plans.pop(order.id, None)
                    del self.pending_entries[market]
            return CommandResult(True, ResultCode.KILLED, "KILLED: " + self._flatten(list(self.positions), "kill"))
        return CommandResult(False, ResultCode.UNKNOWN_COMMAND, f"unknown command {cmd!r}")

    def _set_mode(self, mode: Mode, reason: str) -> None:
        if mode == self.mode:
            return
        old, self.mode = self.mode, mode
        self._emit(ModeChanged(self._now, old, mode, reason))

    # -- feed health ------------------------------------------------------------------------------
    def set_feed_state(self, venue: str, state: str, reason: str = "") -> None:
        if self.feed_states.get(venue) == state:
            return
        self.feed_states[venue] = state
        if state in BLOCKING_STATES:
            self.stale_venues.add(venue)
        else:
            self.stale_venues.discard(venue)
        self._emit(FeedStateChanged(self._now, venue, state, reason))

    def stale_inputs(self, market: str) -> frozenset[str]:
        """The stale or down venues among those that have fed `market`: what blocks its entries.

        A venue that never delivered anything for a market is not one of its inputs, so a venue
        that is down from the start (or one that does not list the market) blocks nothing there."""
        st = self.markets.get(market)
        if st is None or not self.stale_venues:
            return frozenset()
        return frozenset(self.stale_venues & st.venues)

    def missing_venues(self, asset: str) -> frozenset[str]:
        """For the cross-venue aggregate of a base asset: venues that fed it and are stale or down now.
        The aggregate keeps counting what the live venues send; this says whose data is missing."""
        fed: set[str] = set()
        for market, st in self.markets.items():
            if base_asset(market) == asset:
                fed |= st.venues
        return frozenset(self.stale_venues & fed)
