"""A local fake of the Binance USDⓈ-M and Bybit v5 order APIs, for broker tests.

Real HTTP on 127.0.0.1 (random port, server thread), signatures verified with an HMAC written
independently of the broker's, timestamps checked against the fake's own (skewable) clock, order,
algo-order and position state, and switchable faults. It never talks to the internet.
"""

from tests.fake_exchange.binance import FakeBinance
from tests.fake_exchange.bybit import FakeBybit
from tests.fake_exchange.server import FakeServer

__all__ = ["FakeBinance", "FakeBybit", "FakeServer"]
