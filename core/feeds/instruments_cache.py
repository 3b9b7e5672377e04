"""Instrument metadata at start-up: fetched from the venue's REST API, cached on disk.

Parsers need contract sizes (OKX ctVal, BitMEX multipliers) and the connection list needs the
symbols, so a restart without network falls back to the last set that was fetched. With neither
network nor cache the venue still connects with an empty set and a reason saying why; parsers
then count "unknown_instrument" drops instead of guessing sizes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx

from core.feeds.failure import describe_failure
from core.instruments import Instrument

MAX_PAGES = 50  # Bybit pages 1000 a time; 50 pages is far beyond any venue's listing
FETCH_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class InstrumentSet:
    venue: str
    instruments: list[Instrument]
    source: Literal["rest", "cache", "none"]
    reason: str = ""  # why the set is not fresh from the venue (empty when it is)
    fetched_at: float | None = None  # unix seconds the set was fetched from the venue


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "liqhunt"


def cache_path(cache_dir: Path, venue: str) -> Path:
    return Path(cache_dir) / f"instruments-{venue}.json"


def write_cache(cache_dir: Path, venue: str, instruments: list[Instrument], fetched_at: float) -> None:
    path = cache_path(cache_dir, venue)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"venue": venue, "fetched_at": fetched_at, "instruments": [dataclasses.asdict(i) for i in instruments]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)  # atomic: a crash mid-write never leaves half a cache


def read_cache(cache_dir: Path, venue: str) -> tuple[list[Instrument], float | None]:
    """The cached set; raises OSError/ValueError/TypeError when missing or unreadable."""
    doc = json.loads(cache_path(cache_dir, venue).read_text(encoding="utf-8"))
    return [Instrument(**row) for row in doc["instruments"]], doc.get("fetched_at")


def with_base(url: str, base: str | None) -> str:
    """`url` with its scheme and host replaced by `base` (tests point venues at 127.0.0.1)."""
    if not base:
        return url
    u, b = urlsplit(url), urlsplit(base)
    return urlunsplit((b.scheme, b.netloc, b.path.rstrip("/") + u.path, u.query, ""))


def _next_cursor(body: Any) -> str | None:
    # Bybit v5 pages with result.nextPageCursor; the other venues answer in one page
    result = body.get("result") if isinstance(body, dict) else None
    cursor = result.get("nextPageCursor") if isinstance(result, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


async def fetch_instruments(module: Any, client: httpx.AsyncClient, base_url: str | None = None) -> list[Instrument]:
    """`module`: a venue module or the registry's `venue_module(venue)` (INSTRUMENTS_URL, parse_instruments).

    Every page of the venue's instruments, parsed by the venue module. Raises on any HTTP failure."""
    split = urlsplit(with_base(module.INSTRUMENTS_URL, base_url))
    url = urlunsplit((split.scheme, split.netloc, split.path, "", ""))
    params = dict(parse_qsl(split.query))
    # Hyperliquid's info endpoint is a POST; the registry's VenueApi calls it instruments_body
    post_body = getattr(module, "instruments_body", None) or getattr(module, "INSTRUMENTS_BODY", None)
    out: list[Instrument] = []
    for _ in range(MAX_PAGES):
        if post_body is not None:
            resp = await client.post(url, json=post_body, timeout=FETCH_TIMEOUT_S)
        else:
            resp = await client.get(url, params=params, timeout=FETCH_TIMEOUT_S)
        resp.raise_for_status()
        body = resp.json()
        out.extend(module.parse_instruments(body))
        cursor = _next_cursor(body)
        if cursor is None:
            return out
        params["cursor"] = cursor
    raise RuntimeError(f"{split.netloc}: more than {MAX_PAGES} pages of instruments")


async def load_instruments(
    venue: str,
    module: Any,
    client: httpx.AsyncClient,
    cache_dir: Path | None = None,
    base_url: str | None = None,
) -> InstrumentSet:
    """Fresh from REST (and cached), else the cache, else an empty set; never raises for I/O."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    try:
        instruments = await fetch_instruments(module, client, base_url)
        if not instruments:
            raise ValueError("the venue listed no instruments")
    except Exception as exc:
        if isinstance(exc, httpx.HTTPStatusError):
            why = f"{urlsplit(str(exc.request.url)).netloc} answered HTTP {exc.response.status_code}"
        elif isinstance(exc, (httpx.HTTPError, OSError)):
            why = describe_failure(exc, with_base(module.INSTRUMENTS_URL, base_url))[1]
        else:
            why = f"instrument list unusable: {exc}"
        return _from_cache(venue, cache_dir, why)
    fetched_at = time.time()  # metadata age only; never used as an event time
    try:
        write_cache(cache_dir, venue, instruments, fetched_at)
    except OSError as exc:
        return InstrumentSet(venue, instruments, "rest", f"could not write the instrument cache: {exc}", fetched_at)
    return InstrumentSet(venue, instruments, "rest", "", fetched_at)


def _from_cache(venue: str, cache_dir: Path, why: str) -> InstrumentSet:
    try:
        instruments, fetched_at = read_cache(cache_dir, venue)
    except FileNotFoundError:
        return InstrumentSet(venue, [], "none", f"{why}; no cached instruments, contract sizes unknown")
    except (OSError, ValueError, TypeError, KeyError) as exc:
        return InstrumentSet(venue, [], "none", f"{why}; instrument cache unreadable ({exc})")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(fetched_at)) if fetched_at else "an unknown time"
    return InstrumentSet(
        venue, instruments, "cache", f"{why}; using {len(instruments)} cached instruments from {when}", fetched_at
    )
