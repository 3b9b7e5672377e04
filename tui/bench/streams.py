"""Pre-generated input for every benchmark, built outside the timed regions.

The crash simulator (50 markets, the most it models) supplies the liquidations and marks; each
event is copied onto `shards` synthetic markets (``BTCUSDT`` → ``BTC3USDT``…), so 8 shards give
400 markets and the crash's peak of ~850 liquidations/s becomes bursts of ~7,000/s. Even shards
are rendered as Binance frames, odd shards as Bybit frames, in the venues' own JSON shapes:

* Binance ``!forceOrder@arr`` on the combined stream, and ``!markPrice@arr`` (one-row arrays);
* Bybit ``allLiquidation.SYM`` batches (rows of one symbol within 500 ms share a frame, as the
  venue batches them) and ``tickers.SYM`` snapshots carrying mark and funding, and ``tickers.SYM``
  deltas carrying open interest (the venue pushes it with the ticker), so the liquidation heatmap
  has levels to keep, as it has live. Binance's open interest is a REST poll (≥ 60 s a symbol),
  not in the stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import orjson

from core.events import Liquidation, MarkPrice, OpenInterest
from core.sim.market_sim import Simulator

BINANCE, BYBIT = 0, 1
VENUE_NAMES = ("binance", "bybit")
BYBIT_BATCH_S = 0.5
CRASH_ONSET_S = 120.0  # the crash scenario's sell programme starts here


@dataclass
class Stream:
    """Parallel lists: receive time, venue index and raw text of each message."""

    ts: list[float]
    venue: list[int]
    raw: list[str]
    liquidations: int  # normalised liquidation events the messages carry
    marks: int
    markets: int
    open_interest: int = 0

    def __len__(self) -> int:
        return len(self.raw)

    @property
    def events(self) -> int:
        return self.liquidations + self.marks + self.open_interest


def sim_events(
    seconds: float,
    seed: int = 7,
    markets: int = 50,
    skip_s: float = 0.0,
    kinds: tuple = (Liquidation, MarkPrice, OpenInterest),
) -> list:
    """Liquidations, marks and open interest of `seconds` of the crash scenario, after `skip_s`
    unrecorded seconds."""
    sim = Simulator("crash", seed=seed, markets=markets)
    if skip_s > 0:
        for _ in sim.run(skip_s, chunk=30.0):
            pass
    return [ev for ev in sim.run(seconds, chunk=30.0) if isinstance(ev, kinds)]


def _ms(ts: float) -> int:
    return int(ts * 1000)


def binance_force_order(symbol: str, side: str, price: float, qty: float, ts: float) -> str:
    order_side = "SELL" if side == "long" else "BUY"
    p, q = f"{price:.8g}", f"{qty:.8g}"
    return orjson.dumps(
        {
            "stream": "!forceOrder@arr",
            "data": {
                "e": "forceOrder",
                "E": _ms(ts) + 3,
                "o": {
                    "s": symbol,
                    "S": order_side,
                    "o": "LIMIT",
                    "f": "IOC",
                    "q": q,
                    "p": p,
                    "ap": p,
                    "X": "FILLED",
                    "l": q,
                    "z": q,
                    "T": _ms(ts),
                },
            },
        }
    ).decode()


def binance_mark(symbol: str, mark: float, funding: float | None, next_ts: float | None, ts: float) -> str:
    return orjson.dumps(
        {
            "stream": "!markPrice@arr@1s",
            "data": [
                {
                    "e": "markPriceUpdate",
                    "E": _ms(ts),
                    "s": symbol,
                    "p": f"{mark:.8g}",
                    "i": f"{mark:.8g}",
                    "P": f"{mark:.8g}",
                    "r": "" if funding is None else f"{funding:.8f}",
                    "T": 0 if next_ts is None else _ms(next_ts),
                }
            ],
        }
    ).decode()


def bybit_liquidations(symbol: str, rows: list[tuple[str, float, float, float]], ts: float) -> str:
    """rows: (position side, price, qty, ts). Bybit's S is the position side: Buy = a long."""
    return orjson.dumps(
        {
            "topic": f"allLiquidation.{symbol}",
            "type": "snapshot",
            "ts": _ms(ts),
            "data": [
                {"T": _ms(t), "s": symbol, "S": "Buy" if side == "long" else "Sell", "v": f"{q:.8g}", "p": f"{p:.8g}"}
                for side, p, q, t in rows
            ],
        }
    ).decode()


def bybit_ticker(symbol: str, mark: float, funding: float | None, next_ts: float | None, ts: float) -> str:
    data = {"symbol": symbol, "markPrice": f"{mark:.8g}", "indexPrice": f"{mark:.8g}", "fundingIntervalHour": "8"}
    if funding is not None:
        data["fundingRate"] = f"{funding:.8f}"
    if next_ts is not None:
        data["nextFundingTime"] = str(_ms(next_ts))
    return orjson.dumps({"topic": f"tickers.{symbol}", "type": "snapshot", "ts": _ms(ts), "data": data}).decode()


