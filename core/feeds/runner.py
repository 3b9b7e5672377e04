"""The connection runner: keeps one venue's websockets (and REST polls) alive and feeds its parser.

Per `VenueConnection` one task: connect, subscribe, read frames, stamp `ts_recv` from the injected
clock, hand the raw frame to the recorder, parse, deliver events. Everything that can go wrong on
the wire (DNS failure, refused connection, abrupt close, silence, malformed frames, parser bugs)
is counted in `FeedHealth` and retried; nothing here ever raises out of `run()` except
cancellation. The parser stays pure: this module owns all of the I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import math
import random
import zlib
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect

from core.clock import Clock
from core.events import Event
from core.feeds.base import ParseError, RestPoll, VenueConnection, VenueParser
from core.feeds.failure import describe_failure, host_of
from core.feeds.health import FeedHealth, FeedState, HealthTracker
from core.feeds.pacing import Backoff, ConnectPacer, RateBudget
from core.validation import EventValidator, Rejection, ValidationLimits

log = logging.getLogger(__name__)

OnEvents = Callable[[list[Event]], None]
OnRaw = Callable[[float, str, object], None]
OnHealth = Callable[[FeedHealth], None]
AutoReply = Callable[[str], "str | None"]
ParsePoll = Callable[[VenueParser, dict, float], list[Event]]


class _SessionEnded(Exception):
    """The session ended on our terms (silence, scheduled lifetime); `planned` skips the backoff."""

    def __init__(self, reason: str, kind: str, planned: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.kind, self.planned = reason, kind, planned


class FeedRunner:
    def __init__(
        self,
        venue: str,
        connections: Iterable[VenueConnection],
        parser: VenueParser,
        on_events: OnEvents,
        clock: Clock,
        on_raw: OnRaw | None = None,
        on_health: OnHealth | None = None,
        auto_reply: AutoReply | None = None,
        polls: Iterable[RestPoll] = (),
        http_client: httpx.AsyncClient | None = None,
        backoff: tuple[float, float] = (1.0, 60.0),
        rng: random.Random | None = None,
        *,
        parse_poll: ParsePoll | None = None,
        keep: Callable[[Event], bool] | None = None,
        note: str = "",
        coverage: str = "",
        connects_per_s: float | None = None,
        stale_grace: float = 30.0,
        healthy_after: float = 30.0,
        health_interval: float = 1.0,
        open_timeout: float = 10.0,
        rest_timeout: float = 10.0,
        rest_weight_per_min: float = 600.0,
        limits: ValidationLimits | None = None,
    ) -> None:
        self.venue = venue
        self.connections = list(connections)
        names = [c.name for c in self.connections]
        if len(set(names)) != len(names):
            raise ValueError(f"{venue}: connection names must be unique, got {names}")
        self.polls = list(polls)
        self.parser = parser
        self.clock = clock
        self._on_events = on_events
        self._on_raw = on_raw
        self._on_health = on_health
        self._auto_reply = auto_reply
        self._http = http_client
        self._backoff = backoff
        self._rng = rng or random.Random()
        self._parse_poll = parse_poll
        self._keep = keep
        self.stale_grace = stale_grace
        self.healthy_after = healthy_after
        self.health_interval = health_interval
        self.open_timeout = open_timeout
        self.rest_timeout = rest_timeout
        self._budget = RateBudget(rest_weight_per_min)
        self.validator = EventValidator(limits or ValidationLimits())
        self._connect_pacer = ConnectPacer(connects_per_s) if connects_per_s else None
        self._tracker = HealthTracker(
            venue,
            names,
            note=note,
            coverage=coverage,
            poll_names=list(dict.fromkeys(_poll_name(p) for p in self.polls)),
        )

    @property
    def health(self) -> FeedHealth:
        return self._tracker.snapshot(self.clock.now())

    # --- top level ---------------------------------------------------------------------------
    async def run(self) -> None:
        """Run until cancelled. Connections and polls run side by side; none can stop the others."""
        own_client = None
        if self.polls and self._http is None:
            own_client = self._http = httpx.AsyncClient(timeout=self.rest_timeout)
        try:
            async with asyncio.TaskGroup() as tg:
                for conn in self.connections:
                    tg.create_task(self._keep_connected(conn), name=f"{self.venue}:{conn.name}")
                for i, poll in enumerate(self.polls):
                    tg.create_task(self._poll_forever(poll, _poll_name(poll)), name=f"{self.venue}:poll{i}")
                tg.create_task(self._push_health_forever(), name=f"{self.venue}:health")
        finally:
            self._tracker.stop("feed stopped")
            self._push_health()
            if own_client is not None:
                await own_client.aclose()
                self._http = None

    # --- websocket connections ---------------------------------------------------------------
    async def _keep_connected(self, conn: VenueConnection) -> None:
        loop = asyncio.get_running_loop()
        backoff = Backoff(*self._backoff, rng=self._rng)
        first = True
        reason = ""
        while True:
            # a retry keeps the last failure in view: FeedState.DOWN with no reason would say nothing
            self._set_state(
                conn.name,
                FeedState.CONNECTING if first else FeedState.RECONNECTING,
                "" if first else f"{reason}; connecting to {host_of(conn.url)} again",
            )
            first = False
            opened_at: float | None = None
            planned = False
            if self._connect_pacer is not None:
                await self._connect_pacer.acquire()
            try:
                async with connect(
                    conn.url,
                    additional_headers=list(conn.headers) or None,
                    open_timeout=self.open_timeout,
                    close_timeout=2.0,
                    max_size=2**24,
                    max_queue=256,
                ) as ws:
                    opened_at = loop.time()
                    self._tracker.connection_opened(conn.name)
                    await self._session(conn, ws)
            except asyncio.CancelledError:
                raise
            except _SessionEnded as end:
                kind, reason, planned = end.kind, end.reason, end.planned
                self._tracker.error(kind)
            except Exception as exc:  # every network failure is retried, never raised
                kind, reason = describe_failure(exc, conn.url)
                self._tracker.error(kind)
                log.info("%s/%s: %s", self.venue, conn.name, reason)
            # a connection that stayed up a while proves the venue is fine: start the backoff over
            if opened_at is not None and loop.time() - opened_at >= self.healthy_after:
                backoff.reset()
            delay = 0.0 if planned else backoff.next()
            self._set_state(
                conn.name,
                FeedState.RECONNECTING,
                f"{reason}; retrying in {delay:.1f} s",
                next_retry_ts=self.clock.now() + delay,
            )
            await asyncio.sleep(delay)

    async def _session(self, conn: VenueConnection, ws: ClientConnection) -> None:
        loop = asyncio.get_running_loop()
        for frame in conn.subscribe:
            await ws.send(self._stamped(conn, frame))
        self._set_state(conn.name, FeedState.CONNECTED)
        pinger = asyncio.create_task(self._ping_forever(conn, ws)) if conn.ping_frame else None
        deadline = loop.time() + conn.max_lifetime if conn.max_lifetime else math.inf
        last_frame = loop.time()
        stale = False
        try:
            while True:
                # the watchdog: wait for a frame no longer than the silence limit or the lifetime
                limit = conn.stale_after + (self.stale_grace if stale else 0.0)
                wake = min(last_frame + limit, deadline)
                try:
                    async with asyncio.timeout(max(0.0, wake - loop.time())):
                        raw = await ws.recv()
                except TimeoutError:
                    silent = loop.time() - last_frame
                    if loop.time() >= deadline:
                        raise _SessionEnded(
                            "scheduled reconnect before the venue's connection time limit",
                            "scheduled_reconnect",
                            planned=True,
                        ) from None
                    if not stale:
                        stale = True
                        self._set_state(
                            conn.name, FeedState.STALE, f"no frame from {host_of(conn.url)} for {silent:.0f} s"
                        )
                        continue
                    raise _SessionEnded(
                        f"no frame from {host_of(conn.url)} for {silent:.0f} s; forcing a reconnect", "stale_reconnect"
                    ) from None
                last_frame = loop.time()
                if stale:
                    stale = False
                    self._set_state(conn.name, FeedState.CONNECTED)
                reply = self._on_frame(conn, raw)
                if reply is not None:
                    await ws.send(reply)
        finally:
            if pinger is not None:
                pinger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pinger

    async def _ping_forever(self, conn: VenueConnection, ws: ClientConnection) -> None:
        # application-level heartbeat (Bybit {"op":"ping"}, OKX "ping"); protocol pings are websockets' job
        try:
            while True:
                await asyncio.sleep(conn.ping_interval)
                await ws.send(self._stamped(conn, conn.ping_frame))  # type: ignore[arg-type]
        except asyncio.CancelledError:
            raise
        except Exception:  # the connection died; the reader sees it and reconnects
            return

    def _stamped(self, conn: VenueConnection, frame: str) -> str:
        """Gate checks each request's "time" against its clock: stamp it at send time."""
        if not conn.fresh_time:
            return frame
        return orjson.dumps({**orjson.loads(frame), "time": int(self.clock.now())}).decode()

    def _on_frame(self, conn: VenueConnection, raw: str | bytes) -> str | None:
        ts = self.clock.now()
        self._tracker.frame_received(ts, conn.name)
        if isinstance(raw, bytes) and conn.gzip:
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                self._tracker.frame_dropped("bad_gzip")
                return None
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                self._tracker.frame_dropped("binary_frame")
                return None
        self._record(ts, raw)
        reply = None
        if self._auto_reply is not None:
            try:
                reply = self._auto_reply(raw)
            except Exception:
                log.exception("%s: auto_reply failed", self.venue)
                self._tracker.error("auto_reply_bug")
        self._deliver(lambda: self.parser.parse(raw, ts))
        return reply

    # --- REST polls --------------------------------------------------------------------------
    async def _poll_forever(self, poll: RestPoll, name: str) -> None:
        backoff = Backoff(*self._backoff, rng=self._rng)
        path = urlsplit(poll.url).path
        # spread the first requests over one interval so N polls do not start as one burst
        await asyncio.sleep(
            self._rng.random() * (poll.first_within if poll.first_within is not None else poll.interval)
        )
        while True:
            await self._budget.acquire(poll.weight)
            delay = poll.interval
            try:
                resp = await self._http.get(poll.url, params=poll.params, timeout=self.rest_timeout)  # type: ignore[union-attr]
            except asyncio.CancelledError:
                raise
            except httpx.TimeoutException:
                delay = min(poll.interval, backoff.next())
                self._fail_poll(name, "rest_timeout", f"{host_of(poll.url)}{path} timed out; retrying in {delay:.0f} s")
            except Exception as exc:
                kind, reason = describe_failure(exc, poll.url)
                delay = min(poll.interval, backoff.next())
                self._fail_poll(name, f"rest_{kind}", reason)
            else:
                if resp.status_code in (418, 429):
                    # rate limited (418 = Binance IP ban): the limit is per IP, so every poll waits
                    delay = max(_retry_after(resp) or 0.0, backoff.next(), poll.interval)
                    self._budget.pause(delay)
                    self._fail_poll(
                        name,
                        f"rest_http_{resp.status_code}",
                        f"{host_of(poll.url)} rate-limited us (HTTP {resp.status_code}); pausing {delay:.0f} s",
                    )
                elif resp.status_code >= 400:
                    self._fail_poll(
                        name,
                        f"rest_http_{resp.status_code}",
                        f"{host_of(poll.url)}{path} answered HTTP {resp.status_code}",
                    )
                else:
                    backoff.reset()
                    self._set_state(name, FeedState.CONNECTED)
                    self._on_poll_response(poll, path, resp)
            await asyncio.sleep(delay)

    def _fail_poll(self, name: str, kind: str, reason: str) -> None:
        self._tracker.error(kind)
        # a failing poll makes the venue "reconnecting" only while it fails; data streams may still be fine
        if self._tracker.set_state(name, FeedState.RECONNECTING, reason, is_poll=True):
            self._push_health()

    def _on_poll_response(self, poll: RestPoll, path: str, resp: httpx.Response) -> None:
        ts = self.clock.now()
        self._tracker.frame_received(ts)
        try:
            body = resp.json()
        except ValueError:
            self._tracker.frame_dropped("rest_not_json")
            return
        msg = {"rest": path, "params": dict(poll.params), "body": body}
        self._record(ts, msg)
        parse_poll = self._parse_poll or _registry_parse_recorded()
        self._deliver(lambda: parse_poll(self.parser, msg, ts))

    # --- shared plumbing ---------------------------------------------------------------------
    def _record(self, ts: float, msg: object) -> None:
        if self._on_raw is None:
            return
        try:
            self._on_raw(ts, self.venue, msg)
        except Exception:
            log.exception("%s: recording a frame failed", self.venue)
            self._tracker.error("recorder_failed")

    def _deliver(self, parse: Callable[[], list[Event]]) -> None:
        try:
            events = parse()
        except ParseError as exc:
            self._tracker.frame_dropped(exc.reason)
            return
        except Exception:  # a parser bug must cost one frame, not the feed
            log.exception("%s: parser bug", self.venue)
            self._tracker.frame_dropped("parser_bug")
            return
        self._tracker.frame_processed()
        take_row_drops = getattr(self.parser, "take_row_drops", None)
        if take_row_drops is not None:
            for reason, n in take_row_drops().items():
                self._tracker.rows_dropped(reason, n)
        if events:
            # the one validation boundary: a hostile number costs one counted event, not the feed
            rejections: list[Rejection] = []
            events = self.validator.accept(events, rejections=rejections)
            for rej in rejections:
                self._tracker.event_rejected(rej.reason)
        if self._keep is not None:
            kept = [e for e in events if self._keep(e)]
            self._tracker.events_filtered(len(events) - len(kept))
            events = kept
        if not events:
            return
        try:
            self._on_events(events)
        except Exception:
            log.exception("%s: event consumer failed", self.venue)
            self._tracker.error("consumer_failed")
            return
        self._tracker.events_delivered(events)

    def _set_state(self, name: str, state: FeedState, reason: str = "", next_retry_ts: float | None = None) -> None:
        if self._tracker.set_state(name, state, reason, next_retry_ts):
            self._push_health()

    def _push_health(self) -> None:
        if self._on_health is None:
            return
        try:
            self._on_health(self.health)
        except Exception:
            log.exception("%s: health consumer failed", self.venue)

    async def _push_health_forever(self) -> None:
        while True:
            await asyncio.sleep(self.health_interval)
            self._push_health()


def _poll_name(poll: RestPoll) -> str:
    # polls of one endpoint (Binance open interest, one per symbol) share one health entry
    return f"rest {urlsplit(poll.url).path}"


def _retry_after(resp: httpx.Response) -> float | None:
    try:
        return float(resp.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _registry_parse_recorded() -> ParsePoll:
    # imported late: the registry imports every venue module, the runner must not need them to load
    from core.feeds.registry import parse_recorded

    return parse_recorded
