"""RiskManager: consulted before every entry. Each rule has a counter the console shows.

Rules are checked in a fixed order so the reported reason is the most fundamental one
(a killed engine says "kill switch", not "max positions").
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from core.config import RiskConfig

RULES = (
    "kill_switch",
    "stale_feed",
    "daily_loss",
    "no_averaging",
    "max_trades_per_market",
    "max_open_positions",
    "cooldown_after_stop",
    "max_notional_per_trade",
    "max_total_notional",
)


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    allowed: bool
    rule: str = ""
    message: str = ""


ALLOWED = RiskVerdict(True)


def utc_day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


@dataclass(frozen=True, slots=True)
class EntryRequest:
    market: str
    notional: float
    now: float
    cap_key: str = ""  # what the daily trade cap counts (market, or market:playbook); defaults to market


class RiskManager:
    def __init__(self, cfg: RiskConfig) -> None:
        self.cfg = cfg
        self.killed = False
        self.blocks: Counter[str] = Counter()
        self.day = ""
        self.trades_today: Counter[str] = Counter()
        self.realised_today = 0.0
        self.cooldown_until: dict[str, float] = {}
        self.last_block: tuple[float, str, str, str] | None = None  # (ts, market, rule, message)

    def _roll_day(self, now: float) -> None:
        d = utc_day(now)
        if d != self.day:
            self.day = d
            self.trades_today.clear()
            self.realised_today = 0.0

    def check_entry(
        self,
        req: EntryRequest,
        open_notional: dict[str, float],
        stale_venues: frozenset[str] | set[str],
        unrealised: float,
    ) -> RiskVerdict:
        """`open_notional`: market -> notional of each open position (and pending entries).
        `stale_venues`: the stale or down venues whose data feeds *this* market (the engine's
        `stale_inputs`); a venue that feeds other markets only blocks nothing here."""
        self._roll_day(req.now)
        c = self.cfg
        verdict = ALLOWED
        if self.killed:
            verdict = RiskVerdict(False, "kill_switch", "kill switch engaged: arm again to clear it")
        elif c.block_on_stale_feed and stale_venues:
            verdict = RiskVerdict(
                False, "stale_feed", f"feed stale: {', '.join(sorted(stale_venues))} (feeds {req.market})"
            )
        elif self.daily_loss(unrealised) >= c.daily_loss_limit_usd:
            verdict = RiskVerdict(
                False,
                "daily_loss",
                f"daily loss ${self.daily_loss(unrealised):,.0f} ≥ limit ${c.daily_loss_limit_usd:,.0f}",
            )
        elif req.market in open_notional:
            verdict = RiskVerdict(False, "no_averaging", f"already in a {req.market} position: never add to it")
        elif self.trades_today[req.cap_key or req.market] >= c.max_trades_per_market_per_day:
            key = req.cap_key or req.market
            verdict = RiskVerdict(
                False,
                "max_trades_per_market",
                f"{self.trades_today[key]}/{c.max_trades_per_market_per_day} trades today on {key}",
            )
        elif len(open_notional) >= c.max_open_positions:
            verdict = RiskVerdict(
                False, "max_open_positions", f"{len(open_notional)}/{c.max_open_positions} positions open"
            )
        elif req.now < self.cooldown_until.get(req.market, float("-inf")):
            left = self.cooldown_until[req.market] - req.now
            verdict = RiskVerdict(
                False, "cooldown_after_stop", f"{req.market} cooling down after a stop, {left:.0f} s left"
            )
        elif req.notional > c.max_notional_per_trade_usd:
            verdict = RiskVerdict(
                False, "max_notional_per_trade", f"${req.notional:,.0f} > cap ${c.max_notional_per_trade_usd:,.0f}"
            )
        elif sum(open_notional.values()) + req.notional > c.max_total_notional_usd:
            verdict = RiskVerdict(
                False,
                "max_total_notional",
                f"total ${sum(open_notional.values()) + req.notional:,.0f} > cap ${c.max_total_notional_usd:,.0f}",
            )
        if not verdict.allowed:
            self.blocks[verdict.rule] += 1
            self.last_block = (req.now, req.market, verdict.rule, verdict.message)
        return verdict

    def daily_loss(self, unrealised: float) -> float:
        """Today's loss as a positive number (0 when up)."""
        return max(0.0, -(self.realised_today + min(unrealised, 0.0)))

    def loss_limit_breached(self, now: float, unrealised: float) -> bool:
        self._roll_day(now)
        return self.daily_loss(unrealised) >= self.cfg.daily_loss_limit_usd

    def record_entry(self, market: str, now: float) -> None:
        self._roll_day(now)
        self.trades_today[market] += 1

    def record_exit(self, market: str, now: float, reason: str, pnl: float) -> None:
        self._roll_day(now)
        self.realised_today += pnl
        if reason == "stop":
            self.cooldown_until[market] = now + self.cfg.cooldown_after_stop_s

    def counters(self, now: float) -> dict:
        self._roll_day(now)
        return {
            "killed": self.killed,
            "trades_today": dict(self.trades_today),
            "realised_today": self.realised_today,
            "blocks": dict(self.blocks),
            "last_block": self.last_block,
        }
