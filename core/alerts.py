"""Alerts for a trader away from the terminal: what happened, from engine events, to the bell and webhooks.

`AlertWatch` turns engine events into `Alert`s (a signal needs a confirm, an entry or exit, a
venue went down, the daily loss limit nears or is hit, the kill switch fired) and hands each to
its sinks. `AlertDispatcher` is one sink: a background task that POSTs each alert to the
configured webhooks (generic JSON, ntfy, Telegram bot API) with retry, from a bounded queue, so
the engine never waits on the network. An alert carries its kind, a title, a sentence and the
time, never a key: the Telegram token is read from an environment variable into the URL only,
and is redacted from every error message.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

ALERT_KINDS = ("confirm", "entry", "exit", "venue_down", "loss_near", "kill")
DOWN_STATES = ("down", "reconnecting", "stale")


@dataclass(frozen=True, slots=True)
class Alert:
    ts: float
    kind: str  # one of ALERT_KINDS
    title: str
    text: str


def _px(p: float) -> str:
    return f"{p:,.0f}" if p >= 1000 else f"{p:.4g}"


def alert_for(ev: object, mode: str) -> Alert | None:
    """The alert an engine event deserves, if any (pure: tested without an engine)."""
    from core.engine_commands import Kill
    from core.engine_events import (
        CommandApplied,
        FeedStateChanged,
        ModeChanged,
        PositionClosed,
        PositionOpened,
        SignalRaised,
    )

    if isinstance(ev, SignalRaised):
        s = ev.signal
        if mode == "semi" and s.status == "pending" and s.qty > 0:
            return Alert(
                ev.ts,
                "confirm",
                f"confirm {s.market} {s.order_side.upper()}",
                f"{s.playbook} signal, score {s.score.total:.1f}: {s.order_side} {s.qty:g} @ {_px(s.price)},"
                f" {s.expires_ts - ev.ts:.0f} s to confirm",
            )
    elif isinstance(ev, PositionOpened):
        p = ev.position
        return Alert(
            ev.ts,
            "entry",
            f"entered {p.market} {p.side.upper()}",
            f"{p.side} {p.qty:g} @ {_px(p.entry_price)}, stop {_px(p.stop_price)}, target {_px(p.take_profit_price)}"
            f" ({p.playbook}, score {p.score:.1f}, {mode})",
        )
    elif isinstance(ev, PositionClosed):
        t = ev.trade
        return Alert(
            ev.ts,
            "exit",
            f"closed {t.market} {t.side.upper()} ({t.reason})",
            f"{t.side} {t.qty:g} {_px(t.entry_price)} → {_px(t.exit_price)}: P&L {t.pnl:+,.2f} ({t.r_multiple:+.1f}R)",
        )
    elif isinstance(ev, FeedStateChanged) and ev.state in DOWN_STATES:
        return Alert(
            ev.ts,
            "venue_down",
            f"{ev.venue} {ev.state}",
            f"feed {ev.venue} is {ev.state}"
            + (f": {ev.reason}" if ev.reason else "")
            + "; entries blocked while it lasts",
        )
    elif isinstance(ev, CommandApplied) and isinstance(ev.command, Kill):
        return Alert(ev.ts, "kill", "KILL switch fired", f"{ev.result}; disarmed to WATCH")
    elif isinstance(ev, ModeChanged) and "loss limit" in ev.reason:
        return Alert(ev.ts, "loss_near", "daily loss limit reached", f"disarmed to WATCH: {ev.reason}")
    return None


class AlertWatch:
    """Engine events -> alerts for each sink; the loss limit is checked on each `check_loss`."""

    def __init__(self, engine, kinds: tuple[str, ...] | list[str] = ALERT_KINDS, loss_near_pct: float = 80.0) -> None:
        self.engine = engine
        self.kinds = set(kinds)
        self.loss_near_pct = loss_near_pct
        self.sinks: list[Callable[[Alert], None]] = []
        self.muted = False  # while a replay seeks: what happens on the way is history, not news
        self._loss_warned_day = ""
        self._unsubscribe = engine.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def _emit(self, alert: Alert) -> None:
        if alert.kind not in self.kinds or self.muted:
            return
        for sink in list(self.sinks):
            sink(alert)  # sinks only queue: the engine's thread of work never waits here

    def _on_event(self, ev: object) -> None:
        alert = alert_for(ev, self.engine.mode)
        if alert is not None:
            self._emit(alert)

    def check_loss(self, now: float, day: str, daily_loss: float, limit: float) -> None:
        """Once per UTC day, when today's loss first reaches `loss_near_pct` % of the limit."""
        if limit <= 0 or day == self._loss_warned_day or daily_loss < limit * self.loss_near_pct / 100:
            return
        self._loss_warned_day = day
        self._emit(
            Alert(
                now,
                "loss_near",
                "daily loss limit near",
                f"today's loss ${daily_loss:,.0f} is {daily_loss / limit * 100:.0f} % of the ${limit:,.0f} limit",
            )
        )


