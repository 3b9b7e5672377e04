"""tardis.dev downloadable CSV files as a source: `liquidations` and `derivative_ticker`.

Recognised from the header line, so a file needs no flag. Format (docs.tardis.dev/downloadable-csv-files):
comma-separated, LF, gzip, times in microseconds since the epoch (UTC); `local_timestamp` is
tardis' receive time and becomes ours, `timestamp` the exchange's.

Conventions converted here (tardis-node src/types.ts and src/mappers/*.ts):

* Liquidation `side` is the side of the liquidation ORDER: ``sell`` = a long was liquidated,
  ``buy`` = a short was liquidated; ``unknown`` rows are bad lines. Our events carry the side of
  the liquidated position.
* `amount` is what the venue's feed gave, so its unit differs by exchange and contract:

  ====================  =====================================  =============================
  exchange              amount                                 to qty (base) / usd
  ====================  =====================================  =============================
  binance-futures       base asset (``z``, filled qty)         qty = amount, usd = qty·price
  binance-delivery      contracts of 100 USD (BTC) / 10 USD     usd = amount·size, qty = usd/price
  bybit (…USDT, …USDC)  base asset                             qty = amount
  bybit (…USD inverse)  USD (1 contract = 1 USD)               usd = amount
  okex-swap / futures   contracts (``sz``) × ctVal              BTC built in; others from
                                                               instruments-okx.json beside the CSV
  bitmex XBTUSD         contracts of 1 USD (``leavesQty``)     usd = amount
  deribit …-PERPETUAL   USD (inverse)                          usd = amount
  deribit …_USDC-PERP…  base asset (linear)                    qty = amount
  ====================  =====================================  =============================

  Any other exchange or contract whose size is not known here is a counted bad line naming it.
* `derivative_ticker` rows become a mark (mark price, funding rate, next funding time, index)
  and, when open interest changed, an open-interest event (same units as `amount`). There is
  no order book and no trade tape in these files; ticker cadence is the venue's (Binance about
  1 s, Deribit and BitMEX faster, OKX per change), so the engine sees marks at that cadence.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from core.event_checks import event_problem
from core.events import Event, Liquidation, MarkPrice, OpenInterest
from core.feeds.symbols import venue_market
from core.instruments import Instrument
from core.recording import BadLine, ClockGuard, RecordedLine, read_lines
from core.replay import DecodeStats
from core.validation import EventValidator

LIQUIDATIONS_HEADER = b"exchange,symbol,timestamp,local_timestamp,id,side,price,amount"
TICKER_HEADER = (
    b"exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,"
    b"open_interest,last_price,index_price,mark_price"
)
HEADERS = {LIQUIDATIONS_HEADER: "liquidations", TICKER_HEADER: "derivative_ticker"}

# tardis exchange id -> our venue name
VENUE = {
    "binance-futures": "binance",
    "binance-delivery": "binance",
    "bybit": "bybit",
    "okex-swap": "okx",
    "okex-futures": "okx",
    "bitmex": "bitmex",
    "deribit": "deribit",
    "hyperliquid": "hyperliquid",
}
# OKX contract values (ctVal) known without the venue's instrument list (docs: exchange-feeds.md, OKX
# /api/v5/public/instruments): BTC-USDT-SWAP 0.01 BTC, BTC-USD-SWAP 100 USD. Any other symbol needs the
# instrument list next to the CSV files (see `instruments_near`).
OKX_LINEAR_CT = {"BTC": 0.01}
OKX_INVERSE_USD = {"BTC": 100.0}


def sniff(head: bytes) -> str | None:
    """'liquidations' or 'derivative_ticker' when `head` starts with that CSV header, else None."""
    first = head.split(b"\n", 1)[0].strip()
    return HEADERS.get(first)


def is_tardis_file(path: Path) -> bool:
    from core.recording import _chunks, _Truncated

    try:
        for chunk in _chunks(path):
            return sniff(chunk) is not None
    except (_Truncated, OSError):
        return False
    return False


def instruments_near(path: Path) -> dict[tuple[str, str], Instrument]:
    """Instrument lists saved beside the CSV files (``instruments-okx.json``, the format liqhunt caches in
    ~/.cache/liqhunt after any live run or `record`), by (venue, symbol): their contract values win."""
    from core.feeds.instruments_cache import read_cache

    out: dict[tuple[str, str], Instrument] = {}
    for venue in set(VENUE.values()):
        try:
            for ins in read_cache(path.parent, venue)[0]:
                out[(venue, ins.symbol.upper())] = ins
        except (OSError, ValueError, TypeError, KeyError):
            continue
    return out


def to_base_and_usd(
    exchange: str, symbol: str, amount: float, price: float, instrument: Instrument | None = None
) -> tuple[float, float]:
    """(base quantity, USD notional) of `amount` as tardis gives it; ValueError when the unit is unknown."""
    s = symbol.upper()
    if instrument is not None and exchange in ("okex-swap", "okex-futures", "bitmex", "binance-delivery"):
        if instrument.contract_kind == "inverse":
            usd = amount * instrument.contract_value
            return usd / price, usd
        qty = amount * instrument.contract_value
        return qty, qty * price
    if exchange == "binance-futures" or (exchange == "bybit" and s.endswith(("USDT", "USDC", "PERP"))):
        return amount, amount * price
    if exchange == "binance-delivery":
        usd = amount * (100.0 if s.startswith("BTCUSD") else 10.0)
        return usd / price, usd
    if exchange == "bybit" and s.endswith("USD"):
        return amount / price, amount
    if exchange in ("okex-swap", "okex-futures"):
        base, _, rest = s.partition("-")
        if rest.startswith("USD-") and base in OKX_INVERSE_USD:
            usd = amount * OKX_INVERSE_USD[base]
            return usd / price, usd
        if rest.startswith("USDT-") and base in OKX_LINEAR_CT:
            qty = amount * OKX_LINEAR_CT[base]
            return qty, qty * price
        raise ValueError(
            f"OKX contract value of {symbol} unknown: put instruments-okx.json (from ~/.cache/liqhunt "
            "after any `liqhunt record --venues okx`) beside the CSV files"
        )
    if exchange == "bitmex" and s == "XBTUSD":
        return amount / price, amount
    if exchange == "deribit":
        if "_USDC" in s:
            return amount, amount * price
        if s.endswith("-PERPETUAL"):
            return amount / price, amount
    if exchange == "hyperliquid":
        return amount, amount * price
    raise ValueError(f"amount unit of {exchange} {symbol} unknown: convert it first or export it from a recording")


def _num(field: bytes, name: str, required: bool = True) -> float | None:
    if not field:
        if required:
            raise ValueError(f"empty {name}")
        return None
    try:
        return float(field)
    except ValueError:
        raise ValueError(f"{name} {field[:20]!r} is not a number") from None


class _RowDecoder:
    def __init__(self, kind: str, instruments: dict[tuple[str, str], Instrument] | None = None) -> None:
        self.kind = kind
        self.instruments = instruments or {}
        self._oi: dict[tuple[str, str], float] = {}

    def decode(self, row: list[bytes]) -> list[Event]:
        if self.kind == "liquidations":
            return self._liquidation(row)
        return self._ticker(row)

    @staticmethod
    def _head(row: list[bytes]) -> tuple[str, str, str, str, float, float]:
        exchange, symbol = row[0].decode("ascii", "replace"), row[1].decode("ascii", "replace")
        venue = VENUE.get(exchange)
        if venue is None:
            raise ValueError(f"exchange {exchange!r} is not one liqhunt reads ({', '.join(VENUE)})")
        ts_event = _num(row[2], "timestamp") / 1e6  # type: ignore[operator]
        ts_recv = _num(row[3], "local_timestamp") / 1e6  # type: ignore[operator]
        return exchange, venue, symbol, venue_market(venue, symbol), ts_event, ts_recv

    def _liquidation(self, row: list[bytes]) -> list[Event]:
        if len(row) != 8:
            raise ValueError(f"{len(row)} columns, liquidations have 8")
        exchange, venue, symbol, market, ts_event, ts_recv = self._head(row)
        side = {b"sell": "long", b"buy": "short"}.get(row[5])
        if side is None:
            raise ValueError(
                f"side {row[5][:10]!r}: only buy (a short liquidated) or sell (a long liquidated) can be used"
            )
        price, amount = _num(row[6], "price"), _num(row[7], "amount")
        qty, usd = to_base_and_usd(exchange, symbol, amount, price, self.instruments.get((venue, symbol.upper())))  # type: ignore[arg-type]
        return [Liquidation(venue, market, symbol, side, price, qty, usd, ts_event, ts_recv)]  # type: ignore[arg-type]

    def _ticker(self, row: list[bytes]) -> list[Event]:
        if len(row) != 11:
            raise ValueError(f"{len(row)} columns, derivative_ticker has 11")
        exchange, venue, symbol, market, ts_event, ts_recv = self._head(row)
        funding_ts = _num(row[4], "funding_timestamp", required=False)
        funding = _num(row[5], "funding_rate", required=False)
        oi = _num(row[7], "open_interest", required=False)
        index = _num(row[9], "index_price", required=False)
        mark = _num(row[10], "mark_price", required=False) or _num(row[8], "last_price", required=False)
        out: list[Event] = []
        if mark is not None:
            out.append(
                MarkPrice(
                    venue,
                    market,
                    symbol,
                    mark,
                    funding,
                    funding_ts / 1e6 if funding_ts else None,
                    ts_event,
                    ts_recv,
                    index=index,
                )
            )
            if oi is not None and self._oi.get((venue, symbol)) != oi:
                self._oi[(venue, symbol)] = oi
                qty, usd = to_base_and_usd(exchange, symbol, oi, mark, self.instruments.get((venue, symbol.upper())))
                out.append(OpenInterest(venue, market, symbol, usd, ts_event, ts_recv, oi_qty=qty))
        return out


CAVEATS = {
    "liquidations": "tardis.dev liquidations CSV: no order book and no trade tape; side converted from the "
    "liquidation order's side (sell = a long liquidated); amounts converted per exchange (docs/research.md)",
    "derivative_ticker": "tardis.dev derivative_ticker CSV: marks, funding and open interest at the venue's ticker "
    "cadence (Binance about 1 s), not tick by tick; open interest only when it changed",
}


def tardis_lines(path: Path, stats: DecodeStats, where: str = "") -> Iterator[tuple[float, list[Event]]]:
    """(receive ts, events) per good row, rows in file order under the same clock guard as recordings."""
    guard = ClockGuard()
    validator = EventValidator()  # the engine's boundary, in this file's order
    decoder: _RowDecoder | None = None
    items = read_lines(path)

    def rows() -> Iterator[RecordedLine | BadLine]:
        nonlocal decoder
        for item in items:
            if isinstance(item, BadLine):
                yield item
                continue
            lineno, raw = item
            if decoder is None:
                kind = sniff(raw)
                if kind is None:
                    yield BadLine(lineno, "not a tardis.dev liquidations or derivative_ticker CSV header", final=True)
                    return
                decoder = _RowDecoder(kind, instruments_near(path))
                stats.caveat(CAVEATS[kind])
                continue
            if raw.startswith(b"exchange,"):
                continue  # a header again (files concatenated): skip
            row = raw.rstrip(b"\r").split(b",")
            try:
                ts = float(row[3]) / 1e6
            except (IndexError, ValueError):
                yield BadLine(lineno, "local_timestamp missing or not a number")
                continue
            yield RecordedLine(lineno, ts, "tardis", row)

    def guarded() -> Iterator[RecordedLine | BadLine]:
        for item in rows():
            yield from guard.feed(item)
        yield from guard.finish()

    for item in guarded():
        stats.lines += 1
        if isinstance(item, BadLine):
            stats.add_bad(item.lineno, item.reason, where, item.final)
            continue
        try:
            events = decoder.decode(item.msg)  # type: ignore[union-attr, arg-type]
        except (ValueError, ZeroDivisionError, TypeError) as exc:
            stats.add_bad(item.lineno, str(exc), where)
            continue
        problem = next((p for ev in events if (p := event_problem(ev) or validator.check(ev, item.ts))), None)
        if problem:
            stats.add_bad(item.lineno, str(problem), where)
            continue
        for ev in events:
            stats.events += 1
            stats.by_kind[ev.kind] = stats.by_kind.get(ev.kind, 0) + 1
        yield item.ts, events
