"""Test-only venue for the connection runner: a tiny parser and a real websocket server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from websockets.asyncio.server import Server, ServerConnection, serve

from core.events import Trade
from core.feeds.base import ParseError
from core.validation import ValidationLimits

# The venues' documented example frames carry their publication-era exchange times (2023-2025);
# these tests check transport (subscribe, heartbeats, parsing), so the receive-time window that
# rejects stale exchange times live is opened for them. tests/test_hostile_* check that window.
DOCUMENTED_FRAMES = ValidationLimits(max_event_lag_s=float("inf"))


class SeqParser:
    """Frames are {"seq": n} (one trade each), {"ack"/"pong"/...} control frames (no events),
    anything not JSON (ParseError "not_json") and {"boom": ...} (a parser bug: KeyError)."""

    venue = "testvenue"

    def parse(self, raw, ts_recv):
        try:
            obj = json.loads(raw)
        except ValueError:
            raise ParseError("not_json", str(raw)[:40]) from None
        if "boom" in obj:
            return [obj["missing"]]  # KeyError: a bug, not a malformed frame
        if "seq" not in obj:
            return []
        return [
            Trade(
                "testvenue",
                "BTC-USDT-PERP",
                "BTCUSDT",
                100.0 + obj["seq"],
                1.0,
                "buy",
                ts_event=obj.get("t", ts_recv - 0.05),
                ts_recv=ts_recv,
            )
        ]


def ack_reply(raw: str) -> str | None:
    """The client acknowledges each sequenced frame, so the server knows what arrived before it cuts."""
    try:
        obj = json.loads(raw)
    except ValueError:
        return None
    return json.dumps({"ack": obj["seq"]}) if isinstance(obj, dict) and "seq" in obj else None


class LocalVenue:
    """A websocket server on a free 127.0.0.1 port; `handler(ws, index)` plays one connection."""

    def __init__(self, handler: Callable[[ServerConnection, int], Awaitable[None]]) -> None:
        self._handler = handler
        self.connections = 0
        self.paths: list[str] = []
        self._server: Server | None = None

    async def _serve_one(self, ws: ServerConnection) -> None:
        index = self.connections
        self.connections += 1
        self.paths.append(ws.request.path)
        await self._handler(ws, index)

    async def __aenter__(self) -> LocalVenue:
        self._server = await serve(self._serve_one, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        await asyncio.wait_for(self._server.wait_closed(), 5)

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    def url(self, path: str = "/ws") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"


async def recv_json(ws: ServerConnection, timeout: float = 5.0) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def wait_for_ack(ws: ServerConnection, seq: int, timeout: float = 5.0) -> None:
    """Read client frames until the ack for `seq`; other frames (pings) are answered or ignored."""
    async with asyncio.timeout(timeout):
        while True:
            msg = await ws.recv()
            obj = json.loads(msg) if msg.startswith("{") else msg
            if isinstance(obj, dict) and obj.get("ack") == seq:
                return


async def until(cond: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    try:
        async with asyncio.timeout(timeout):
            while not cond():  # noqa: ASYNC110 - any condition over the code under test, which has no event for it
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from None


async def hang(ws: ServerConnection) -> None:
    """Keep a connection open (silent) until the client goes away."""
    await ws.wait_closed()
