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

Beside each dict, a sorted list of its occupied indices (`long_keys`, `short_keys`), so that a
price move and a realised liquidation visit only buckets that hold mass: bisect to the spot,
walk the occupied neighbours. The lists change only when a bucket appears or goes.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort

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
    __slots__ = (
        "long",
        "short",
        "long_keys",
        "short_keys",
        "scale",
        "scale_ts",
        "decay_per_s",
        "price_idx",
        "long_top",
        "short_bottom",
    )

    def __init__(self, half_life_s: float, ts: float) -> None:
        self.long: dict[int, float] = {}
        self.short: dict[int, float] = {}
        self.long_keys: list[int] = []  # sorted occupied indices of `long` (and below, of `short`)
        self.short_keys: list[int] = []
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
        self.long_keys = sorted(self.long)
        self.short_keys = sorted(self.short)

    def multiply(self, factor: float, ts: float) -> None:
        """Scale every level by `factor` (e.g. 0.98 after a 2 % fall in open interest): O(1)."""
        self._advance(ts)
        self.scale *= max(factor, 0.0)
        if self.scale == 0.0:
            self.long.clear()
            self.short.clear()
            self.long_keys.clear()
            self.short_keys.clear()
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
            book = self.long
            if i not in book:
                insort(self.long_keys, i)
            book[i] = book.get(i, 0.0) + raw
            if self.long_top is None or i > self.long_top:
                self.long_top = i
        else:
            book = self.short
            if i not in book:
                insort(self.short_keys, i)
            book[i] = book.get(i, 0.0) + raw
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
            book, keys = self.long, self.long_keys
            k = bisect_left(keys, i)
            for j in keys[k:]:  # ascending, as a walk from i to the top would meet them
                raw = book.pop(j)
                if raw:
                    long_gone += raw
            del keys[k:]
            self.long_top = i - 1 if book else None
        bottom = self.short_bottom
        if bottom is not None and bottom <= i:
            book, keys = self.short, self.short_keys
            k = bisect_right(keys, i)
            for j in keys[:k]:
                raw = book.pop(j)
                if raw:
                    short_gone += raw
            del keys[:k]
            self.short_bottom = i + 1 if book else None
        return long_gone * s, short_gone * s

    def take_near(self, is_long: bool, i: int, radius: int, usd: float, ts: float) -> float:
        """Remove up to `usd` from the buckets within `radius` of `i`, nearest first (at equal
        distance the lower bucket first). Visits only occupied buckets: O(log n + buckets taken)."""
        if is_long:
            book, keys = self.long, self.long_keys
        else:
            book, keys = self.short, self.short_keys
        if not keys:
            return 0.0
        ri = bisect_left(keys, i)  # keys[ri] >= i: the walk up; keys[li] < i: the walk down
        li = ri - 1
        lo, hi = i - radius, i + radius
        if (ri == len(keys) or keys[ri] > hi) and (li < 0 or keys[li] < lo):
            return 0.0  # nothing within reach
        s = self.scale_at(ts)
        left = usd
        while True:
            up = keys[ri] if ri < len(keys) and keys[ri] <= hi else None
            down = keys[li] if li >= 0 and keys[li] >= lo else None
            if down is not None and (up is None or (up != i and i - down <= up - i)):
                j, at = down, li
            elif up is not None:
                j, at = up, ri
            else:
                return usd - left
            raw = book[j]
            if not raw:  # an empty bucket is passed over, as the walk by distance does
                if at == li:
                    li -= 1
                else:
                    ri += 1
                continue
            have = raw * s
            if have > left:
                book[j] = (have - left) / s
                return usd
            del book[j]
            del keys[at]
            if at == li:
                li -= 1
                ri -= 1
            left -= have
            if left <= 0.0:
                return usd

    def prune(self, centre: int, keep: int) -> None:
        """Forget buckets more than `keep` from `centre`: O(buckets), called when the dicts outgrow their bound."""
        for book in (self.long, self.short):
            for j in [j for j in book if abs(j - centre) > keep]:
                del book[j]
        self.long_keys = sorted(self.long)
        self.short_keys = sorted(self.short)
        self.long_top = max(self.long) if self.long else None
        self.short_bottom = min(self.short) if self.short else None

    def __len__(self) -> int:
        return len(self.long) + len(self.short)

    def total(self, ts: float) -> tuple[float, float]:
        """(long, short) USD over every bucket: O(buckets), for stats and tests only."""
        s = self.scale_at(ts)
        return sum(self.long.values()) * s, sum(self.short.values()) * s
