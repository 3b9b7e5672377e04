"""One market's estimated liquidation mass, in log-price buckets, with O(1) global updates.

Bucket `i` covers prices [g^i, g^(i+1)) with g = 1 + bucket_pct / 100, so every bucket has
the same relative width at any price level and an index is one `log`. Long mass and short
mass sit in two dicts keyed by index, holding *raw* values; the USD value of a bucket is
raw × `scale`. Decay and proportional open-interest removal touch every level equally, so
they only change `scale` (kept as a value at `scale_ts` that halves every half-life): an
update never walks the buckets. Adding mass divides by the current scale. When the scale
drifts far from 1 it is folded back into the raw values — rare, O(buckets).

Invariant: long mass only in buckets wholly below the last price's bucket, short mass only
wholly above it. A price that trades into a bucket liquidates what is estimated there, so
moving the price clears the crossed buckets: O(crossed), amortised over the moves.
"""
from __future__ import annotations

import math

RENORM_BELOW = 1e-9
RENORM_ABOVE = 1e9
DUST_USD = 1e-6  # below this a bucket is dropped at renormalisation


class LogGrid:
    """Index ↔ price for buckets of equal relative width."""

    __slots__ = ("bucket_pct", "log_step")

    def __init__(self, bucket_pct: float) -> None:
        self.bucket_pct = bucket_pct
        self.log_step = math.log1p(bucket_pct / 100.0)

    def index(self, price: float) -> int:
        return math.floor(math.log(price) / self.log_step)

    def lower(self, i: int) -> float:
        return math.exp(i * self.log_step)

    def centre(self, i: int) -> float:
        return math.exp((i + 0.5) * self.log_step)

    def span(self, pct: float) -> int:
        """Buckets covering `pct` % of price (at least one)."""
        return max(1, round(math.log1p(pct / 100.0) / self.log_step))


class MarketLevels:
    __slots__ = ("long", "short", "scale", "scale_ts", "decay_per_s", "price_idx", "long_top", "short_bottom")

    def __init__(self, half_life_s: float, ts: float) -> None:
        self.long: dict[int, float] = {}
        self.short: dict[int, float] = {}
        self.scale = 1.0
        self.scale_ts = ts
        self.decay_per_s = math.log(2.0) / half_life_s
        self.price_idx: int | None = None
        # bounds of where mass may sit, so a price move visits only buckets that can hold any
        self.long_top: int | None = None
        self.short_bottom: int | None = None

    # -- scale ---------------------------------------------------------------------------------
    def scale_at(self, ts: float) -> float:
        dt = ts - self.scale_ts
        return self.scale * math.exp(-self.decay_per_s * dt) if dt > 0 else self.scale

    def _advance(self, ts: float) -> float:
        if ts > self.scale_ts:
            self.scale = self.scale_at(ts)
            self.scale_ts = ts
        if not RENORM_BELOW < self.scale < RENORM_ABOVE:
            self._renormalise()
        return self.scale

    def _renormalise(self) -> None:
        s = self.scale
        for book in (self.long, self.short):
            for i in list(book):
                v = book[i] * s
                if v < DUST_USD:
                    del book[i]
                else:
                    book[i] = v
        self.scale = 1.0

    def multiply(self, factor: float, ts: float) -> None:
        """Scale every level by `factor` (e.g. 0.98 after a 2 % fall in open interest): O(1)."""
        self._advance(ts)
        self.scale *= max(factor, 0.0)
        if self.scale == 0.0:
            self.long.clear()
            self.short.clear()
            self.scale = 1.0
            self.long_top = self.short_bottom = None

    # -- mass ----------------------------------------------------------------------------------
    def add(self, is_long: bool, i: int, usd: float, ts: float) -> bool:
        """Add `usd` at bucket `i`; refused (False) if the current price has already crossed it."""
        p = self.price_idx
        if p is not None and ((is_long and i >= p) or (not is_long and i <= p)):
            return False
        raw = usd / self._advance(ts)
        if is_long:
            self.long[i] = self.long.get(i, 0.0) + raw
            if self.long_top is None or i > self.long_top:
                self.long_top = i
        else:
            self.short[i] = self.short.get(i, 0.0) + raw
            if self.short_bottom is None or i < self.short_bottom:
                self.short_bottom = i
        return True

    def usd(self, is_long: bool, i: int, ts: float) -> float:
        raw = (self.long if is_long else self.short).get(i)
        return raw * self.scale_at(ts) if raw else 0.0

    def move_price(self, i: int, ts: float) -> tuple[float, float]:
        """The price is now in bucket `i`: clear what it has crossed. Returns (long, short) USD consumed."""
        self.price_idx = i
        s = self.scale_at(ts)
        long_gone = short_gone = 0.0
        top = self.long_top
        if top is not None and top >= i:
            book = self.long
            for j in range(i, top + 1):
                raw = book.pop(j, None)
                if raw:
                    long_gone += raw
            self.long_top = i - 1 if book else None
        bottom = self.short_bottom
        if bottom is not None and bottom <= i:
            book = self.short
            for j in range(bottom, i + 1):
                raw = book.pop(j, None)
                if raw:
                    short_gone += raw
            self.short_bottom = i + 1 if book else None
        return long_gone * s, short_gone * s

    def take_near(self, is_long: bool, i: int, radius: int, usd: float, ts: float) -> float:
        """Remove up to `usd` from the buckets within `radius` of `i`, nearest first. O(radius)."""
        book = self.long if is_long else self.short
        s = self.scale_at(ts)
        left = usd
        for k in range(radius + 1):
            for j in ((i,) if k == 0 else (i - k, i + k)):
                raw = book.get(j)
                if not raw:
                    continue
                have = raw * s
                if have <= left:
                    del book[j]
                    left -= have
                else:
                    book[j] = (have - left) / s
                    return usd
                if left <= 0.0:
                    return usd
        return usd - left

    def prune(self, centre: int, keep: int) -> None:
        """Forget buckets more than `keep` from `centre`: O(buckets), called when the dicts outgrow their bound."""
        for book in (self.long, self.short):
            for j in [j for j in book if abs(j - centre) > keep]:
                del book[j]
        self.long_top = max(self.long) if self.long else None
        self.short_bottom = min(self.short) if self.short else None

    def __len__(self) -> int:
        return len(self.long) + len(self.short)

    def total(self, ts: float) -> tuple[float, float]:
        """(long, short) USD over every bucket: O(buckets), for stats and tests only."""
        s = self.scale_at(ts)
        return sum(self.long.values()) * s, sum(self.short.values()) * s
