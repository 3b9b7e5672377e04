"""What the console reads: the rows and the EngineSnapshot, as plain frozen data.

`core.snapshot.SnapshotBuilder` fills them from the engine at the refresh rate; the console's
panes take nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.alerts import Alert
from core.cascade_score import CascadeScore
from core.events import Liquidation, OrderSide, Side
from core.heat_levels import Levels
from core.positions import ClosedTrade
from core.signals import FilterResult

OK_FEED_STATES = ("connected", "simulated", "replay")
SIGNAL_LOG_ROWS = 500


# -- rows ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MarketView:
    """One row of the windows list. `score` is None for rows off screen (not computed), and so are
    `filters` and `outcome` (empty) unless the row is the selected market."""

    market: str
    long_usd: float
    short_usd: float
    long_events: int
    short_events: int
    events_per_s: float
    score: CascadeScore | None
    dominant: Side
    state: str  # idle | watching | SIGNAL | in position
    seconds_left: float | None
    price: float | None
    funding: float | None
    playbook: str = ""  # which playbook is watching / signalling
    filters: tuple[FilterResult, ...] = ()  # the last filter check of the watching playbook
    outcome: str = ""  # why the last watch ended

    @property
    def blocker(self) -> FilterResult | None:
        """The first filter that fails: why this market is not signalling."""
        return next((f for f in self.filters if not f.passed), None)


@dataclass(frozen=True, slots=True)
class PositionView:
    market: str
    side: Side
    qty: float
    entry_price: float
    mark: float | None
    stop_price: float
    take_profit_price: float
    stop_pct: float
    pnl: float
    held_s: float
    max_hold_s: float
    exit_rule: str
    exit_how: str
    exit_pending: str
    r: float  # P&L in units of the dollar risk at the stop
    playbook: str = "ride"


@dataclass(frozen=True, slots=True)
class SignalView:
    """A pending signal with its plan and what it risks, as the confirm panel shows it."""

    id: str
    market: str
    playbook: str
    order_side: OrderSide
    liquidated: Side
    score: CascadeScore
    first_ts: float
    raised_ts: float
    expires_ts: float
    seconds_left: float
    price: float
    qty: float
    notional: float
    stop_price: float
    stop_pct: float
    take_profit_price: float
    take_profit_pct: float
    window_usd: float
    window_events: int
    filters: tuple[FilterResult, ...]
    why: str
    size_skip: str
    risk_usd: float  # loss if the stop fills at its price
    reward_usd: float  # gain if the target fills at its price
    reward_risk: float
    size_reason: str  # how the size came out of the score and the window
    needs_confirm: bool


@dataclass(frozen=True, slots=True)
class SignalLogRow:
    ts: float
    market: str
    playbook: str
    side: OrderSide
    score: float
    status: str  # raised | entered | rejected | expired | blocked | ignored
    reason: str


@dataclass(frozen=True, slots=True)
class RiskView:
    killed: bool
    open_positions: int
    pending_entries: int
    max_open: int
    realised_today: float
    unrealised: float
    daily_loss: float
    daily_loss_limit: float
    trades_today: tuple[tuple[str, int], ...]
    max_trades_per_market: int
    blocks: tuple[tuple[str, int], ...]
    last_block: tuple[float, str, str, str] | None
    open_notional: float
    max_notional_per_trade: float
    max_total_notional: float

    @property
    def today(self) -> float:
        return self.realised_today + self.unrealised


@dataclass(frozen=True, slots=True)
class FeedView:
    venue: str
    state: str  # connected | stale | reconnecting | connecting | down | simulated | replay | finished | failed
    msgs_per_s: float | None = None
    lag_ms: float | None = None
    reconnects: int = 0
    reason: str = ""
    last_msg_age_s: float | None = None
    dropped: tuple[tuple[str, int], ...] = ()
    next_retry_s: float | None = None
    received: int = 0
    last_error: str = ""  # the latest failure, kept after recovery
    ever_connected: bool | None = None  # None: the source does not say (simulator, replay)
    coverage: str = ""  # how complete the venue's liquidation stream is

    @property
    def ok(self) -> bool:
        return self.state in OK_FEED_STATES

    @property
    def never_connected(self) -> bool:
        if self.ever_connected is not None:
            return not self.ever_connected and self.state in ("connecting", "reconnecting", "down", "stale")
        return self.received == 0 and self.state in ("connecting", "reconnecting", "down", "stale")


@dataclass(frozen=True, slots=True)
class Notice:
    """Something that happened between two snapshots, for the status line."""

    ts: float
    text: str
    level: str = "info"  # info | warn | error


@dataclass(frozen=True, slots=True)
class SourceView:
    label: str = ""
    kind: str = "none"  # none | sim | replay | live
    paused: bool = False
    speed: float | None = None
    finished: bool = False
    progress: float | None = None  # 0..1 for a replay that knows its length
    seeking: bool = False  # fast-forwarding through the engine (replay / simulator seek keys)


@dataclass(frozen=True)
class EngineSnapshot:
    now: float
    mode: str
    markets: tuple[MarketView, ...]  # rows in list order; scores only in the requested slice
    markets_total: int
    positions: tuple[PositionView, ...]
    pending_entries: tuple[str, ...]
    signals: tuple[SignalView, ...]  # pending, oldest first
    risk: RiskView
    feeds: tuple[FeedView, ...]
    stale_venues: tuple[str, ...]
    source: SourceView
    tape: tuple[Liquidation, ...]  # new since the last build, oldest first
    tape_skipped: int  # arrived and left the engine's ring between two builds
    liquidations_seen: int
    events_seen: int
    closed_trades: int
    realised_pnl: float
    fees_paid: float
    selected: str = ""
    selected_price: float | None = None
    selected_prices: tuple[tuple[float, float], ...] = ()  # (ts, price) once a second, when asked for (market view)
    heat: Levels | None = None
    signal_log: tuple[SignalLogRow, ...] = ()
    notices: tuple[Notice, ...] = ()
    alerts: tuple[Alert, ...] = ()  # raised since the last build (the bell rings for these)
    trades: tuple[ClosedTrade, ...] = field(default=(), repr=False)

    @property
    def to_confirm(self) -> tuple[SignalView, ...]:
        return tuple(s for s in self.signals if s.needs_confirm)

    @property
    def pnl_today(self) -> float:
        return self.risk.today

    def position(self, market: str) -> PositionView | None:
        return next((p for p in self.positions if p.market == market), None)

    def market(self, market: str) -> MarketView | None:
        return next((m for m in self.markets if m.market == market), None)
