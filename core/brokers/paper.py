"""PaperBroker: the default. Market orders fill after a modelled latency at the then-current
price, plus slippage that grows with size and with liquidation pressure, minus a taker fee.

It never sees the future: a fill due at t uses the last price the engine knew at t.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from core.brokers.base import Fill, Order, Rejection
from core.config import BrokerConfig
from core.events import OrderSide


class PaperBroker:
    name = "paper"

    def __init__(
        self,
        cfg: BrokerConfig,
        price_of: Callable[[str], float | None],
        pressure_of: Callable[[str, OrderSide], float] = lambda market, side: 0.0,
    ) -> None:
        self.cfg = cfg
        self.price_of = price_of
        self.pressure_of = pressure_of  # USD liquidated recently in the same direction as the order
        self._pending: list[Order] = []
        self.fees_paid = 0.0
        self.funding_paid = 0.0  # perpetual funding paid (+) or received (−), charged by the engine at funding times
        self.fills = 0

    def submit(self, order: Order) -> None:
        self._pending.append(order)

    def slippage_bps(self, market: str, side: OrderSide, notional: float) -> float:
        c = self.cfg
        impact = c.impact_bps_at_ref * math.sqrt(max(notional, 0.0) / c.impact_ref_usd)
        pressure = c.pressure_bps_per_10m * min(self.pressure_of(market, side) / 10_000_000, 5.0)
        return c.slippage_base_bps + impact + pressure

    def poll(self, now: float) -> list[Fill | Rejection]:
        if not self._pending:  # the engine polls on every frame; nearly always nothing is in flight
            return []
        due = self.cfg.latency_ms / 1000.0
        out: list[Fill | Rejection] = []
        keep: list[Order] = []
        for o in self._pending:
            if now + 1e-9 < o.submitted_ts + due:
                keep.append(o)
                continue
            px = self.price_of(o.market)
            if px is None or px <= 0:
                o.status = "rejected"
                o.reject_reason = "no price for market"
                out.append(Rejection(o.id, o.market, o.reject_reason, now))
                continue
            bps = self.slippage_bps(o.market, o.side, o.qty * px)
            fill_px = px * (1 + bps / 1e4) if o.side == "buy" else px * (1 - bps / 1e4)
            fee = o.qty * fill_px * self.cfg.taker_fee_pct / 100.0
            ref = o.ref_price or px
            slip = (fill_px - ref) / ref * 1e4 if o.side == "buy" else (ref - fill_px) / ref * 1e4
            # the cost split for the reports: how far price went between the decision and the fill
            # (latency), and the modelled slippage on top of it; together they are `slip`
            drift = (px - ref) / ref * 1e4 if o.side == "buy" else (ref - px) / ref * 1e4
            o.status = "filled"
            self.fees_paid += fee
            self.fills += 1
            # no event arrived between the due time and now, so the last known price is the price at the due time
            out.append(
                Fill(
                    o.id,
                    o.market,
                    o.side,
                    o.qty,
                    fill_px,
                    fee,
                    o.submitted_ts + due,
                    slip,
                    due,
                    self.name,
                    {"latency_drift_bps": drift, "model_slippage_bps": slip - drift},
                )
            )
        self._pending = keep
        return out

    def on_funding(self, market: str, amount: float) -> None:
        """A funding time passed with a position open: the paper account pays (+) or receives (−)."""
        self.funding_paid += amount

    def cancel_all(self, now: float) -> None:
        for o in self._pending:
            if o.intent == "entry":
                o.status = "cancelled"
        self._pending = [o for o in self._pending if o.intent != "entry"]

    @property
    def pending(self) -> list[Order]:
        return list(self._pending)
