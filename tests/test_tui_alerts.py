"""Alerts away from the terminal: engine events -> bell and webhooks (JSON, ntfy, Telegram) on a local server."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager

import pytest

from core.alerts import Alert, AlertDispatcher, AlertWatch, Webhook, alert_for, webhooks_from
from core.config import AlertsConfig, Config, replace_section
from core.engine_commands import Kill
from core.engine_events import CommandApplied, FeedStateChanged, ModeChanged, SignalRaised
from tests.snapshot_apps.console_app import ETH, prepared_engine

SECRET = "123456:SECRET-BOT-TOKEN"


class HookServer:
    """A minimal HTTP/1.1 server on 127.0.0.1 that records each POST and answers with scripted statuses."""

    def __init__(self, statuses: list[int] | None = None, stall: asyncio.Event | None = None) -> None:
        self.requests: list[dict] = []
        self.statuses = list(statuses or [])
        self.stall = stall  # when set, requests wait for it before answering
        self.got = asyncio.Event()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, path, _ = line.decode().split(" ", 2)
                headers = {}
                while (h := await reader.readline()) not in (b"\r\n", b""):
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                if self.stall is not None:
                    await self.stall.wait()
                self.requests.append({"method": method, "path": path, "headers": headers, "body": body})
                self.got.set()
                status = self.statuses.pop(0) if self.statuses else 200
                writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 2\r\n\r\nok".encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    @asynccontextmanager
    async def running(self):
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            server.close()
            await server.wait_closed()


@asynccontextmanager
async def dispatching(hooks, **kw):
    d = AlertDispatcher(hooks, backoff_s=0.01, **kw)
    task = asyncio.create_task(d.run())
    try:
        yield d
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


ALERT = Alert(1_767_225_600.0, "kill", "KILL switch fired", "closing 1 position; disarmed to WATCH")


async def test_json_ntfy_and_telegram_webhooks_get_each_alert():
    cfg = AlertsConfig(json_urls=[], ntfy_urls=[], telegram_chat_id="42")
    async with HookServer().running() as srv:
        cfg.json_urls, cfg.ntfy_urls, cfg.telegram_api = [srv.base + "/hook"], [srv.base + "/liq-topic"], srv.base
        hooks = webhooks_from(cfg, env={cfg.telegram_token_env: SECRET})
        assert [h.kind for h in hooks] == ["json", "ntfy", "telegram"]
        async with dispatching(hooks) as d:
            d.offer(ALERT)
            await asyncio.wait_for(d.drained(), 5)
        by_path = {r["path"]: r for r in srv.requests}
    assert json.loads(by_path["/hook"]["body"]) == {
        "source": "liqhunt",
        "ts": ALERT.ts,
        "kind": "kill",
        "title": ALERT.title,
        "text": ALERT.text,
    }
    ntfy = by_path["/liq-topic"]
    assert ntfy["body"].decode() == ALERT.text and ntfy["headers"]["title"] == ALERT.title
    assert ntfy["headers"]["priority"] == "high" and ntfy["headers"]["tags"] == "kill"
    tg = by_path[f"/bot{SECRET}/sendMessage"]
    assert json.loads(tg["body"]) == {"chat_id": "42", "text": f"liqhunt · {ALERT.title}\n{ALERT.text}"}
    assert d.stats.delivered == 3 and d.stats.failed == 0


async def test_a_failing_webhook_is_retried_then_given_up_without_leaking_the_token():
    async with HookServer(statuses=[500, 503]).running() as srv:
        async with dispatching([Webhook("json", srv.base + "/hook")], retries=3) as d:
            d.offer(ALERT)
            await asyncio.wait_for(d.drained(), 5)
        assert len(srv.requests) == 3 and d.stats.delivered == 1 and d.stats.failed == 0  # 500, 503, then 200
        srv.statuses = [500] * 3
        tg = Webhook("telegram", f"{srv.base}/bot{SECRET}/sendMessage", "42")
        async with dispatching([tg], retries=3) as d:
            d.offer(ALERT)
            await asyncio.wait_for(d.drained(), 5)
    assert d.stats.failed == 1 and "HTTP 500" in d.stats.last_error
    assert SECRET not in d.stats.last_error and "/bot***/sendMessage" in d.stats.last_error
    for r in srv.requests:
        assert SECRET.encode() not in r["body"]  # the token goes in the URL only, never in a payload


async def test_offer_never_blocks_and_the_queue_is_bounded():
    stall = asyncio.Event()
    async with HookServer(stall=stall).running() as srv:
        async with dispatching([Webhook("json", srv.base + "/hook")], queue_size=10, timeout_s=5) as d:
            for i in range(50):  # the server hangs: offers return at once, the oldest queued drop
                d.offer(Alert(float(i), "exit", f"t{i}", "x"))
            assert d.stats.dropped >= 39 and d.stats.queued == 50
            stall.set()
            await asyncio.wait_for(d.drained(), 5)
    titles = [json.loads(r["body"])["title"] for r in srv.requests]
    assert titles[-1] == "t49" and len(titles) <= 11  # the newest always arrive


def test_engine_events_become_alerts():
    engine, _ = prepared_engine("signal")
    (sig,) = engine.signals.values()
    a = alert_for(SignalRaised(1.0, sig), "semi")
    assert a is not None and a.kind == "confirm" and ETH in a.title
    assert alert_for(SignalRaised(1.0, sig), "watch") is None  # nothing to confirm when not asking
    assert alert_for(FeedStateChanged(1.0, "bybit", "reconnecting", "connection refused"), "auto").kind == "venue_down"
    assert alert_for(FeedStateChanged(1.0, "bybit", "connected", ""), "auto") is None
    assert alert_for(CommandApplied(1.0, Kill(), "KILLED: closing 1 position"), "watch").kind == "kill"
    assert alert_for(ModeChanged(1.0, "auto", "watch", "daily loss limit reached"), "watch").kind == "loss_near"


def test_loss_near_alerts_once_a_day_and_kinds_filter():
    engine, _ = prepared_engine("watching")
    watch = AlertWatch(engine, kinds=["loss_near"], loss_near_pct=80)
    got: list[Alert] = []
    watch.sinks.append(got.append)
    watch.check_loss(1.0, "2026-01-01", 300.0, 500.0)
    assert got == []
    watch.check_loss(2.0, "2026-01-01", 410.0, 500.0)
    watch.check_loss(3.0, "2026-01-01", 450.0, 500.0)
    assert [a.kind for a in got] == ["loss_near"] and "82 %" in got[0].text
    engine.submit(Kill())  # a kill alert, but this watch only wants loss_near
    assert len(got) == 1
    watch.close()


async def test_console_rings_the_bell_and_posts_the_kill_to_a_webhook():
    from tui.app import make_app

    async with HookServer().running() as srv:
        engine, clock = prepared_engine("watching")
        cfg = replace_section(engine.cfg, "alerts", json_urls=[srv.base + "/hook"])
        app = make_app(engine, None, clock, cfg)
        bells: list[int] = []
        app.bell = lambda: bells.append(1)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("K")
            await asyncio.wait_for(srv.got.wait(), 5)
            await pilot.pause()
        kinds = [json.loads(r["body"])["kind"] for r in srv.requests]
    assert "kill" in kinds and bells


async def test_bell_can_be_turned_off_in_config():
    from tui.app import make_app

    engine, clock = prepared_engine("watching")
    cfg = replace_section(engine.cfg, "ui", bell=False)
    app = make_app(engine, None, clock, cfg)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("K")
        await pilot.pause()
    assert bells == [] and engine.risk.killed


@pytest.mark.parametrize("kind", ["json", "ntfy"])
def test_webhook_payloads_carry_only_the_alert(kind):
    req = Webhook(kind, "http://127.0.0.1/x").request(ALERT)
    body = req.get("json") or req.get("content")
    assert ALERT.text in (json.dumps(body, ensure_ascii=False) if isinstance(body, dict) else body.decode())
    assert set(req) <= {"json", "content", "headers"}


def test_config_without_telegram_token_sends_nothing_to_telegram():
    cfg = replace_section(Config(), "alerts", telegram_chat_id="42").alerts
    assert webhooks_from(cfg, env={}) == []
