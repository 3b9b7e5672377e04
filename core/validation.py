"""The one validation boundary for numbers entering the engine, shared by every source.

Venue parsers turn frames into events; the simulator and the recording decoder make events too.
None of them can promise sane numbers: a venue can send ``"p": "1e308"`` or ``"E": 1e300``, a
recording can hold ``"funding_rate": "NaN"``. `EventValidator.check` is the single place that
decides whether an event may reach the engine. A rejected event is counted per venue and per
reason and never delivered; it is never raised, so one hostile value costs one event, not a feed.

Checks (all relative, so tests and the simulator may use any epoch):
- every number finite and of a numeric type; prices, marks and sizes positive (sizes ≥ 0);
- absolute plausibility bounds (a price of 1e308 is no price at all);
- a price within `max_price_factor` of the same market's last accepted price (one venue);
- ``ts_event`` within a skew window of ``ts_recv``; ``ts_recv`` not far before the previous
  accepted event (out of order) nor far after it (a jump into the future);
- venue, market and symbol non-empty, short, printable strings; sides from their sets.

The validator is stateful (last good price, last accepted time) and cheap: a handful of
comparisons per event. Use one per stream: one per venue runner, one per recording, one per
simulator source.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.events import Event, Liquidation, MarkPrice, OpenInterest, Trade


@dataclass(frozen=True)
class ValidationLimits:
    """Plausibility bounds. Defaults are wide: they stop garbage, not a violent market."""

    max_price: float = 1e9  # no perp trades above a billion USD a unit
    min_price: float = 1e-12  # nor below a trillionth (meme coins are ~1e-8)
    max_qty: float = 1e13  # base units in one event
    max_usd: float = 1e11  # USD in one liquidation or trade
    max_oi_usd: float = 1e13
    max_abs_funding: float = 1.0  # 100 % per interval; real caps are a few %
    max_price_factor: float = 5.0  # a price more than 5× (or below 1/5 of) the last good one is a bad value
    reanchor_after: int = 50  # …unless this many in a row agree: then the market really moved
    max_event_ahead_s: float = 120.0  # exchange time ahead of our receive time (clock skew)
    max_event_lag_s: float = 3600.0  # exchange time behind our receive time
    max_backwards_s: float = 5.0  # receive time before the previous accepted event
    max_gap_s: float = 7 * 86400.0  # receive time after the previous accepted event
    max_name_len: int = 64


def limits_from_config(cfg) -> ValidationLimits:
    """The configurable bounds (`[feeds] max_price_jump`, `max_clock_skew_s`); the rest are fixed."""
    return ValidationLimits(max_price_factor=cfg.feeds.max_price_jump, max_event_ahead_s=cfg.feeds.max_clock_skew_s)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an event was refused: `reason` is short and stable (a counter key), `detail` is for people."""

    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


_MAX_FUNDING_AHEAD_S = 40 * 86400.0  # a next funding time further than this from receipt is junk


