"""Open positions and their exit rules: stop, take-profit, exhaustion, max hold; and the
funding a perpetual position pays or receives at each funding time it is open across.

Stops and take-profits trigger on the mark price. Exhaustion fires when the rolling
liquidation volume of the side being ridden has fallen more than `exhaustion_drop_pct`
from its peak since entry — the cascade is running out of fuel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from core.config import ExitConfig
from core.events import Side

EXIT_REASONS = ("stop", "take_profit", "exhaustion", "max_hold", "flatten", "kill", "reconcile")


def score_tier(score: float) -> str:
    if score < 5:
        return "<5"
    if score < 7:
        return "5-7"
    if score < 8:
        return "7-8"
    if score < 9:
        return "8-9"
    return "9-10"


TIERS = ("<5", "5-7", "7-8", "8-9", "9-10")


@dataclass
class Position:
    id: str
    market: str
    side: Side  # our position: long (bought) or short (sold)
    qty: float
    entry_price: float
    entry_ts: float
    stop_price: float
    take_profit_price: float
    stop_pct: float
    signal_id: str
    score: float
    rides: Side  # the liquidated side whose window we watch for exhaustion
    entry_fee: float = 0.0
    playbook: str = "ride"
    max_hold_until: float = 0.0
    exit_pending: str = ""  # exit reason once an exit order is in flight
    mfe_pct: float = 0.0  # best excursion, % (≥ 0)
    mae_pct: float = 0.0  # worst excursion, % (≤ 0)
    signal_price: float = 0.0
    extras: dict = field(default_factory=dict)
    funding: float = 0.0  # funding paid so far (+) or received (−), USD
    next_funding_ts: float | None = None  # the next funding time this position will be charged at
    funding_rate: float | None = None  # the venue's latest rate per funding interval (what it will charge)
    funding_interval_h: float = 8.0
    funding_mark: float | None = None  # the latest mark, the price funding is charged on

    @property
    def direction(self) -> int:
        return 1 if self.side == "long" else -1

    @property
    def notional(self) -> float:
        return self.qty * self.entry_price

    @property
    def tier(self) -> str:
        return score_tier(self.score)

    def unrealised(self, mark: float) -> float:
        return (mark - self.entry_price) * self.qty * self.direction

    def update_excursion(self, mark: float) -> None:
        move = (mark - self.entry_price) / self.entry_price * 100 * self.direction
        if move > self.mfe_pct:
            self.mfe_pct = move
        if move < self.mae_pct:
            self.mae_pct = move


@dataclass(frozen=True)
class ClosedTrade:
    position_id: str
    market: str
    side: Side
    qty: float
    entry_price: float
    exit_price: float
    entry_ts: float
    exit_ts: float
    reason: str
    gross_pnl: float
    fees: float
    pnl: float  # net of fees (slippage is inside the prices)
    r_multiple: float
    score: float
    tier: str
    signal_id: str
    playbook: str
    mae_pct: float
    mfe_pct: float
    stop_pct: float
    signal_price: float
    funding: float = 0.0  # paid (+) or received (−) at funding times crossed; inside pnl

    @property
    def hold_s(self) -> float:
        return self.exit_ts - self.entry_ts

    @property
    def return_bps(self) -> float:
        """Net return on notional, in basis points."""
        notional = self.qty * self.entry_price
        return self.pnl / notional * 1e4 if notional > 0 else 0.0


def close_position(p: Position, exit_price: float, exit_ts: float, exit_fee: float, reason: str) -> ClosedTrade:
    gross = (exit_price - p.entry_price) * p.qty * p.direction
    fees = p.entry_fee + exit_fee
    pnl = gross - fees - p.funding
    risk = p.qty * p.entry_price * p.stop_pct / 100.0
    return ClosedTrade(
        position_id=p.id,
        market=p.market,
        side=p.side,
        qty=p.qty,
        entry_price=p.entry_price,
        exit_price=exit_price,
        entry_ts=p.entry_ts,
        exit_ts=exit_ts,
        reason=reason,
        gross_pnl=gross,
        fees=fees,
        pnl=pnl,
        r_multiple=pnl / risk if risk > 0 else 0.0,
        score=p.score,
        tier=p.tier,
        signal_id=p.signal_id,
        playbook=p.playbook,
        mae_pct=p.mae_pct,
        mfe_pct=p.mfe_pct,
        stop_pct=p.stop_pct,
        signal_price=p.signal_price,
        funding=p.funding,
    )


def next_funding_time(ts: float, interval_h: float) -> float:
    """The first funding time strictly after `ts` on the venue's UTC grid (00:00, 08:00, 16:00
    for 8 h; every hour for 1 h), for venues whose mark event does not say."""
    step = max(interval_h, 1e-6) * 3600.0
    return (math.floor(ts / step) + 1.0) * step


def funding_payment(p: Position, rate: float, mark: float) -> float:
    """What one funding time costs the position: longs pay a positive rate, shorts receive it."""
    return p.qty * mark * rate * p.direction


def accrue_funding(p: Position, now: float) -> list[tuple[float, float, float, float]]:
    """Charge every funding time in (last charged, now] at the rate and mark known before it.
    Returns (funding ts, rate, mark, amount) per charge. Unknown rate or mark: nothing charged
    (and the time is passed — a venue that publishes no funding charges none we can see)."""
    out = []
    while p.next_funding_ts is not None and p.next_funding_ts <= now:
        ts = p.next_funding_ts
        if p.funding_rate is not None and p.funding_mark is not None:
            amount = funding_payment(p, p.funding_rate, p.funding_mark)
            p.funding += amount
            out.append((ts, p.funding_rate, p.funding_mark, amount))
        p.next_funding_ts = ts + p.funding_interval_h * 3600.0
    return out


def note_funding_terms(
    p: Position, rate: float | None, interval_h: float | None, next_ts: float | None, mark: float | None, now: float
) -> None:
    """Remember the venue's latest funding terms for the next charge (call after `accrue_funding`)."""
    if interval_h and interval_h > 0:
        p.funding_interval_h = interval_h
    if rate is not None and math.isfinite(rate):
        p.funding_rate = rate
    if mark is not None and mark > 0:
        p.funding_mark = mark
    if next_ts is not None and next_ts > now:
        p.next_funding_ts = next_ts
    elif p.next_funding_ts is None:
        p.next_funding_ts = next_funding_time(now, p.funding_interval_h)


