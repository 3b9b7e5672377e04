"""Per-instrument metadata: contract size, tick and lot, used by parsers, sizing and brokers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Instrument:
    venue: str
    symbol: str  # venue symbol, e.g. BTCUSDT, BTC-USDT-SWAP, XBTUSD
    market: str  # canonical, e.g. BTC-USDT-PERP
    contract_kind: Literal["linear", "inverse"] = "linear"
    # Linear: base-asset quantity of one contract (OKX ctVal, e.g. 0.01 BTC); 1.0 where the venue trades in base units.
    # Inverse: USD value of one contract (e.g. 100 on OKX BTC-USD-SWAP, 1 on BitMEX XBTUSD).
    contract_value: float = 1.0
    tick_size: float = 0.01
    lot_size: float = 0.001  # quantity step, in base units (linear) or contracts (inverse)
    min_qty: float = 0.0
    min_notional: float = 0.0
    max_leverage: float = 100.0


def round_down_to_step(value: float, step: float) -> float:
    """Floor `value` to a multiple of `step`, robust to binary fractions (0.1 + 0.2 ...)."""
    if step <= 0:
        return value
    n = math.floor(value / step + 1e-9)
    decimals = max(0, -int(math.floor(math.log10(step)))) if step < 1 else 0
    return round(n * step, decimals + 2)
