"""Reconciliation of the positions we believe we hold with the exchange's, after a restart.

The exchange wins: a position missing there is dropped, one only there is adopted with a
default stop and take-profit from the config, a size or side difference takes the
exchange's figures. Pure: the live broker supplies the exchange positions, the caller
journals the differences and restores the result.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from core.config import ExitConfig
from core.events import Side
from core.journal.recorder import JOURNAL_KEY
from core.positions import Position, stop_pct_for

DROP, ADOPT, RESIZE = "drop", "adopt", "resize"


@dataclass(frozen=True)
class ExchangePosition:
    market: str
    side: Side  # long | short
    qty: float  # > 0
    entry_price: float


@dataclass(frozen=True)
class Difference:
    market: str
    kind: str  # missing_on_exchange | extra_on_exchange | size_mismatch | side_mismatch
    action: str  # drop | adopt | resize
    ours_qty: float
    exchange_qty: float
    detail: str
    dropped_key: str = ""  # journal key of our position that no longer stands
    position: Position | None = None  # what to restore instead (adopt / resize)


def _same_qty(a: float, b: float) -> bool:
    return abs(a - b) <= max(1e-12, 1e-6 * max(abs(a), abs(b)))


def adopted_position(x: ExchangePosition, exits: ExitConfig, now: float) -> Position:
    """A position we did not open: default stop (mid of the stop range) and take-profit, hold timer from now."""
    stop_pct = stop_pct_for(None, exits)
    d = 1 if x.side == "long" else -1
    return Position(
        id=f"x:{x.market}", market=x.market, side=x.side, qty=x.qty, entry_price=x.entry_price, entry_ts=now,
        stop_price=x.entry_price * (1 - d * stop_pct / 100), take_profit_price=x.entry_price * (1 + d * exits.take_profit_pct / 100),
        stop_pct=stop_pct, signal_id="", score=0.0, rides="short" if x.side == "long" else "long",
        playbook="adopted", max_hold_until=now + exits.max_hold_s, signal_price=x.entry_price,
    )


def reconcile(ours: list[Position], exchange: list[ExchangePosition], exits: ExitConfig, now: float) -> list[Difference]:
    """The differences between our positions and the exchange's, each with what to do about it."""
    mine = {p.market: p for p in ours}
    theirs = {x.market: x for x in exchange if x.qty > 0}
    out: list[Difference] = []
    for market in sorted(mine.keys() | theirs.keys()):
        p, x = mine.get(market), theirs.get(market)
        key = p.extras.get(JOURNAL_KEY, "") if p else ""
        if x is None:
            assert p is not None
            out.append(Difference(market, "missing_on_exchange", DROP, p.qty, 0.0,
                                  f"our {p.side} {p.qty:g} is not on the exchange: dropped", key))
        elif p is None:
            out.append(Difference(market, "extra_on_exchange", ADOPT, 0.0, x.qty,
                                  f"exchange {x.side} {x.qty:g} @ {x.entry_price:g} adopted with a default stop",
                                  position=adopted_position(x, exits, now)))
        elif p.side != x.side:
            out.append(Difference(market, "side_mismatch", ADOPT, p.qty, x.qty,
                                  f"ours {p.side}, exchange {x.side}: exchange position adopted", key,
                                  adopted_position(x, exits, now)))
        elif not _same_qty(p.qty, x.qty):
            resized = replace(p, qty=x.qty, extras=dict(p.extras))
            out.append(Difference(market, "size_mismatch", RESIZE, p.qty, x.qty,
                                  f"size {p.qty:g} -> {x.qty:g} (exchange); stop and target kept", position=resized))
    return out


def apply_differences(ours: list[Position], diffs: list[Difference]) -> list[Position]:
    """The positions to restore once the exchange has had its say."""
    by_market = {p.market: p for p in ours}
    for d in diffs:
        by_market.pop(d.market, None)
        if d.position is not None:
            by_market[d.market] = d.position
    return list(by_market.values())