def stop_pct_for(sigma_10m: float | None, cfg: ExitConfig) -> float:
    """Wider stops when recent volatility is higher; the midpoint when volatility is unknown."""
    if sigma_10m is None:
        return (cfg.stop_min_pct + cfg.stop_max_pct) / 2
    return min(cfg.stop_max_pct, max(cfg.stop_min_pct, cfg.stop_vol_mult * sigma_10m * 100))


def check_exit(p: Position, mark: float, now: float, window_total: float, window_peak: float, cfg: ExitConfig) -> str:
    """The exit rule that fires now, or ''. Order matters: protective exits first."""
    if p.side == "long":
        if mark <= p.stop_price:
            return "stop"
        if mark >= p.take_profit_price:
            return "take_profit"
    else:
        if mark >= p.stop_price:
            return "stop"
        if mark <= p.take_profit_price:
            return "take_profit"
    if window_peak > 0 and window_total < window_peak * (1 - cfg.exhaustion_drop_pct / 100):
        return "exhaustion"
    if now >= p.max_hold_until:
        return "max_hold"
    return ""


def nearest_exit(
    p: Position, mark: float, now: float, window_total: float, window_peak: float, cfg: ExitConfig
) -> tuple[str, str]:
    """(rule, how far) — the exit closest to firing, for the positions pane."""
    to_stop = abs(p.stop_price - mark) / mark * 100
    to_tp = abs(p.take_profit_price - mark) / mark * 100
    left = max(0.0, p.max_hold_until - now)
    drop = (1 - window_total / window_peak) * 100 if window_peak > 0 else 0.0
    cands = [
        (to_stop / max(p.stop_pct, 1e-9), "stop", f"{to_stop:.2f} %"),
        (to_tp / max(cfg.take_profit_pct, 1e-9), "take profit", f"{to_tp:.2f} %"),
        (
            max(0.0, cfg.exhaustion_drop_pct - drop) / cfg.exhaustion_drop_pct,
            "exhaustion",
            f"vol −{drop:.0f}/{cfg.exhaustion_drop_pct:.0f} %",
        ),
        (left / cfg.max_hold_s, "max hold", f"{left:.0f} s"),
    ]
    _, rule, how = min(cands, key=lambda c: c[0])
    return rule, how


def open_from_fill(order, fill, sig, vol_sigma: float | None, cfg: ExitConfig) -> Position:
    """The position an entry fill opens: stop and target from the signal's plan — percentages
    from the fill for `ride`, fixed levels beyond the cascade's extreme for `fade` — or from the
    config when the signal is gone (e.g. an entry adopted after a restart)."""
    stop_pct = sig.stop_pct if sig and sig.stop_pct else stop_pct_for(vol_sigma, cfg)
    tp_pct = sig.take_profit_pct if sig and sig.take_profit_pct else cfg.take_profit_pct
    side: Side = "long" if order.side == "buy" else "short"
    px = fill.price
    d = 1 if side == "long" else -1
    rides: Side = "short" if order.side == "buy" else "long"
    stop_price, tp_price = px * (1 - d * stop_pct / 100), px * (1 + d * tp_pct / 100)
    if sig is not None and "stop_price" in sig.extras:
        stop_price, tp_price = sig.extras["stop_price"], sig.extras["take_profit_price"]
        stop_pct = abs(px - stop_price) / px * 100
        rides = sig.liquidated
    return Position(
        id=order.position_id,
        market=order.market,
        side=side,
        qty=fill.qty,
        entry_price=px,
        entry_ts=fill.ts,
        stop_price=stop_price,
        take_profit_price=tp_price,
        stop_pct=stop_pct,
        signal_id=order.signal_id,
        score=sig.score.total if sig else 0.0,
        rides=rides,
        entry_fee=fill.fee,
        max_hold_until=fill.ts + cfg.max_hold_s,
        signal_price=order.ref_price,
        playbook=sig.playbook if sig else "ride",
    )
