"""Local venues on 127.0.0.1 that speak Binance's /market combined stream and Bybit's v5 public
protocol (websocket), plus one threaded HTTP server for their REST endpoints with fault switches.

Every server counts what it sent, so a test can compare it with the runner's `FeedHealth`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.asyncio.server import ServerConnection

from tests.runner_helpers import LocalVenue

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "venues"
PRICE = 60_000.0


# --- frames ------------------------------------------------------------------------------------
def binance_force_order(
    i: int, side: str = "SELL", qty: float = 0.5, price: float = PRICE, symbol: str = "BTCUSDT"
) -> str:
    """One Binance liquidation in the combined-stream envelope (SELL = a long was liquidated)."""
    ms = int(time.time() * 1000)
    return orjson.dumps(
        {
            "stream": "!forceOrder@arr",
            "data": {
                "e": "forceOrder",
                "E": ms,
                "o": {
                    "s": symbol,
                    "S": side,
                    "o": "LIMIT",
                    "f": "IOC",
                    "q": f"{qty}",
                    "p": f"{price}",
                    "ap": f"{price}",
                    "X": "FILLED",
                    "l": f"{qty}",
                    "z": f"{qty}",
                    "T": ms - (i % 7),
                },
            },
        }
    ).decode()


def binance_marks(price: float = PRICE, funding: float = 0.0003, symbol: str = "BTCUSDT") -> str:
    ms = int(time.time() * 1000)
    return orjson.dumps(
        {
            "stream": "!markPrice@arr@1s",
            "data": [
                {
                    "e": "markPriceUpdate",
                    "E": ms,
                    "s": symbol,
                    "p": f"{price}",
                    "P": f"{price}",
                    "i": f"{price}",
                    "r": f"{funding}",
                    "T": ms + 3_600_000,
                }
            ],
        }
    ).decode()


def bybit_liquidations(
    n: int, side: str = "Buy", qty: float = 0.1, price: float = PRICE, symbol: str = "BTCUSDT"
) -> str:
    """One allLiquidation frame with `n` liquidations (Bybit batches them every 500 ms)."""
    ms = int(time.time() * 1000)
    rows = [{"T": ms - k, "s": symbol, "S": side, "v": f"{qty}", "p": f"{price}"} for k in range(n)]
    return orjson.dumps({"topic": f"allLiquidation.{symbol}", "type": "snapshot", "ts": ms, "data": rows}).decode()


def bybit_ticker(price: float = PRICE, funding: float = 0.0003, symbol: str = "BTCUSDT") -> str:
    ms = int(time.time() * 1000)
    return orjson.dumps(
        {
            "topic": f"tickers.{symbol}",
            "type": "snapshot",
            "ts": ms,
            "cs": 1,
            "data": {
                "symbol": symbol,
                "lastPrice": f"{price}",
                "markPrice": f"{price}",
                "indexPrice": f"{price}",
                "openInterest": "50000",
                "openInterestValue": f"{50000 * price}",
                "fundingRate": f"{funding}",
                "nextFundingTime": str(ms + 3_600_000),
            },
        }
    ).decode()


def hostile_frames(venue: str) -> list[str | bytes]:
    """Malformed and hostile messages: wrong types, huge numbers, NaN/Infinity, negative sizes,
    unknown symbols and streams, deep nesting, an oversized payload, binary and invalid UTF-8."""
    ms = int(time.time() * 1000)
    if venue == "binance":

        def fo(**o):
            base = {
                "s": "BTCUSDT",
                "S": "SELL",
                "q": "0.5",
                "p": "60000",
                "ap": "60000",
                "X": "FILLED",
                "z": "0.5",
                "T": ms,
            }
            return json.dumps(
                {"stream": "!forceOrder@arr", "data": {"e": "forceOrder", "E": ms, "o": base | o}}, allow_nan=True
            )

        out = [
            fo(q="NaN"),
            fo(ap="Infinity"),
            fo(z="-0.5", q="-0.5"),
            fo(p="1e400", ap="1e400"),
            fo(q="9" * 80),
            fo(S="SIDEWAYS"),
            fo(s=12345),
            fo(q=[1, 2]),
            fo(T="yesterday"),
            fo(z={"$gt": 0}),
            json.dumps({"stream": "!forceOrder@arr", "data": {"e": "forceOrder", "o": None}}),
            json.dumps({"stream": "!bogus@arr", "data": {"e": "bogus"}}),
            json.dumps(
                {
                    "stream": "!markPrice@arr@1s",
                    "data": [{"e": "markPriceUpdate", "s": "BTCUSDT", "p": "-1", "r": "NaN"}],
                }
            ),
            '{"stream": "!forceOrder@arr", "data": {"e": "forceOrder", "o": {"q": NaN, "p": Infinity}}}',
        ]
    else:

        def liq(**row):
            base = {"T": ms, "s": "BTCUSDT", "S": "Buy", "v": "0.1", "p": "60000"}
            return json.dumps(
                {"topic": "allLiquidation.BTCUSDT", "type": "snapshot", "ts": ms, "data": [base | row]}, allow_nan=True
            )

        out = [
            liq(v="NaN"),
            liq(p="Infinity"),
            liq(v="-3"),
            liq(p="1e999"),
            liq(v=10**40),
            liq(S=None),
            liq(s=["BTCUSDT"]),
            liq(v=True),
            json.dumps({"topic": "allLiquidation.BTCUSDT", "data": "lots"}),
            json.dumps({"topic": 7, "data": []}),
            json.dumps({"topic": "orderbook.1.BTCUSDT", "data": {}}),
            json.dumps({"success": False, "ret_msg": "error:handler not found", "op": "subscribe"}),
            json.dumps(
                {"topic": "tickers.BTCUSDT", "type": "snapshot", "data": {"symbol": "BTCUSDT", "markPrice": "-5"}}
            ),
        ]
    out += [
        "",
        "null",
        "[]",
        "42",
        '"just a string"',
        "{",
        "{'single': 'quotes'}",
        "\x00\x01\x02",
        "[" * 5000 + "]" * 5000,
        '{"a":' * 2000 + "1" + "}" * 2000,
        "x" * 1_100_000,
        json.dumps({"stream": "!forceOrder@arr", "data": {"e": "forceOrder", "o": {"pad": "y" * 600_000}}}),
        b"\xff\xfe\xfd not utf-8",
        bytes(range(256)),
    ]
    return out


# --- websocket venues --------------------------------------------------------------------------
Script = Callable[["ScriptedVenue", ServerConnection, int], Awaitable[None]]


class ScriptedVenue(LocalVenue):
    """A LocalVenue whose handler is `script(venue, ws, index)`; `send` counts every frame sent."""

    def __init__(self, name: str, script: Script) -> None:
        super().__init__(self._play)
        self.name = name
        self._script = script
        self.sent = 0
        self.quiet = False  # set by a test to stop heartbeats, so sent and received can be compared
        self.sockets: list[ServerConnection] = []
        self._tasks: list[asyncio.Task] = []

    async def __aexit__(self, *exc) -> None:
        self.quiet = True
        for t in self._tasks:  # a script parked on an event the failed test never set
            t.cancel()
        await super().__aexit__(*exc)

    async def _play(self, ws: ServerConnection, index: int) -> None:
        self.sockets.append(ws)
        self._tasks.append(asyncio.current_task())
        try:
            await self._script(self, ws, index)
        except (Exception, asyncio.CancelledError):  # the client went away mid-script, or the test ended
            return

    async def send(self, ws: ServerConnection, frame: str | bytes) -> None:
        await ws.send(frame)
        self.sent += 1

    @property
    def base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


async def bybit_handshake(venue: ScriptedVenue, ws: ServerConnection) -> None:
    """Answer each subscribe frame the client sends first (Bybit acks with success)."""
    while True:
        try:
            raw = await asyncio.wait_for(ws.recv(), 0.5)
        except TimeoutError:
            return
        msg = json.loads(raw)
        if msg.get("op") == "subscribe":
            await venue.send(
                ws,
                json.dumps(
                    {
                        "success": True,
                        "ret_msg": "",
                        "conn_id": "c1",
                        "req_id": msg.get("req_id", ""),
                        "op": "subscribe",
                    }
                ),
            )
            return


async def hold(ws: ServerConnection) -> None:
    """Keep the connection open, discarding client pings, until the client leaves."""
    try:
        async for _ in ws:
            pass
    except Exception:
        return


# --- REST --------------------------------------------------------------------------------------
class RestVenue:
    """Binance, Bybit, OKX, Gate and Bitget REST (instruments, polls) on one 127.0.0.1 port. `faults[path]` is a queue of what to answer
    next on that path: "429", "418", "500", "timeout", "not_json" (then normal answers)."""

    def __init__(self, time_skew_ms: int = 0, hang_s: float = 1.5) -> None:
        self.faults: dict[str, deque[str]] = {}
        self.served: Counter = Counter()  # (path, status) -> count
        self.time_skew_ms = time_skew_ms
        self.hang_s = hang_s
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def ok(self, *paths: str) -> int:
        """2xx answers served on polled paths (default: Binance's open interest and funding
        intervals): each is one message the runner receives."""
        paths = paths or ("/fapi/v1/openInterest", "/fapi/v1/fundingInfo")
        return sum(n for (p, status), n in self.served.items() if p in paths and 200 <= status < 300)

    def add(self, path: str, *faults: str) -> None:
        self.faults.setdefault(path, deque()).extend(faults)

    def answer(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        fault = self.faults.get(path) and self.faults[path].popleft()
        if fault == "timeout":
            time.sleep(self.hang_s)  # longer than the client waits: it has gone when this answers
            return 504, {}, b"{}"
        if fault in ("429", "418"):
            return int(fault), {"Retry-After": "1"}, b'{"code":-1003,"msg":"Too many requests"}'
        if fault == "500":
            return 500, {}, b"internal error"
        if fault == "not_json":
            return 200, {}, b"<html>maintenance</html>"
        now_ms = int(time.time() * 1000) + self.time_skew_ms
        if path == "/fapi/v1/exchangeInfo":
            return 200, {}, (FIXTURES / "binance_exchange_info.json").read_bytes()
        if path == "/v5/market/instruments-info":
            return 200, {}, (FIXTURES / "bybit_instruments_info.json").read_bytes()
        if path == "/fapi/v1/openInterest":
            sym = query.get("symbol", ["BTCUSDT"])[0]
            return 200, {}, json.dumps({"openInterest": "10659.509", "symbol": sym, "time": now_ms}).encode()
        if path == "/api/v2/public/get_instruments":
            return 200, {}, (FIXTURES / "deribit_get_instruments.json").read_bytes()
        if path == "/linear-swap-api/v1/swap_contract_info":
            return 200, {}, (FIXTURES / "htx_contract_info.json").read_bytes()
        if path == "/api/v4/futures/usdt/contracts":
            return 200, {}, (FIXTURES / "gate_contracts.json").read_bytes()
        if path == "/api/v2/mix/market/contracts":
            return 200, {}, (FIXTURES / "bitget_contracts.json").read_bytes()
        if path == "/api/v5/public/instruments":
            return 200, {}, (FIXTURES / "okx_instruments.json").read_bytes()
        if path == "/fapi/v1/fundingInfo":  # symbols off the 8 h default
            return (
                200,
                {},
                json.dumps(
                    [
                        {
                            "symbol": "BTCUSDT",
                            "adjustedFundingRateCap": "0.02",
                            "adjustedFundingRateFloor": "-0.02",
                            "fundingIntervalHours": 4,
                            "disclaimer": False,
                        }
                    ]
                ).encode(),
            )
        if path == "/fapi/v1/time":
            return 200, {}, json.dumps({"serverTime": now_ms}).encode()
        if path == "/v5/market/time":
            return (
                200,
                {},
                json.dumps(
                    {
                        "retCode": 0,
                        "retMsg": "OK",
                        "result": {"timeSecond": str(now_ms // 1000), "timeNano": str(now_ms * 1_000_000)},
                        "time": now_ms,
                    }
                ).encode(),
            )
        return 404, {}, b'{"msg":"not found"}'

    def __enter__(self) -> RestVenue:
        venue = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - keep pytest output clean
                return

            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                status, headers, body = venue.answer(parts.path, parse_qs(parts.query))
                venue.served[(parts.path, status)] += 1
                try:
                    self.send_response(status)
                    for k, v in (
                        headers | {"Content-Type": "application/json", "Content-Length": str(len(body))}
                    ).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (timeout fault)
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"
