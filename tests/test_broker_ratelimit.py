"""The rate gate reads the venues' headers and holds requests back instead of hammering."""

from __future__ import annotations

import time

from core.brokers.ratelimit import RateGate, retry_after_s


class FakeMono:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


async def test_block_and_acquire_budget():
    mono = FakeMono()
    g = RateGate(monotonic=mono)
    g.block_for(5.0, banned=True)
    assert g.wait_s() == 5.0 and g.banned
    assert await g.acquire(max_wait_s=1.0) is False  # refuses rather than waiting past the caller's budget
    mono.t += 5.0
    assert await g.acquire(max_wait_s=1.0) is True and not g.banned


def test_binance_weight_headers_near_the_limit_pause_until_the_minute_rolls():
    g = RateGate(weight_limit_1m=2400)
    g.note_binance({"x-mbx-used-weight-1m": "100", "x-mbx-order-count-10s": "3", "x-mbx-order-count-1m": "7"})
    assert g.used_weight_1m == 100 and g.order_count == {"10s": 3, "1m": 7} and g.wait_s() == 0
    g.note_binance({"x-mbx-used-weight-1m": "2300"})
    assert 0 < g.wait_s() <= 60


def test_bybit_limit_status_zero_waits_for_the_reset_timestamp():
    g = RateGate()
    g.note_bybit({"x-bapi-limit-status": "5", "x-bapi-limit-reset-timestamp": str(int(time.time() * 1000) + 800)})
    assert g.bybit_remaining == 5 and g.wait_s() == 0
    g.note_bybit({"x-bapi-limit-status": "0", "x-bapi-limit-reset-timestamp": str(int(time.time() * 1000) + 800)})
    assert 0.5 < g.wait_s() <= 0.8


def test_retry_after_header():
    assert retry_after_s({"retry-after": "7"}, 60) == 7.0
    assert retry_after_s({}, 60) == 60.0
    assert retry_after_s({"retry-after": "soon"}, 60) == 60.0
