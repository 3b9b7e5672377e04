"""Value checks a decoded event must pass before a reader hands it to the engine.

A recording is hostile input: a venue parser or a sim line can carry a value of the right
field but the wrong kind (a string "NaN", infinity, a negative price). Such an event makes its
line a counted bad line instead of reaching the engine's arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields

from core.events import Event

# fields that must be numbers > 0, numbers >= 0, or any finite number; None allowed for the optional ones
_POSITIVE = {"price", "mark", "funding_interval_h"}
_NON_NEGATIVE = {"qty", "usd", "oi_usd"}
_OPTIONAL_POSITIVE = {"index"}
_OPTIONAL_NON_NEGATIVE = {"oi_qty"}
_OPTIONAL_FINITE = {"funding_rate", "next_funding_ts"}
_FINITE = {"ts_event", "ts_recv"}
_TEXT = {"venue", "market", "symbol"}


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


_RULES: dict[type, list[tuple[str, str, bool]]] = {}  # class -> (field, rule, None allowed)


def _rules(cls: type) -> list[tuple[str, str, bool]]:
    rules = _RULES.get(cls)
    if rules is None:
        rules = []
        for f in fields(cls):
            n = f.name
            if n in _TEXT:
                rules.append((n, "text", False))
            elif n in _POSITIVE or n in _OPTIONAL_POSITIVE:
                rules.append((n, "positive", n in _OPTIONAL_POSITIVE))
            elif n in _NON_NEGATIVE or n in _OPTIONAL_NON_NEGATIVE:
                rules.append((n, "non-negative", n in _OPTIONAL_NON_NEGATIVE))
            elif n in _FINITE or n in _OPTIONAL_FINITE:
                rules.append((n, "finite", n in _OPTIONAL_FINITE))
        _RULES[cls] = rules
    return rules


_WANT = {
    "text": "a non-empty string",
    "positive": "a finite number > 0",
    "non-negative": "a finite number >= 0",
    "finite": "a finite number",
}


_FAST: dict[type, Callable[[Event], bool]] = {}
_FAST_TERMS = {
    "text": "(type(ev.{n}) is str and ev.{n} != '')",
    "positive": "(type(ev.{n}) is float and 0.0 < ev.{n} < INF)",
    "non-negative": "(type(ev.{n}) is float and 0.0 <= ev.{n} < INF)",
    "finite": "(type(ev.{n}) is float and -INF < ev.{n} < INF)",
}


def _fast_check(cls: type) -> Callable[[Event], bool]:
    """One compiled expression per event class that is True when every value is plainly fine (floats and
    strings in range): the common case costs one call; anything else takes the detailed path for its reason."""
    fn = _FAST.get(cls)
    if fn is None:
        terms = []
        for name, rule, optional in _rules(cls):
            term = _FAST_TERMS[rule].format(n=name)
            terms.append(f"(ev.{name} is None or {term})" if optional else term)
        fn = eval(f"lambda ev: {' and '.join(terms) or 'True'}", {"INF": math.inf})  # noqa: S307 - built from field names
        _FAST[cls] = fn
    return fn


def event_problem(ev: Event) -> str | None:
    """Why this event must not be used, or None when every value is usable."""
    if _fast_check(type(ev))(ev):
        return None
    for name, rule, optional in _rules(type(ev)):
        v = getattr(ev, name)
        if v is None and optional:
            continue
        if rule == "text":
            ok = isinstance(v, str) and bool(v)
        elif not _number(v):
            ok = False
        elif rule == "positive":
            ok = v > 0
        elif rule == "non-negative":
            ok = v >= 0
        else:
            ok = True
        if not ok:
            shown = repr(v) if len(repr(v)) <= 40 else repr(v)[:37] + "..."
            return f"{ev.kind}: {name} must be {_WANT[rule]}, got {shown}"
    return None
