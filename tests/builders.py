"""Small builders with defaults, so tests say only what matters to them."""

from __future__ import annotations

from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.events import Liquidation, MarkPrice, OpenInterest, Trade
from core.instruments import Instrument

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
BTC = "BTC-USDT-PERP"


def liq(
    ts: float, usd: float, side: str = "long", price: float = 60_000.0, market: str = BTC, venue: str = "sim"
) -> Liquidation:
    return Liquidation(venue, market, market.split("-")[0] + "USDT", side, price, usd / price, usd, ts, ts)  # type: ignore[arg-type]


def mark(ts: float, price: float, funding: float | None = 0.0003, market: str = BTC, venue: str = "sim") -> MarkPrice:
    return MarkPrice(venue, market, market.split("-")[0] + "USDT", price, funding, ts + 3600, ts, ts)


def trade(ts: float, price: float, market: str = BTC) -> Trade:
    return Trade("sim", market, market.split("-")[0] + "USDT", price, 0.01, "sell", ts, ts)


def oi(ts: float, usd: float, market: str = BTC) -> OpenInterest:
    return OpenInterest("sim", market, market.split("-")[0] + "USDT", usd, ts, ts)


BTC_INSTRUMENT = Instrument("sim", "BTCUSDT", BTC, tick_size=0.1, lot_size=0.001, min_qty=0.001, min_notional=5.0)


def make_engine(mode: str = "auto", config: Config | None = None, start: float = T0) -> tuple[Engine, SimClock]:
    clock = SimClock(start)
    eng = Engine(config or Config(), clock, instruments=[BTC_INSTRUMENT], mode=mode)
    return eng, clock


def feed(eng: Engine, clock: SimClock, events) -> None:
    """Replay events in time order, moving the clock to each event's receive time first."""
    for ev in sorted(events, key=lambda e: e.ts_recv):
        clock.set(ev.ts_recv)
        eng.process(ev)


def run_until(eng: Engine, clock: SimClock, t: float, step: float = 0.25) -> None:
    while clock.now() < t:
        clock.advance(min(step, t - clock.now()))
        eng.tick()


def scripted_cascade(t0: float, seconds: float = 20.0, start_price: float = 60_000.0, drop_per_s: float = 0.0006):
    """A burst of long liquidations on BTC over ~20 s with price falling, then fading.

    Returns (events, first_large_ts). Price keeps a mark every 0.5 s so stops can trigger.
    """
    evs = []
    # calm hour before: marks and a trickle of small liquidations for the baseline
    for i in range(0, 3600, 5):
        evs.append(mark(t0 - 3600 + i, start_price))
    for i in range(0, 3600, 120):
        evs.append(liq(t0 - 3600 + i, 5_000.0, "long" if i % 240 else "short", start_price))
    first = t0
    price = start_price
    n = int(seconds / 0.5)
    for k in range(n):
        ts = t0 + k * 0.5
        price = start_price * (1 - drop_per_s * k * 0.5)
        usd = 600_000.0 if k == 0 else 300_000.0 + (k % 5) * 150_000.0
        evs.append(liq(ts, usd, "long", price))
        evs.append(mark(ts + 0.01, price))
    return evs, first, price
