"""Live feeds for a set of venues: instruments, parsers and connection runners, side by side.

The composition root builds one `LiveFeeds` and awaits `run()`; events, raw frames (for the
recorder) and health snapshots come out through the three callbacks. A venue that cannot be
reached, or has no instruments yet, keeps retrying on its own without holding up the others.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from core.clock import Clock
from core.events import Event, Liquidation, base_asset
from core.feeds.failure import host_of
from core.feeds.health import FeedHealth, FeedState
from core.feeds.instruments_cache import InstrumentSet, load_instruments, with_base
from core.feeds.registry import LIQUIDATION_COVERAGE, RETIRED, VENUES, make_parser, parse_recorded, venue_module
from core.feeds.runner import FeedRunner, OnEvents, OnHealth, OnRaw

log = logging.getLogger(__name__)

INSTRUMENT_RETRY_S = 60.0  # a venue with nothing to subscribe to asks for its instruments again this often


@dataclass(frozen=True)
class MarketFilter:
    """Which events go downstream. Markets match by canonical name ("BTC-USDT-PERP") or base ("BTC").

    Filtered events are counted in `FeedHealth.filtered`, never dropped silently.
    """

    include: frozenset[str] = frozenset()  # empty: every market
    exclude: frozenset[str] = frozenset()
    min_liquidation_usd: float = 0.0

    def keep(self, ev: Event) -> bool:
        names = (ev.market, base_asset(ev.market))
        if self.include and not any(n in self.include for n in names):
            return False
        if any(n in self.exclude for n in names):
            return False
        return not (isinstance(ev, Liquidation) and ev.usd < self.min_liquidation_usd)


def _liquidation_note(venue: str) -> str:
    # only venues without a liquidation stream carry a standing note; the rest is documentation
    coverage = LIQUIDATION_COVERAGE.get(venue, "")
    return "no public liquidation stream; funding and open interest only" if coverage.startswith("none") else ""


class LiveFeeds:
    def __init__(
        self,
        venues: Iterable[str],
        clock: Clock,
        on_events: OnEvents,
        on_raw: OnRaw | None = None,
        on_health: OnHealth | None = None,
        cache_dir: Path | None = None,
        *,
        ws_base_urls: dict[str, str] | None = None,  # venue -> "ws://127.0.0.1:port" (tests)
        rest_base_urls: dict[str, str] | None = None,  # venue -> "http://127.0.0.1:port" (tests)
        market_filter: MarketFilter | None = None,
        rng: random.Random | None = None,
        runner_options: dict[str, Any] | None = None,
        on_instruments: Callable[[str, list], None] | None = None,
    ) -> None:
        self.venues = list(dict.fromkeys(venues))
        unknown = [v for v in self.venues if v not in VENUES]
        if unknown:
            raise ValueError(f"unknown venue(s) {', '.join(unknown)}; supported: {', '.join(VENUES)}")
        retired = [v for v in self.venues if v in RETIRED]
        if retired:
            raise ValueError("; ".join(RETIRED[v] for v in retired))
        self.clock = clock
        self._on_events = on_events
        self._on_raw = on_raw
        self._on_health = on_health
        self.cache_dir = cache_dir
        self._ws_base = ws_base_urls or {}
        self._rest_base = rest_base_urls or {}
        self.market_filter = market_filter or MarketFilter()
        self._rng = rng or random.Random()
        self._runner_options = runner_options or {}
        self._on_instruments = on_instruments
        self.instruments: dict[str, InstrumentSet] = {}
        self.runners: dict[str, FeedRunner] = {}
        self.health: dict[str, FeedHealth] = {}

    async def run(self) -> None:
        """Run every venue until cancelled."""
        async with httpx.AsyncClient(timeout=10.0) as client:
            async with asyncio.TaskGroup() as tg:
                for venue in self.venues:
                    tg.create_task(self._run_venue(venue, client), name=f"feed:{venue}")

    async def _run_venue(self, venue: str, client: httpx.AsyncClient) -> None:
        api = venue_module(venue)
        rest_base = self._rest_base.get(venue)
        while True:
            self._publish(
                FeedHealth(
                    venue,
                    FeedState.CONNECTING,
                    f"fetching instruments from {host_of(with_base(api.INSTRUMENTS_URL, rest_base))}",
                    coverage=LIQUIDATION_COVERAGE.get(venue, ""),
                )
            )
            iset = await load_instruments(venue, api, client, self.cache_dir, rest_base)
            self.instruments[venue] = iset
            connections = [
                replace(c, url=with_base(c.url, self._ws_base.get(venue))) for c in api.connections(iset.instruments)
            ]
            polls = [replace(p, url=with_base(p.url, rest_base)) for p in api.polls(iset.instruments)]
            if connections or polls:
                break
            # e.g. Bybit subscribes per symbol: without a symbol list there is nothing to connect to
            why = "; ".join(
                n
                for n in (
                    iset.reason or "the venue listed no instruments",
                    f"nothing to subscribe to, retrying in {INSTRUMENT_RETRY_S:.0f} s",
                    _liquidation_note(venue),
                )
                if n
            )
            self._publish(
                FeedHealth(
                    venue,
                    FeedState.DOWN,
                    why,
                    last_error=iset.reason or why,
                    next_retry_ts=self.clock.now() + INSTRUMENT_RETRY_S,
                    coverage=LIQUIDATION_COVERAGE.get(venue, ""),
                )
            )
            await asyncio.sleep(INSTRUMENT_RETRY_S)
        if self._on_raw is not None and iset.instruments:
            # recorded first, so a replay knows the contract sizes the parsers used live
            self._on_raw(self.clock.now(), venue, {"instruments": [asdict(i) for i in iset.instruments]})
        if self._on_instruments is not None:
            self._on_instruments(venue, iset.instruments)
        note = "; ".join(n for n in (_liquidation_note(venue), iset.reason) if n)
        runner = FeedRunner(
            venue,
            connections,
            make_parser(venue, iset.instruments),
            self._on_events,
            self.clock,
            on_raw=self._on_raw,
            on_health=self._publish,
            auto_reply=api.auto_reply,
            polls=polls,
            http_client=client,
            rng=self._rng,
            parse_poll=parse_recorded,
            keep=self.market_filter.keep,
            note=note,
            coverage=LIQUIDATION_COVERAGE.get(venue, ""),
            connects_per_s=api.connects_per_s,
            **self._runner_options,
        )
        self.runners[venue] = runner
        await runner.run()

    def _publish(self, health: FeedHealth) -> None:
        self.health[health.venue] = health
        if self._on_health is not None:
            try:
                self._on_health(health)
            except Exception:  # a broken display must not take the feed down
                log.exception("%s: health consumer failed", health.venue)


def parse_endpoints(specs: Iterable[str]) -> dict[str, str]:
    """``["binance=ws://127.0.0.1:9001"]`` -> ``{"binance": "ws://127.0.0.1:9001"}`` (CLI test overrides)."""
    out: dict[str, str] = {}
    for spec in specs:
        venue, sep, url = spec.partition("=")
        if not sep or not venue or "://" not in url:
            raise ValueError(f"endpoint {spec!r} is not venue=scheme://host:port")
        out[venue.strip()] = url.strip()
    return out