def _real(x: object) -> float | None:
    """A finite float, or None for anything else (bool, str, None, NaN, inf)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    try:
        f = float(x)
    except OverflowError:  # an int of 400 digits
        return None
    return f if math.isfinite(f) else None


def _name_ok(s: object, max_len: int) -> bool:
    return isinstance(s, str) and 0 < len(s) <= max_len and s.isprintable() and not s.isspace()


@dataclass
class EventValidator:
    limits: ValidationLimits = field(default_factory=ValidationLimits)
    accepted: int = 0
    rejected: int = 0
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (venue, reason) -> events
    examples: list[str] = field(default_factory=list)  # the first few rejections, for reports
    max_examples: int = 10

    def __post_init__(self) -> None:
        # venue -> market -> last accepted price (two lookups of interned strings cost less, on
        # every event, than building and hashing a (venue, market) tuple twice)
        self._last_price: dict[str, dict[str, float]] = {}
        self._jumps: dict[tuple[str, str], int] = {}
        self._last_ts: float | None = None
        # symbols the detailed path found well-formed (`_name_ok` depends on the string alone): the
        # quick paths accept only these, so a bad symbol on a known market still meets its check
        self._good_symbols: set[str] = set()
        lim = self.limits
        # unpacked once per frame by `accept`, instead of ten attribute reads per event
        self._bounds = (
            lim.min_price,
            lim.max_price,
            lim.max_qty,
            lim.max_usd,
            lim.max_abs_funding,
            lim.max_price_factor,
            lim.max_event_lag_s,
            lim.max_event_ahead_s,
            lim.max_backwards_s,
            lim.max_gap_s,
        )

    # --- the boundary ------------------------------------------------------------------------
    def check(self, ev: object, ts_recv: float | None = None) -> Rejection | None:
        """None if `ev` may enter the engine (and remember it), else the counted `Rejection`."""
        # the common case: a few comparisons (a recorded line's events carry the line's own receive time)
        if (ts_recv is None or ts_recv == getattr(ev, "ts_recv", None)) and self._plainly_fine(ev):
            return None
        rej = self._inspect(ev, ts_recv)
        if rej is None:
            self.accepted += 1
            self._remember(ev)  # type: ignore[arg-type]
            return None
        venue = getattr(ev, "venue", None)
        key = (venue if isinstance(venue, str) and venue else "?", rej.reason)
        self.counts[key] = self.counts.get(key, 0) + 1
        self.rejected += 1
        if len(self.examples) < self.max_examples:
            self.examples.append(f"{key[0]} {getattr(ev, 'kind', '?')}: {rej}")
        return rej

    def accept(
        self, events: Iterable[Event], ts_recv: float | None = None, rejections: list[Rejection] | None = None
    ) -> list[Event]:
        """The events that pass, in order; the rest are counted (and their `Rejection`s appended to
        `rejections` when given). Same decisions and same state as `check` on each event in turn.
        When every event passes, the list given back is `events` itself (a frame's list, usually).

        This is the per-frame hot path (every event a feed delivers): the usual liquidation and mark,
        a float well inside every bound on a market already seen, is decided inline here with the
        bounds unpacked once per frame; anything else goes through `check`, which finds the reason."""
        (min_p, max_p, max_qty, max_usd, max_fund, factor, lag, ahead, back, gap) = self._bounds
        last_price, good_symbols, jumps = self._last_price, self._good_symbols, self._jumps
        if type(events) is not list:
            events = list(events)
        # the last accepted time and the count are kept in locals and written back before `check`
        # (which reads and writes them) and at the end
        last_ts, accepted = self._last_ts, 0
        passed = 0  # events taken inline since the start, while `good` is still `events` itself
        good: list[Event] | None = None  # a new list only once an event is not taken inline
        ev: Any  # narrowed by `type(ev) is ...` below, which mypy does not follow
        for ev in events:
            t = type(ev)
            if t is Liquidation:
                price, qty, usd = ev.price, ev.qty, ev.usd
                fine = (
                    type(price) is float
                    and min_p <= price <= max_p
                    and type(qty) is float
                    and 0.0 <= qty <= max_qty
                    and qty * price <= max_usd
                    and type(usd) is float
                    and 0.0 <= usd <= max_usd
                    and ev.side in ("long", "short")
                )
            elif t is MarkPrice:
                price, index, fr, nf, h = ev.mark, ev.index, ev.funding_rate, ev.next_funding_ts, ev.funding_interval_h
                fine = (
                    type(price) is float
                    and min_p <= price <= max_p
                    and (index is None or (type(index) is float and min_p <= index <= max_p))
                    and (fr is None or (type(fr) is float and -max_fund <= fr <= max_fund))
                    and type(h) is float
                    and 0.0 < h <= 720.0
                )
                if fine and nf is not None:
                    fine = (
                        type(nf) is float and type(ev.ts_recv) is float and abs(nf - ev.ts_recv) <= _MAX_FUNDING_AHEAD_S
                    )
            else:
                fine = False
            if fine:
                t_recv, t_event = ev.ts_recv, ev.ts_event
                prices = last_price.get(ev.venue)
                last = None if prices is None else prices.get(ev.market)
                symbol = ev.symbol
                if (
                    # a first price takes the detailed path (names are checked once per market there)
                    last is not None
                    and type(t_recv) is float
                    and type(t_event) is float
                    and -lag <= t_event - t_recv <= ahead
                    and (ts_recv is None or ts_recv == t_recv)
                    and (last_ts is None or last_ts - back <= t_recv <= last_ts + gap)
                    and last / factor <= price <= last * factor
                    and type(symbol) is str
                    and symbol in good_symbols
                ):
                    if jumps:
                        jumps.pop((ev.venue, ev.market), None)
                    prices[ev.market] = price  # type: ignore[index]
                    if last_ts is None or t_recv > last_ts:
                        last_ts = t_recv
                    accepted += 1
                    if good is None:
                        passed += 1
                    else:
                        good.append(ev)
                    continue
            self._last_ts = last_ts
            self.accepted += accepted
            accepted = 0
            if good is None:
                good = events[:passed]
            rej = self.check(ev, ts_recv)
            last_ts = self._last_ts
            if rej is None:
                good.append(ev)
            elif rejections is not None:
                rejections.append(rej)
        self._last_ts = last_ts
        self.accepted += accepted
        return events if good is None else good

    def by_venue(self, venue: str) -> dict[str, int]:
        return {reason: n for (v, reason), n in self.counts.items() if v == venue}

    def by_reason(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (_, reason), n in self.counts.items():
            out[reason] = out.get(reason, 0) + n
        return out

    def summary(self) -> str:
        """e.g. ``"3 rejected (price_jump 2, ts_ahead 1)"``, or ``"0 rejected"``."""
        if not self.rejected:
            return "0 rejected"
        parts = ", ".join(f"{r} {n}" for r, n in sorted(self.by_reason().items(), key=lambda kv: -kv[1]))
        return f"{self.rejected} rejected ({parts})"

    def _plainly_fine(self, ev: Any) -> bool:
        """True (and the event remembered) when every value is a float well inside its bounds; anything
        unusual returns False and goes through `_inspect`, which finds the reason. Same rules, fewer steps:
        this runs for every event the engine sees."""
        t = type(ev)
        lim = self.limits
        if t is MarkPrice:
            price = ev.mark
            if not (
                type(price) is float
                and lim.min_price <= price <= lim.max_price
                and ev.index is None
                and ev.next_funding_ts is None
                and (
                    ev.funding_rate is None
                    or (
                        type(ev.funding_rate) is float
                        and -lim.max_abs_funding <= ev.funding_rate <= lim.max_abs_funding
                    )
                )
                and type(ev.funding_interval_h) is float
                and 0.0 < ev.funding_interval_h <= 720.0
            ):
                return False
        elif t is Trade or t is Liquidation:
            price, qty = ev.price, ev.qty
            if not (
                type(price) is float
                and lim.min_price <= price <= lim.max_price
                and type(qty) is float
                and 0.0 <= qty <= lim.max_qty
                and qty * price <= lim.max_usd
            ):
                return False
            if t is Liquidation:
                if not (ev.side in ("long", "short") and type(ev.usd) is float and 0.0 <= ev.usd <= lim.max_usd):
                    return False
            elif ev.aggressor not in ("buy", "sell"):
                return False
        else:
            return False  # open interest and anything else: the detailed path
        t_recv, t_event = ev.ts_recv, ev.ts_event
        if not (
            type(t_recv) is float
            and type(t_event) is float
            and -lim.max_event_lag_s <= t_event - t_recv <= lim.max_event_ahead_s
        ):
            return False
        last_ts = self._last_ts
        if last_ts is not None and not (last_ts - lim.max_backwards_s <= t_recv <= last_ts + lim.max_gap_s):
            return False
        prices = self._last_price.get(ev.venue)
        last = None if prices is None else prices.get(ev.market)
        if last is None or not (last / lim.max_price_factor <= price <= last * lim.max_price_factor):
            return False  # a first price also takes the detailed path (names checked once per market)
        if type(ev.symbol) is not str or ev.symbol not in self._good_symbols:
            return False
        if self._jumps:
            self._jumps.pop((ev.venue, ev.market), None)
        prices[ev.market] = price  # type: ignore[index]
        if last_ts is None or t_recv > last_ts:
            self._last_ts = t_recv
        self.accepted += 1
        return True

    # --- the rules ---------------------------------------------------------------------------
    def _inspect(self, ev: object, ts_recv: float | None) -> Rejection | None:
        lim = self.limits
        if not isinstance(ev, (Liquidation, MarkPrice, OpenInterest, Trade)):
            return Rejection("not_an_event", type(ev).__name__)
        for name in ("venue", "market", "symbol"):
            if not _name_ok(getattr(ev, name), lim.max_name_len):
                return Rejection("bad_name", f"{name} {getattr(ev, name)!r}")
        t_recv = _real(ev.ts_recv)
        t_event = _real(ev.ts_event)
        if t_recv is None or t_event is None:
            return Rejection("bad_time", f"ts_event {ev.ts_event!r}, ts_recv {ev.ts_recv!r}")
        if ts_recv is not None:
            line = _real(ts_recv)
            if line is None or abs(t_recv - line) > lim.max_event_ahead_s:
                return Rejection("ts_recv_mismatch", f"event ts_recv {t_recv:.3f} vs received {ts_recv!r}")
        if t_event - t_recv > lim.max_event_ahead_s:
            return Rejection("ts_ahead", f"exchange time {t_event - t_recv:.3g} s after receipt")
        if t_recv - t_event > lim.max_event_lag_s:
            return Rejection("ts_behind", f"exchange time {t_recv - t_event:.3g} s before receipt")
        if self._last_ts is not None:
            if t_recv < self._last_ts - lim.max_backwards_s:
                return Rejection("out_of_order", f"{self._last_ts - t_recv:.3g} s before the previous event")
            if t_recv > self._last_ts + lim.max_gap_s:
                return Rejection("time_jump", f"{t_recv - self._last_ts:.3g} s after the previous event")
        rej = self._numbers(ev)
        if rej is not None:
            return rej
        price = _price_of(ev)
        if price is not None:
            return self._price_move(ev, price)
        return None

    def _numbers(self, ev: Event) -> Rejection | None:
        lim = self.limits
        if isinstance(ev, (Liquidation, Trade)):
            if ev.kind == "liquidation":
                if ev.side not in ("long", "short"):  # type: ignore[union-attr]
                    return Rejection("bad_side", repr(ev.side))  # type: ignore[union-attr]
            elif ev.aggressor not in ("buy", "sell"):  # type: ignore[union-attr]
                return Rejection("bad_side", repr(ev.aggressor))  # type: ignore[union-attr]
            rej = _price_rule(ev.price, lim, "price")
            if rej:
                return rej
            qty = _real(ev.qty)
            if qty is None or qty < 0 or qty > lim.max_qty:
                return Rejection("bad_qty", repr(ev.qty))
            if isinstance(ev, Liquidation):
                usd = _real(ev.usd)
                if usd is None or usd < 0 or usd > lim.max_usd:
                    return Rejection("bad_usd", repr(ev.usd))
            elif qty * ev.price > lim.max_usd:
                return Rejection("bad_usd", f"{qty * ev.price:.3g}")
            return None
        if isinstance(ev, MarkPrice):
            rej = _price_rule(ev.mark, lim, "mark")
            if rej:
                return rej
            if ev.index is not None:
                rej = _price_rule(ev.index, lim, "index")
                if rej:
                    return rej
            if ev.funding_rate is not None:
                fr = _real(ev.funding_rate)
                if fr is None or abs(fr) > lim.max_abs_funding:
                    return Rejection("bad_funding", repr(ev.funding_rate))
            if ev.next_funding_ts is not None:
                nf = _real(ev.next_funding_ts)
                if nf is None or abs(nf - ev.ts_recv) > _MAX_FUNDING_AHEAD_S:
                    return Rejection("bad_funding_time", repr(ev.next_funding_ts))
            h = _real(ev.funding_interval_h)
            if h is None or not 0 < h <= 24 * 30:
                return Rejection("bad_funding_interval", repr(ev.funding_interval_h))
            return None
        oi = _real(ev.oi_usd)
        if oi is None or oi < 0 or oi > lim.max_oi_usd:
            return Rejection("bad_oi", repr(ev.oi_usd))
        if ev.oi_qty is not None:
            q = _real(ev.oi_qty)
            if q is None or q < 0 or q > lim.max_qty:
                return Rejection("bad_oi", f"oi_qty {ev.oi_qty!r}")
        return None

    def _price_move(self, ev: Event, price: float) -> Rejection | None:
        prices = self._last_price.get(ev.venue)
        last = None if prices is None else prices.get(ev.market)
        if last is None:
            return None
        key = (ev.venue, ev.market)
        factor = self.limits.max_price_factor
        if last / factor <= price <= last * factor:
            self._jumps.pop(key, None)
            return None
        # a run of prices that all disagree with the anchor means the anchor is what is stale
        n = self._jumps.get(key, 0) + 1
        if n >= self.limits.reanchor_after:
            self._jumps.pop(key, None)
            return None
        self._jumps[key] = n
        return Rejection("price_jump", f"{price:.6g} vs last good {last:.6g} (limit ×{factor:g})")

    def _remember(self, ev: Event) -> None:
        self._last_ts = ev.ts_recv if self._last_ts is None else max(self._last_ts, ev.ts_recv)
        self._good_symbols.add(ev.symbol)  # `_inspect` checked it
        price = _price_of(ev)
        if price is not None:
            self._last_price.setdefault(ev.venue, {})[ev.market] = price


def _price_of(ev: Event) -> float | None:
    if isinstance(ev, MarkPrice):
        return ev.mark
    if isinstance(ev, (Trade, Liquidation)):
        return ev.price
    return None


def _price_rule(x: object, lim: ValidationLimits, name: str) -> Rejection | None:
    v = _real(x)
    if v is None:
        return Rejection("bad_price", f"{name} {x!r} is not a finite number")
    if v <= 0:
        return Rejection("bad_price", f"{name} {v:g} is not positive")
    if not lim.min_price <= v <= lim.max_price:
        return Rejection("bad_price", f"{name} {v:g} outside {lim.min_price:g}–{lim.max_price:g}")
    return None
