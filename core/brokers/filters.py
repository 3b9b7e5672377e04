"""Exchange instrument filters and the rounding that keeps orders inside them.

Quantities are floored to the lot step (never round up a size the risk checks approved), prices go
to the nearest tick, and both are formatted from Decimals so the wire never sees 0.30000000000000004.
An order that cannot be made valid is refused here, with the reason, before it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from core.instruments import Instrument


@dataclass(frozen=True, slots=True)
class SymbolFilters:
    symbol: str
    market: str
    tick_size: Decimal
    qty_step: Decimal
    min_qty: Decimal
    max_qty: Decimal  # per market order (MARKET_LOT_SIZE / maxMktOrderQty): the binding limit for us
    min_notional: Decimal
    max_leverage: float

    def instrument(self, venue: str) -> Instrument:
        """The engine's view of the same limits, so sizing agrees with what the broker will accept."""
        return Instrument(
            venue=venue,
            symbol=self.symbol,
            market=self.market,
            tick_size=float(self.tick_size),
            lot_size=float(self.qty_step),
            min_qty=float(self.min_qty),
            min_notional=float(self.min_notional),
            max_leverage=self.max_leverage,
        )


def _dec(v: object, default: str = "0") -> Decimal:
    try:
        return Decimal(str(v)) if v not in (None, "") else Decimal(default)
    except ArithmeticError:
        return Decimal(default)


def _quantize(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    if step <= 0:
        return value
    n = (value / step).to_integral_value(rounding=rounding)
    return (n * step).quantize(step)


def floor_qty(qty: float, step: Decimal) -> Decimal:
    # the tiny nudge keeps 0.3 / 0.1 = 2.9999999 from flooring to 0.2
    return _quantize(_dec(repr(qty)) + step * Decimal("1e-9"), step, ROUND_FLOOR)


def round_price(price: float, tick: Decimal) -> Decimal:
    return _quantize(_dec(repr(price)), tick, ROUND_HALF_UP)


def fmt(d: Decimal) -> str:
    """Plain decimal text without exponent or needless trailing zeros."""
    s = format(d, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


@dataclass(frozen=True, slots=True)
class PreparedQty:
    qty: Decimal | None
    reason: str = ""  # why the order was refused, when qty is None


def prepare_qty(f: SymbolFilters, qty: float, price: float, reduce_only: bool) -> PreparedQty:
    """Round `qty` to the step and check it against the venue's minimums. Reduce-only closes are
    exempt from the minimum notional (both venues let you close a dust position), not from the step."""
    q = floor_qty(qty, f.qty_step)
    if q <= 0 or q < f.min_qty:
        return PreparedQty(None, f"qty {qty:g} rounds to {fmt(q)}, below the minimum {fmt(f.min_qty)} for {f.symbol}")
    if f.max_qty > 0 and q > f.max_qty:
        return PreparedQty(None, f"qty {fmt(q)} above the market-order maximum {fmt(f.max_qty)} for {f.symbol}")
    if not reduce_only and price > 0 and q * _dec(repr(price)) < f.min_notional:
        return PreparedQty(
            None, f"notional {float(q) * price:.2f} below the minimum {fmt(f.min_notional)} USDT for {f.symbol}"
        )
    return PreparedQty(q)


# -- venue parsers ---------------------------------------------------------------------------------


def parse_binance_exchange_info(info: dict, market_of) -> dict[str, SymbolFilters]:
    """`GET /fapi/v1/exchangeInfo` → filters by symbol, perpetuals that are trading only.
    Steps come from the filters, never from pricePrecision/quantityPrecision (those are display hints)."""
    out: dict[str, SymbolFilters] = {}
    for s in info.get("symbols", []):
        if s.get("contractType", "PERPETUAL") != "PERPETUAL" or s.get("status", "TRADING") != "TRADING":
            continue
        fl = {f.get("filterType"): f for f in s.get("filters", [])}
        lot = fl.get("LOT_SIZE", {})
        mkt = fl.get("MARKET_LOT_SIZE", lot)
        sym = s["symbol"]
        out[sym] = SymbolFilters(
            symbol=sym,
            market=market_of(sym),
            tick_size=_dec(fl.get("PRICE_FILTER", {}).get("tickSize"), "0"),
            qty_step=_dec(mkt.get("stepSize") or lot.get("stepSize"), "0"),
            min_qty=max(_dec(lot.get("minQty")), _dec(mkt.get("minQty"))),
            max_qty=_dec(mkt.get("maxQty") or lot.get("maxQty")),
            min_notional=_dec(fl.get("MIN_NOTIONAL", {}).get("notional"), "0"),
            max_leverage=125.0,  # exchangeInfo has no leverage; refined from leverageBracket
        )
    return out


def parse_bybit_instruments(result: dict, market_of) -> dict[str, SymbolFilters]:
    """`GET /v5/market/instruments-info?category=linear` (one page) → filters by symbol."""
    out: dict[str, SymbolFilters] = {}
    for s in result.get("list", []):
        if s.get("status", "Trading") != "Trading" or s.get("contractType", "LinearPerpetual") != "LinearPerpetual":
            continue
        lot = s.get("lotSizeFilter", {})
        sym = s["symbol"]
        out[sym] = SymbolFilters(
            symbol=sym,
            market=market_of(sym),
            tick_size=_dec(s.get("priceFilter", {}).get("tickSize")),
            qty_step=_dec(lot.get("qtyStep")),
            min_qty=_dec(lot.get("minOrderQty")),
            max_qty=_dec(lot.get("maxMktOrderQty") or lot.get("maxOrderQty")),
            min_notional=_dec(lot.get("minNotionalValue")),
            max_leverage=float(_dec(s.get("leverageFilter", {}).get("maxLeverage"), "100")),
        )
    return out


def venue_float(v: object) -> float:
    """A number from a venue's reply; absent or unparseable fields (venues send "" before a value exists) are 0."""
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
