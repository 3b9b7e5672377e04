"""Instrument metadata: fetched from a local HTTP server shaped like the venue, cached, reused offline."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.feeds import bybit
from core.feeds.instruments_cache import cache_path, default_cache_dir, load_instruments


def bybit_row(symbol: str, base: str) -> dict:
    # shape of GET /v5/market/instruments-info?category=linear (docs/v5/market/instrument.mdx)
    return {
        "symbol": symbol,
        "contractType": "LinearPerpetual",
        "status": "Trading",
        "baseCoin": base,
        "quoteCoin": "USDT",
        "priceFilter": {"tickSize": "0.10"},
        "lotSizeFilter": {"qtyStep": "0.001", "minOrderQty": "0.001", "minNotionalValue": "5"},
        "fundingInterval": 480,
    }


PAGES = {
    "": {
        "retCode": 0,
        "result": {"category": "linear", "list": [bybit_row("BTCUSDT", "BTC")], "nextPageCursor": "page2"},
    },
    "page2": {
        "retCode": 0,
        "result": {"category": "linear", "list": [bybit_row("ETHUSDT", "ETH")], "nextPageCursor": ""},
    },
}


class InstrumentsServer:
    """http.server in a thread on a free 127.0.0.1 port; records each request's path and query."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                u = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(u.query).items()}
                outer.requests.append((u.path, query))
                body = json.dumps(PAGES[query.get("cursor", "")]).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def dead_base() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
async def client():
    async with httpx.AsyncClient(trust_env=False) as c:
        yield c


async def test_fetches_every_page_parses_and_caches(tmp_path, client):
    with InstrumentsServer() as server:
        got = await load_instruments("bybit", bybit, client, cache_dir=tmp_path, base_url=server.base)

    assert got.source == "rest" and got.reason == ""
    assert [(i.symbol, i.market, i.tick_size) for i in got.instruments] == [
        ("BTCUSDT", "BTC-USDT-PERP", 0.1),
        ("ETHUSDT", "ETH-USDT-PERP", 0.1),
    ]
    assert server.requests == [
        ("/v5/market/instruments-info", {"category": "linear", "limit": "1000"}),
        ("/v5/market/instruments-info", {"category": "linear", "limit": "1000", "cursor": "page2"}),
    ]
    cached = json.loads(cache_path(tmp_path, "bybit").read_text())
    assert [row["symbol"] for row in cached["instruments"]] == ["BTCUSDT", "ETHUSDT"]


async def test_without_network_the_last_cached_set_is_used(tmp_path, client):
    with InstrumentsServer() as server:
        fresh = await load_instruments("bybit", bybit, client, cache_dir=tmp_path, base_url=server.base)
        base = server.base
    offline = await load_instruments("bybit", bybit, client, cache_dir=tmp_path, base_url=base)  # server is down now

    assert offline.source == "cache"
    assert offline.instruments == fresh.instruments
    assert offline.reason.startswith(f"cannot reach {base[7:]}: connection refused; using 2 cached instruments from ")


async def test_no_network_and_no_cache_gives_an_empty_set_and_says_why(tmp_path, client):
    base = dead_base()
    got = await load_instruments("bybit", bybit, client, cache_dir=tmp_path, base_url=base)

    assert got.instruments == [] and got.source == "none"
    assert got.reason == f"cannot reach {base[7:]}: connection refused; no cached instruments, contract sizes unknown"


async def test_http_error_falls_back_to_cache_with_the_status(tmp_path, client):
    with InstrumentsServer() as good:
        await load_instruments("bybit", bybit, client, cache_dir=tmp_path, base_url=good.base)
    with InstrumentsServer(status=503) as bad:
        got = await load_instruments("bybit", bybit, client, cache_dir=tmp_path, base_url=bad.base)

    assert got.source == "cache" and len(got.instruments) == 2
    assert got.reason.startswith(f"{bad.base[7:]} answered HTTP 503; using 2 cached")


def test_cache_dir_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "liqhunt"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "liqhunt"
