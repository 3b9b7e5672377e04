"""Hostile numbers at the one validation boundary (core/validation.py): through the real venue
parsers, the recording decoder (replay, normalize, backtest) and the simulator source.

Every hostile value must end as a counted rejection with a reason, never an event and never an
exception; the good events around it must all arrive.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from core.events import Liquidation, MarkPrice, OpenInterest, Trade, event_to_dict
from core.feeds.registry import make_parser
from core.replay import DecodeStats, iter_recording
from core.validation import EventValidator, ValidationLimits
from tests.hostile.ledger import case

T0 = 1_767_225_600.0
ROOT = Path(__file__).resolve().parent.parent


def mark(price, ts=T0, **kw) -> MarkPrice:
    return MarkPrice("sim", "BTC-USDT-PERP", "BTC", price, kw.pop("funding_rate", 0.0001), None, ts, ts, **kw)


def binance_mark(p: str, E: float = T0 * 1000) -> str:
    return orjson.dumps(
        {
            "stream": "!markPrice@arr@1s",
            "data": [
                {
                    "e": "markPriceUpdate",
                    "E": E,
                    "s": "BTCUSDT",
                    "p": p,
                    "i": "60000",
                    "r": "0.0001",
                    "T": T0 * 1000 + 3.6e6,
                }
            ],
        }
    ).decode()


def binance_force(E: float = T0 * 1000, p: str = "60000", q: str = "0.5") -> str:
    return orjson.dumps(
        {
            "stream": "!forceOrder@arr",
            "data": {
                "e": "forceOrder",
                "E": E,
                "o": {
                    "s": "BTCUSDT",
                    "S": "SELL",
                    "o": "LIMIT",
                    "f": "IOC",
                    "q": q,
                    "p": p,
                    "ap": p,
                    "X": "FILLED",
                    "l": q,
                    "z": q,
                    "T": E,
                },
            },
        }
    ).decode()


HOSTILE_BINANCE = {
    "mark p=1e308": binance_mark("1e308"),
    "mark p=-100": binance_mark("-100"),
    "mark p=1e300 (×1e295)": binance_mark("1e300"),
    "mark p=600000 (×10 jump)": binance_mark("600000"),
    "mark p=6 (÷10000 drop)": binance_mark("6"),
    "forceOrder E=1e300": binance_force(E=1e300),
    "forceOrder E in 2100": binance_force(E=4_102_444_800_000.0),
    "forceOrder p=1e308": binance_force(p="1e308"),
    "forceOrder q=1e20": binance_force(q="1e20"),
}


@pytest.mark.parametrize("name", list(HOSTILE_BINANCE))
def test_hostile_binance_frame_is_rejected_or_refused_never_an_event(name):
    parser = make_parser("binance")
    v = EventValidator()
    good = v.accept(parser.parse(binance_mark("60000"), T0), T0)
    assert len(good) == 1
    with case("live frames", f"binance {name}") as c:
        try:
            events = parser.parse(HOSTILE_BINANCE[name], T0 + 1)
        except ValueError:  # ParseError: the parser refused it itself, counted by the runner
            events = []
        passed = v.accept(events, T0 + 1)
        assert passed == [], f"{name} reached the engine: {passed}"
        after = v.accept(parser.parse(binance_mark("60010"), T0 + 2), T0 + 2)
        c.lost = 1 - len(after)
    assert len(after) == 1 and after[0].mark == 60010.0
    if events:
        assert v.rejected == len(events) and v.counts


@pytest.mark.parametrize("bad", [0.0, -100.0, 1e308, math.inf, math.nan, "60000", None, True])
def test_bad_mark_is_counted_with_a_reason(bad):
    v = EventValidator()
    assert v.check(mark(60000.0)) is None
    rej = v.check(mark(bad, T0 + 1))
    assert rej is not None and rej.reason == "bad_price"
    assert v.counts == {("sim", "bad_price"): 1} and v.rejected == 1
    assert v.check(mark(60001.0, T0 + 2)) is None  # the last good price is unchanged


def test_price_move_beyond_factor_is_rejected_then_reanchored_after_a_run():
    v = EventValidator(ValidationLimits(max_price_factor=3.0, reanchor_after=5))
    assert v.check(mark(100.0)) is None
    assert v.check(mark(250.0, T0 + 1)) is None  # 2.5×: a violent market, not garbage
    assert v.check(mark(1000.0, T0 + 2)).reason == "price_jump"
    for i in range(3):
        assert v.check(mark(1000.0, T0 + 3 + i)) is not None
    assert v.check(mark(1000.0, T0 + 7)) is None  # the fifth in a row: the market really is there
    assert v.check(mark(1001.0, T0 + 8)) is None


def test_timestamps_far_future_out_of_order_and_skewed():
    v = EventValidator()
    assert v.check(mark(100.0)) is None
    far = MarkPrice("sim", "BTC-USDT-PERP", "BTC", 100.0, None, None, 4.1e9, T0 + 1)
    assert v.check(far).reason == "ts_ahead"
    assert v.check(mark(100.0, T0 - 60)).reason == "out_of_order"
    assert v.check(mark(100.0, 4.1e9)).reason == "time_jump"
    assert v.check(mark(100.0, T0 + 2), ts_recv=T0 + 9999).reason == "ts_recv_mismatch"
    assert v.check(mark(100.0, T0 + 3)) is None
    assert sorted(v.by_reason()) == ["out_of_order", "time_jump", "ts_ahead", "ts_recv_mismatch"]


@pytest.mark.parametrize(
    "ev",
    [
        Liquidation("sim", "", "BTC", "long", 100.0, 1.0, 100.0, T0, T0),
        Liquidation("sim", "BTC-USDT-PERP", "BTC", "up", 100.0, 1.0, 100.0, T0, T0),
        Liquidation("sim", "BTC-USDT-PERP", "BTC", "long", 100.0, -1.0, 100.0, T0, T0),
        Liquidation("sim", "BTC-USDT-PERP", "BTC", "long", 100.0, 1.0, 1e300, T0, T0),
        Trade("sim", "BTC-USDT-PERP", "BTC", 100.0, 1e12, "buy", T0, T0),
        Trade("sim", "BTC-USDT-PERP", " ", 100.0, 1.0, "buy", T0, T0),
        OpenInterest("sim", "BTC-USDT-PERP", "BTC", math.nan, T0, T0),
        OpenInterest("sim", "BTC-USDT-PERP", "BTC", 1e300, T0, T0),
        MarkPrice("sim", "BTC-USDT-PERP", "BTC", 100.0, "NaN", None, T0, T0),  # type: ignore[arg-type]
        MarkPrice("sim", "BTC-USDT-PERP", "BTC", 100.0, 0.0, math.inf, T0, T0),
        MarkPrice("sim", "BTC-USDT-PERP", "BTC", 100.0, 0.0, None, T0, T0, funding_interval_h=0.0),
        MarkPrice("sim", "BTC-USDT-PERP", "BTC", 100.0, 0.0, None, T0, T0, index=-1.0),
        "not an event",
    ],
)
def test_malformed_events_are_rejected_never_raised(ev):
    v = EventValidator()
    assert v.check(ev) is not None
    assert v.rejected == 1 and sum(v.counts.values()) == 1


def _sim_line(ev) -> bytes:
    return orjson.dumps({"ts": ev.ts_recv, "venue": "sim", "msg": event_to_dict(ev)})


def _hostile_recording(tmp_path: Path) -> tuple[Path, int]:
    lines, good = [], 0
    for i in range(40):
        lines.append(_sim_line(mark(60000.0 + i, T0 + i)))
        good += 1
        if i == 10:  # the marks while a position is open
            for bad in (1e308, 0.0, -100.0):
                d = event_to_dict(mark(1.0, T0 + i))
                d["mark"] = bad
                lines.append(orjson.dumps({"ts": T0 + i, "venue": "sim", "msg": d}))
        if i == 20:
            d = event_to_dict(mark(60000.0, T0 + i))
            d["funding_rate"] = "NaN"
            lines.append(orjson.dumps({"ts": T0 + i, "venue": "sim", "msg": d}))
    p = tmp_path / "hostile.jsonl"
    p.write_bytes(b"\n".join(lines) + b"\n")
    return p, good


def test_recording_with_hostile_values_keeps_every_good_line(tmp_path):
    path, good = _hostile_recording(tmp_path)
    stats = DecodeStats()
    with case("recorded values", "sim marks 1e308/0/-100 + NaN funding") as c:
        events = [ev for _, evs in iter_recording(path, stats) for ev in evs]
        c.lost = good - len(events)
    assert len(events) == good
    assert len(stats.bad) == 4 and all(r.startswith(("rejected", "mark")) for _, r in stats.bad)
    assert all(60000.0 <= ev.mark < 60100.0 for ev in events)


def test_normalize_strict_fails_on_a_rejected_value(tmp_path):
    path, good = _hostile_recording(tmp_path)
    with case("recorded values", "normalize --strict on hostile values") as c:
        r = subprocess.run(
            [sys.executable, "-m", "tui.cli", "normalize", "--strict", str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        c.exit_code = r.returncode
        c.traceback = "Traceback" in r.stderr
        c.lost = good - len(r.stdout.splitlines())
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert len(r.stdout.splitlines()) == good
    assert "4 " in r.stderr.splitlines()[-1]


def test_the_price_jump_and_clock_skew_limits_come_from_the_config(tmp_path):
    from core.config_load import load_config
    from core.validation import limits_from_config

    p = tmp_path / "c.toml"
    p.write_text("[feeds]\nmax_price_jump = 2.0\nmax_clock_skew_s = 10\n")
    v = EventValidator(limits_from_config(load_config(p)))
    assert v.check(mark(100.0)) is None
    assert v.check(mark(250.0, T0 + 1)).reason == "price_jump"  # 2.5× is beyond this config's 2×
    ahead = MarkPrice("sim", "BTC-USDT-PERP", "BTC", 100.0, None, None, T0 + 30, T0 + 2)
    assert v.check(ahead).reason == "ts_ahead"


def test_the_fast_path_and_the_detailed_rules_agree_on_random_hostile_events():
    """`check` skips to a few comparisons for plainly fine events; it must decide exactly as the full rules do."""
    import random

    rng = random.Random(3)
    values = [60000.0, 60010.0, 1e308, 0.0, -1.0, math.nan, math.inf, 6.0, 600000.0, 59000.0, "x", None, 1, True]

    def event(i):
        p, t = rng.choice(values), T0 + i + rng.choice([0, 0, 0, 1e6, -100, 200])
        k = rng.randrange(3)
        if k == 0:
            return MarkPrice("v", "M", "S", p, rng.choice([0.0001, None, 5.0]), None, t + rng.choice([0, 500]), T0 + i)
        if k == 1:
            return Trade("v", "M", "S", p, rng.choice([1.0, -1.0, 1e20]), rng.choice(["buy", "x"]), t, T0 + i)
        return Liquidation(
            "v", "M", "S", rng.choice(["long", "up"]), p, 1.0, rng.choice([60000.0, -5.0, 1e300]), t, T0 + i
        )

    events = [event(i) for i in range(5000)]
    fast, full = EventValidator(), EventValidator()
    full._plainly_fine = lambda ev: False  # type: ignore[method-assign]
    decisions = [full.check(e) is None for e in events]
    assert [fast.check(e) is None for e in events] == decisions
    assert fast.counts == full.counts and fast.accepted == full.accepted > 100
    recorded = EventValidator()  # a recording passes each line's receive time: the same decisions
    assert [recorded.check(e, e.ts_recv) is None for e in events] == decisions
    assert recorded.counts == full.counts
