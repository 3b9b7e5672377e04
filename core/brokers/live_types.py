"""The data a live broker works with: its settings, the venue's account of an order or a
position, and the two exchange-side exit orders protecting each of our positions."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal

from core.events import OrderSide, Side

ExitKind = Literal["stop", "take_profit"]

# How long a request may wait at the rate gate: set per task (an entry is only worth sending soon,
# an exit or a flatten close is worth waiting for), read by the venue's request function.
GATE_BUDGET_S: ContextVar[float] = ContextVar("gate_budget_s", default=30.0)


@dataclass
class LiveSettings:
    """Per-run settings of a live broker. Caps come from config.risk; the rest has safe defaults."""

    max_notional_per_trade_usd: float = 50_000.0
    leverage: dict[str, float] = field(default_factory=dict)  # market -> leverage
    default_leverage: float = 2.0
    margin_mode: Literal["isolated", "cross"] = "isolated"
    markets: tuple[str, ...] = ()  # prepared (filters, leverage, margin) at start-up
    recv_window_ms: int = 5000
    request_timeout_s: float = 10.0
    watch_interval_s: float = 2.0  # exchange-side exits are checked this often
    reconcile_interval_s: float = 30.0  # positions compared with the engine this often
    max_entry_wait_s: float = 3.0  # an entry that cannot be sent within this is refused, not sent late
    max_exit_wait_s: float = 120.0
    unknown_settle_s: float = 0.25  # let an in-flight order land before asking about it
    status_queries: int = 5
    unknown_resolve_s: float = 30.0  # how long an unknown outcome is looked for before giving up (no resend)
    absence_recheck_s: float = 1.0  # an order is absent only if two searches this far apart find nothing
    retry_base_s: float = 0.5
    retry_max_s: float = 10.0
    # private (user-data) websocket: exits reported as they fill, polling stays the fallback.
    # stream_url None = the venue's default for a known base URL (none for unknown hosts); "" = off
    stream_url: str | None = None
    stream_retry_base_s: float = 1.0
    stream_retry_max_s: float = 30.0
    stream_heartbeat_s: float = 0.0  # 0 = venue default (Binance listenKey keepalive 30 min, Bybit ping 20 s)
    # an order change REST shows and the stream has not delivered this long after: the stream is silent
    stream_silence_s: float = 10.0
    # while the stream is healthy the exit watcher polls this rarely (it is the fallback);
    # down or silent, it polls every watch_interval_s
    stream_watch_interval_s: float = 30.0

    def leverage_for(self, market: str) -> float:
        return self.leverage.get(market, self.default_leverage)


@dataclass(frozen=True)
class ExecReport:
    """The venue's account of one order."""

    client_id: str
    status: str  # new | untriggered | triggered | partially_filled | filled | cancelled | rejected | expired
    filled_qty: float = 0.0
    avg_price: float = 0.0
    fee: float | None = None  # None until the venue has reported it
    exchange_id: str = ""

    @property
    def done(self) -> bool:
        return self.status in ("filled", "cancelled", "rejected", "expired")


@dataclass(frozen=True)
class ExchangePosition:
    market: str
    symbol: str
    side: Side
    qty: float
    entry_price: float
    mark_price: float


@dataclass
class TrackedExits:
    """Our open position on the venue and the two conditional orders protecting it."""

    market: str
    symbol: str
    position_id: str
    side: Side
    qty: float
    stop_id: str
    tp_id: str
    stop_price: float
    tp_price: float
    placed: bool = False


@dataclass
class FlattenReport:
    done: bool
    attempts: int
    closed: list[str] = field(default_factory=list)  # markets closed by this flatten
    failures: list[str] = field(default_factory=list)  # what failed on the last attempt


def closing_side(side: Side) -> OrderSide:
    return "sell" if side == "long" else "buy"