def bybit_open_interest(symbol: str, qty: float, usd: float, ts: float) -> str:
    return orjson.dumps(
        {
            "topic": f"tickers.{symbol}",
            "type": "delta",
            "ts": _ms(ts),
            "data": {"symbol": symbol, "openInterest": f"{qty:.8g}", "openInterestValue": f"{usd:.2f}"},
        }
    ).decode()


def shard_symbol(symbol: str, shard: int) -> str:
    """``BTCUSDT`` shard 0 stays itself; shard 3 is ``BTC3USDT`` (parses to BTC3-USDT-PERP)."""
    return symbol if shard == 0 else f"{symbol[:-4]}{shard}USDT"


def render(events: list, shards: int = 8, time_scale: float = 1.0, t0: float | None = None) -> Stream:
    """Render sim events onto `shards` × markets as venue frames, in receive-time order.

    `time_scale` < 1 compresses time (0.5 doubles every rate); `t0` re-bases the first event.
    """
    if not events:
        return Stream([], [], [], 0, 0, 0)
    base = events[0].ts_recv
    t0 = base if t0 is None else t0
    out: list[tuple[float, int, str]] = []
    pending: dict[str, tuple[float, list]] = {}  # bybit symbol -> (batch start, rows)
    liqs = marks = ois = 0
    symbols: set[str] = set()

    def flush(sym: str) -> None:
        start, rows = pending.pop(sym)
        out.append((rows[-1][3], BYBIT, bybit_liquidations(sym, rows, rows[-1][3])))

    for ev in events:
        ts = t0 + (ev.ts_recv - base) * time_scale
        for k in range(shards):
            sym = shard_symbol(ev.symbol, k)
            symbols.add(sym)
            venue = BINANCE if k % 2 == 0 else BYBIT
            tk = ts + k * 1e-6  # copies stay distinct and in order
            if isinstance(ev, Liquidation):
                liqs += 1
                if venue == BINANCE:
                    out.append((tk, BINANCE, binance_force_order(sym, ev.side, ev.price, ev.qty, tk)))
                else:
                    batch = pending.get(sym)
                    if batch is not None and tk - batch[0] > BYBIT_BATCH_S:
                        flush(sym)
                        batch = None
                    if batch is None:
                        batch = pending[sym] = (tk, [])
                    batch[1].append((ev.side, ev.price, ev.qty, tk))
            elif isinstance(ev, OpenInterest):
                if venue == BYBIT:
                    ois += 1
                    out.append((tk, BYBIT, bybit_open_interest(sym, ev.oi_qty or 0.0, ev.oi_usd, tk)))
            else:
                marks += 1
                nxt = ev.next_funding_ts
                if venue == BINANCE:
                    out.append((tk, BINANCE, binance_mark(sym, ev.mark, ev.funding_rate, nxt, tk)))
                else:
                    out.append((tk, BYBIT, bybit_ticker(sym, ev.mark, ev.funding_rate, nxt, tk)))
    for sym in list(pending):
        flush(sym)
    out.sort(key=lambda m: m[0])
    return Stream([m[0] for m in out], [m[1] for m in out], [m[2] for m in out], liqs, marks, len(symbols), ois)


def crash_stream(seconds: float, shards: int = 8, seed: int = 7, skip_s: float = CRASH_ONSET_S - 20.0) -> Stream:
    """`seconds` of the crash (starting 20 s before its onset) over 50 × `shards` markets."""
    return render(sim_events(seconds, seed=seed, skip_s=skip_s), shards=shards)


def liquidation_sizes(n: int, seed: int = 7) -> list[tuple[str, float]]:
    """(side, usd) drawn from the crash scenario's own liquidations, for single-market streams."""
    pool = [
        (ev.side, ev.usd) for ev in sim_events(120.0, seed=seed, skip_s=CRASH_ONSET_S) if isinstance(ev, Liquidation)
    ]
    rng = random.Random(seed)
    return [pool[rng.randrange(len(pool))] for _ in range(n)]


def crash_chunks(
    seconds: float, shards: int = 8, seed: int = 7, chunk_s: float = 60.0, skip_s: float = CRASH_ONSET_S - 20.0
):
    """Like `crash_stream`, rendered `chunk_s` simulated seconds at a time (bounded memory)."""
    sim = Simulator("crash", seed=seed, markets=50)
    if skip_s > 0:
        for _ in sim.run(skip_s, chunk=30.0):
            pass
    done = 0.0
    while done < seconds:
        step = min(chunk_s, seconds - done)
        events = [ev for ev in sim.run(step, chunk=30.0) if isinstance(ev, (Liquidation, MarkPrice, OpenInterest))]
        done += step
        yield render(events, shards=shards)
