"""Decision latency with a live broker: due → the order request at the exchange.

The latency bench ends a decision when the order leaves the paper broker (`submit`). A live
broker's `submit` spawns a task on the loop that prepares, signs and sends the HTTP request, so
its order reaches the wire later. This measures that hop against the fake venue on 127.0.0.1
(`tests/fake_exchange`): the time from `submit()` to the fake's HTTP handler receiving the order
(its own request log, on the same monotonic clock), connection warm, the loop otherwise idle. In
the console the task also waits for the rest of the frame being processed and any repaint queued
before it (the per-message figures of the latency bench). Entries alternate buy and sell so the
fake's position stays flat; no engine fill is taken (nothing here depends on it).

End to end (`decision_to_exchange`): a fresh engine on the live broker is fed the scripted BTC
cascade (tests/builders.py) up to just before its entry delay ends, then runs on the loop's clock
with the deadline waker (`core.deadlines.DeadlineWaker`), as the live source runs it. No frame
arrives: the entry is decided at the deadline and the broker sends it. Due = the deadline's time,
done = the fake's handler receiving the order request; both on `time.monotonic` (the loop's clock).

    PYTHONPATH=$PWD /work/venv/bin/python -m tests.fake_exchange.order_hop [submits] [decisions]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from core.brokers.base import Order, OrderIntent
from core.deadlines import DeadlineWaker
from core.engine_events import OrderSubmitted
from tests.builders import T0, feed, scripted_cascade
from tests.fake_exchange.harness import BTC, VENUES, rig


def _ms(values: list[float]) -> dict:
    v = sorted(x * 1000.0 for x in values)
    if not v:
        return {"n": 0}

    def pct(p: float) -> float:
        return round(v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))], 3)

    return {"n": len(v), "p50_ms": pct(50), "p99_ms": pct(99), "max_ms": round(v[-1], 3)}


async def measure(venue: str, n: int) -> dict:
    async with rig(venue) as r:
        method, path = r.order_path
        hops: list[float] = []
        for i in range(n + 1):  # the first one warms the connection and the symbol set-up
            order = Order(
                id=f"hop{i}",
                market=BTC,
                side="buy" if i % 2 == 0 else "sell",
                qty=0.01,
                intent=OrderIntent.ENTRY,
                submitted_ts=r.engine.now,
                ref_price=60_000.0,
                reason="order-hop",
                signal_id="order-hop",
            )
            seen = len(r.fake.calls(method, path))
            t0 = time.monotonic()
            r.broker.submit(order)
            await r.broker.wait_idle(timeout=10)
            arrivals = [when for when, m, p, _ in r.fake.log if m == method and p == path]
            if len(arrivals) != seen + 1:
                raise RuntimeError(f"{venue}: order {order.id} did not reach the exchange once ({order.status})")
            if i:
                hops.append(arrivals[-1] - t0)
        return {"venue": venue, "submit_to_exchange": _ms(hops)}


class _LoopClock:
    """Engine time on the loop's own clock (`time.monotonic` on this platform)."""

    def __init__(self, start: float) -> None:
        self.offset = start - asyncio.get_running_loop().time()

    def now(self) -> float:
        return self.offset + asyncio.get_running_loop().time()


async def measure_decisions(venue: str, n: int) -> dict:
    evs, _, _ = scripted_cascade(T0)
    before_delay = [e for e in evs if e.ts_recv < T0 + 4.9]
    lags: list[float] = []
    for _ in range(n):
        async with rig(venue) as r:
            method, path = r.order_path
            feed(r.engine, r.clock, before_delay)  # the setup holds; the 5 s entry delay has not ended
            due = r.engine.next_deadline()
            if due is None:
                raise RuntimeError("no entry deadline after the scripted cascade")
            clock = _LoopClock(T0 + 4.95)  # 50 ms before the deadline
            r.engine.clock = clock  # type: ignore[assignment]
            waker = DeadlineWaker(r.engine, clock.now)
            waker.start()
            submitted = asyncio.Event()
            r.engine.subscribe(lambda ev, done=submitted: done.set() if isinstance(ev, OrderSubmitted) else None)
            try:
                await asyncio.wait_for(submitted.wait(), timeout=5.0)  # only the waker can make it
                await r.broker.wait_idle(timeout=10)  # the order's HTTP work done: the fake has stamped it
            finally:
                waker.stop()
            arrivals = [when for when, m, p, _ in r.fake.log if m == method and p == path]
            if not arrivals:
                raise RuntimeError(f"{venue}: the entry never reached the exchange")
            lags.append(arrivals[0] - (due - clock.offset))
    return {"venue": venue, "decision_to_exchange": _ms(lags)}


async def main_async(n: int, decisions: int) -> list[dict]:
    out = []
    for v in VENUES:
        out.append(await measure(v, n) | await measure_decisions(v, decisions))
    return out


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 200
    decisions = int(argv[1]) if len(argv) > 1 else 60
    print(json.dumps(asyncio.run(main_async(n, decisions)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
