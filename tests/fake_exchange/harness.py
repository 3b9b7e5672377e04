"""Test rig: a fake venue on 127.0.0.1, a live broker pointed at it, and an engine using it."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass

from core.brokers.base import Order, OrderIntent
from core.brokers.factory import make_broker
from core.brokers.keys import ApiKeys
from core.brokers.live_base import LiveBroker
from core.brokers.live_types import LiveSettings
from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.events import MarkPrice
from core.instruments import Instrument
from tests.fake_exchange.binance import FakeBinance
from tests.fake_exchange.bybit import FakeBybit
from tests.fake_exchange.server import FakeServer
from tests.fake_exchange.ws import FakeWsServer

API_KEY = "rigKEY7f3a9c2e41d8b6a05fe3"
SECRET = "rigSECRETq9w8e7r6t5y4u3i2o1p0zz"
BTC = "BTC-USDT-PERP"
T0 = 1_767_225_600.0
VENUES = ("binance", "bybit")


def fast_settings(**over) -> LiveSettings:
    base = dict(
        max_notional_per_trade_usd=50_000.0,
        markets=(BTC,),
        default_leverage=3.0,
        watch_interval_s=3600.0,
        reconcile_interval_s=3600.0,
        retry_base_s=0.05,
        retry_max_s=0.2,
        unknown_settle_s=0.02,
        absence_recheck_s=0.1,
        unknown_resolve_s=5.0,
        request_timeout_s=3.0,
        max_entry_wait_s=2.0,
        max_exit_wait_s=5.0,
    )
    return LiveSettings(**(base | over))


def make_fake(venue: str):
    if venue == "binance":
        return FakeBinance(
            API_KEY,
            SECRET,
            {
                "BTCUSDT": {
                    "tick": "0.10",
                    "step": "0.001",
                    "min_qty": "0.001",
                    "min_notional": "100",
                    "max_qty": "120",
                    "max_leverage": 125,
                },
                "ETHUSDT": {
                    "tick": "0.01",
                    "step": "0.001",
                    "min_qty": "0.001",
                    "min_notional": "20",
                    "max_qty": "2000",
                    "max_leverage": 100,
                },
            },
        )
    return FakeBybit(
        API_KEY,
        SECRET,
        {
            "BTCUSDT": {
                "tick": "0.10",
                "step": "0.001",
                "min_qty": "0.001",
                "min_notional": "100",
                "max_qty": "120",
                "max_leverage": "100.00",
            },
            "ETHUSDT": {
                "tick": "0.01",
                "step": "0.01",
                "min_qty": "0.01",
                "min_notional": "5",
                "max_qty": "2000",
                "max_leverage": "100.00",
            },
        },
    )


@dataclass
class Rig:
    venue: str
    fake: FakeBinance | FakeBybit
    url: str
    broker: LiveBroker
    engine: Engine
    clock: SimClock

    @property
    def order_path(self) -> tuple[str, str]:
        return ("POST", "/fapi/v1/order") if self.venue == "binance" else ("POST", "/v5/order/create")

    def entry_posts(self) -> list[dict]:
        """Market order requests the fake received (conditional exits excluded)."""
        return [p for p in self.fake.calls(*self.order_path) if not p.get("triggerPrice")]

    def filled_orders(self) -> list[dict]:
        if self.venue == "binance":
            return [o for o in self.fake.orders.values() if o["type"] == "MARKET"]
        return [o for o in self.fake.orders.values() if not o["triggerPrice"] and o["orderStatus"] == "Filled"]

    def open_exits(self) -> list[dict]:
        return self.fake.open_algos() if self.venue == "binance" else self.fake.open_conditionals()

    def position(self, symbol: str = "BTCUSDT") -> float:
        return self.fake.ledger.position(symbol)

    async def settle(self) -> None:
        """Let the broker finish its HTTP work, then let the engine take the results (twice: an
        entry fill opens a position, whose hook spawns the exit placement)."""
        for _ in range(3):
            await self.broker.wait_idle(timeout=10)
            self.engine.tick()


def submit_entry(
    eng: Engine, side: str = "buy", qty: float = 0.01, price: float = 60_000.0, market: str = BTC
) -> Order:
    """What Engine._enter does once a signal is accepted (book-keeping, then broker.submit)."""
    order = Order(
        id=f"o{next(eng._ids)}",
        market=market,
        side=side,
        qty=qty,
        intent=OrderIntent.ENTRY,
        submitted_ts=eng.now,
        ref_price=price,
        reason="sig-test",
        signal_id="sig-test",
    )
    order.position_id = f"p{next(eng._ids)}"
    eng.orders[order.id] = order
    eng.pending_entries[market] = order
    eng.broker.submit(order)
    return order


@asynccontextmanager
async def rig(venue: str, start: bool = True, keys: ApiKeys | None = None, stream: bool = False, **settings):
    """`stream=True` also serves the venue's private websocket and points the broker's user stream at it
    (otherwise the broker has no stream: the fake's host is not a known venue)."""
    fake = make_fake(venue)
    with FakeServer(fake) as server, FakeWsServer(fake) if stream else nullcontext() as ws_server:
        if stream:
            path = "/private/ws" if venue == "binance" else "/v5/private"
            settings = {
                "stream_url": ws_server.url + path,
                "stream_retry_base_s": 0.05,
                "stream_retry_max_s": 0.3,
            } | settings
        clock = SimClock(T0)
        broker = make_broker(
            f"{venue}-testnet",
            False,
            Config(),
            keys=keys or ApiKeys(API_KEY, SECRET, venue),
            base_url=server.url,
            settings=fast_settings(**settings),
            now_fn=clock.now,
        )
        eng = Engine(
            Config(),
            clock,
            broker=broker,
            mode="auto",
            instruments=[Instrument(venue, "BTCUSDT", BTC, tick_size=0.1, lot_size=0.001, min_qty=0.001)],
        )
        broker.price_of = eng.mark_of
        eng.process(MarkPrice(venue, BTC, "BTCUSDT", 60_000.0, 0.0001, T0 + 3600, T0, T0))
        try:
            if start:
                await broker.start()
            yield Rig(venue, fake, server.url, broker, eng, clock)
        finally:
            await broker.aclose()


async def until(pred, timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
