"""Decoding and field checks shared by the venue parsers.

Every venue sends numbers as JSON numbers or as decimal strings, uses ``""`` for "not known
yet", and occasionally sends frames we must refuse. These helpers turn each case into either a
clean float or a `ParseError` with a stable reason, so the parsers read as field mappings.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from core.feeds.base import ParseError

MAX_FRAME_CHARS = 1_000_000  # the largest real frame (Binance !markPrice@arr) is ~100 kB
_MAX_NUMBER_CHARS = 40  # longer "numbers" are junk; also stops huge int-string conversions


def decode(raw: str | bytes) -> Any:
    """Decode one frame once. Refuses oversized frames before parsing them."""
    if not isinstance(raw, (str, bytes, bytearray, memoryview)):
        raise ParseError("bad_type", "frame is not text")
    if len(raw) > MAX_FRAME_CHARS:
        raise ParseError("oversized", str(len(raw)))
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:  # also NaN/Infinity literals and >1024-deep nesting
        raise ParseError("bad_json", str(exc)[:80]) from None


def obj(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise ParseError("bad_type", f"{what} is not an object")
    return value


def items(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise ParseError("bad_type", f"{what} is not a list")
    return value


def text(d: dict, key: str) -> str:
    """A required non-empty string field."""
    if key not in d:
        raise ParseError("missing_field", key)
    value = d[key]
    if not isinstance(value, str) or not value:
        raise ParseError("bad_type", f"{key} is not a non-empty string")
    return value


def maybe_number(value: Any, key: str = "") -> float | None:
    """A finite float, or None for absent/empty (venues send "" or null before a value exists)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ParseError("bad_number", key)
    if isinstance(value, (int, float)):
        try:
            f = float(value)
        except OverflowError:
            raise ParseError("bad_number", key) from None
    elif isinstance(value, str) and len(value) <= _MAX_NUMBER_CHARS:
        try:
            f = float(value)
        except ValueError:
            raise ParseError("bad_number", key) from None
    else:
        raise ParseError("bad_number", key)
    if not math.isfinite(f):
        raise ParseError("bad_number", key)
    return f


def number(d: dict, key: str) -> float:
    """A required finite number field."""
    if key not in d:
        raise ParseError("missing_field", key)
    f = maybe_number(d[key], key)
    if f is None:
        raise ParseError("missing_field", key)
    return f


def positive(d: dict, key: str) -> float:
    """A required number field that must be > 0 (prices, sizes)."""
    f = number(d, key)
    if f <= 0:
        raise ParseError("bad_number", f"{key} <= 0")
    return f


def maybe_positive(value: Any, key: str = "") -> float | None:
    """Like `maybe_number`, but zero counts as "not known" (venues send "0" for unset prices)."""
    f = maybe_number(value, key)
    if f is None or f == 0:
        return None
    if f < 0:
        raise ParseError("bad_number", f"{key} < 0")
    return f


def ms_to_s(value: Any, key: str) -> float | None:
    """Venue milliseconds (number or string) to unix seconds; 0/""/null mean "not given"."""
    f = maybe_number(value, key)
    if f is None or f <= 0:
        return None
    return f / 1000.0


def finite_product(a: float, b: float, key: str) -> float:
    """a × b, refusing overflow to infinity (two huge-but-finite fields)."""
    p = a * b
    if not math.isfinite(p) or p <= 0:
        raise ParseError("bad_number", key)
    return p


def finite_ratio(a: float, b: float, key: str) -> float:
    q = a / b
    if not math.isfinite(q) or q <= 0:
        raise ParseError("bad_number", key)
    return q


def lookup(table: Any, key: Any) -> Any:
    """``table.get(key)`` for a string key; None for any other JSON value (lists are unhashable)."""
    return table.get(key) if isinstance(key, str) else None


def subscribe_frames(args: list[dict], per_frame: int) -> tuple[str, ...]:
    """`{"op": "subscribe", "args": [...]}` frames of at most `per_frame` args each (OKX, Bitget)."""
    return tuple(
        orjson.dumps({"op": "subscribe", "args": args[i : i + per_frame]}).decode()
        for i in range(0, len(args), per_frame)
    )