# -- webhooks ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Webhook:
    kind: str  # json | ntfy | telegram
    url: str
    chat_id: str = ""

    def request(self, alert: Alert) -> dict[str, Any]:
        """httpx request arguments for one alert (method POST)."""
        if self.kind == "ntfy":  # https://docs.ntfy.sh/publish/: body = message, headers = title, priority, tags
            prio = "high" if alert.kind in ("confirm", "kill", "loss_near", "venue_down") else "default"
            return {
                "content": alert.text.encode(),
                "headers": {
                    "Title": alert.title.encode("utf-8").decode("latin-1", "replace"),
                    "Priority": prio,
                    "Tags": alert.kind,
                },
            }
        if self.kind == "telegram":  # https://core.telegram.org/bots/api#sendmessage
            return {"json": {"chat_id": self.chat_id, "text": f"liqhunt · {alert.title}\n{alert.text}"}}
        return {"json": {"source": "liqhunt", **asdict(alert)}}

    def redacted(self) -> str:
        if self.kind == "telegram" and "/bot" in self.url:
            head, _, tail = self.url.partition("/bot")
            return f"{head}/bot***/{tail.split('/', 1)[-1]}"
        return self.url


def webhooks_from(cfg, env: Mapping[str, str] | None = None) -> list[Webhook]:
    """The webhooks an [alerts] config section asks for; Telegram only when its token is in the environment."""
    env = os.environ if env is None else env
    hooks = [Webhook("json", u) for u in cfg.json_urls] + [Webhook("ntfy", u) for u in cfg.ntfy_urls]
    token = env.get(cfg.telegram_token_env, "") if cfg.telegram_chat_id else ""
    if token:
        hooks.append(
            Webhook("telegram", f"{cfg.telegram_api.rstrip('/')}/bot{token}/sendMessage", cfg.telegram_chat_id)
        )
    return hooks


@dataclass
class DeliveryStats:
    queued: int = 0
    delivered: int = 0  # (alert, webhook) pairs that got a 2xx
    failed: int = 0  # pairs that never did, after every retry
    dropped: int = 0  # alerts pushed out of a full queue (the oldest go first)
    last_error: str = ""


class AlertDispatcher:
    """Delivers alerts to webhooks from a background task; `offer` never blocks."""

    def __init__(
        self,
        hooks: list[Webhook],
        queue_size: int = 100,
        retries: int = 3,
        timeout_s: float = 5.0,
        backoff_s: float = 1.0,
        transport=None,
    ) -> None:
        self.hooks = hooks
        self.retries = max(1, retries)
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self.transport = transport  # an httpx transport, for tests
        self.stats = DeliveryStats()
        self._queue: asyncio.Queue[Alert] = asyncio.Queue(maxsize=max(1, queue_size))

    def offer(self, alert: Alert) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self._queue.task_done()
            self.stats.dropped += 1
        self._queue.put_nowait(alert)
        self.stats.queued += 1

    async def drained(self) -> None:
        """Wait until every queued alert was delivered or given up on (for tests and shutdown)."""
        await self._queue.join()

    async def run(self) -> None:
        import httpx

        async with httpx.AsyncClient(timeout=self.timeout_s, transport=self.transport) as client:
            while True:
                alert = await self._queue.get()
                try:
                    for hook in self.hooks:
                        await self._deliver(client, hook, alert)
                finally:
                    self._queue.task_done()

    async def _deliver(self, client, hook: Webhook, alert: Alert) -> None:
        import httpx

        for attempt in range(self.retries):
            try:
                resp = await client.post(hook.url, **hook.request(alert))
                if 200 <= resp.status_code < 300:
                    self.stats.delivered += 1
                    return
                self.stats.last_error = f"{hook.kind} {hook.redacted()}: HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                self.stats.last_error = f"{hook.kind} {hook.redacted()}: {type(exc).__name__}"
            if attempt + 1 < self.retries:
                await asyncio.sleep(self.backoff_s * 2**attempt)
        self.stats.failed += 1
