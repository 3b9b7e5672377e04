"""`EventValidator.accept` (the per-frame path the feed runner, and the ingest bench, use) decides
inline for the usual liquidation and mark; everything else goes to `check`. It must make exactly the
decisions, and leave exactly the state, of `check` called on each event in turn: same events
accepted, same rejections (reason and detail), same counters, same remembered prices and times.
Checked here on generated streams that mix plausible events with hostile values of every kind."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from core.events import Liquidation, MarkPrice, OpenInterest, Trade
from core.validation import EventValidator, Rejection, ValidationLimits

T0 = 1_767_225_600.0
MARKETS = (
    ("binance", "BTC-USDT-PERP", "BTCUSDT"),
    ("bybit", "BTC-USDT-PERP", "BTCUSDT"),
    ("binance", "ETH-USDT-PERP", "ETHUSDT"),
)

DAY = 86400.0
# per field, values that break one rule each, and values just inside a bound
HOSTILE = {
    "price": (math.nan, math.inf, -1.0, 0.0, 1e308, 1e-300, 2e9, 10**400, True, "60000", None, 7, 600_000.0, 11_000.0),
    "qty": (math.nan, math.inf, -1.0, 0.0, 2e13, True, "1", None, 7),
    "usd": (math.nan, -1.0, 0.0, 2e11, None, 7),
    "side": ("buy", "", None, "LONG"),
    "recv": (-10.0, -4.0, 200.0, 8 * DAY, math.nan, None, 7),  # seconds from the frame's time, or a value
    "event": (121.0, 119.0, -3601.0, -3599.0, math.nan, None),  # seconds from the receive time, or a value
    "index": (None, 1e308, 2e9, -1.0, math.nan, 7, 60_000.0, 600_000.0),
    "funding": (2.0, 1.0, -1.0, math.nan, 1, None),
    "next": (50 * DAY, 39 * DAY, 100 * DAY, -100 * DAY, math.inf, 5, None),  # from the receive time, or a value
    "hours": (0.0, 1000.0, 720.0, 721.0, 8, math.nan),
    "venue": ("", "x\x00", "a" * 80),
    "market": ("", "BTC\nPERP", "b" * 80),
    "symbol": ("", "BTC USDT\n"),
}


def _at(t, offset):
    return t + offset if isinstance(offset, float) and isinstance(t, float) else offset


@st.composite
def events(draw, t: float):
    """A plausible event at receive time `t`, with at most two fields made hostile."""
    venue, market, symbol = draw(st.sampled_from(MARKETS))
    f = {
        "price": draw(st.floats(min_value=55_000.0, max_value=65_000.0)),
        "qty": draw(st.floats(min_value=0.0, max_value=10.0)),
        "side": draw(st.sampled_from(("long", "short"))),
        "recv": t,
        "event": draw(st.floats(min_value=-0.5, max_value=0.5)),
        "index": draw(st.one_of(st.none(), st.floats(min_value=55_000.0, max_value=65_000.0))),
        "funding": draw(st.one_of(st.none(), st.floats(min_value=-0.01, max_value=0.01))),
        "next": draw(st.one_of(st.none(), st.just(3600.0))),
        "hours": draw(st.sampled_from((8.0, 4.0, 1.0))),
        "venue": venue,
        "market": market,
        "symbol": symbol,
    }
    f["usd"] = f["qty"] * f["price"]
    for name in draw(st.lists(st.sampled_from(sorted(HOSTILE)), max_size=2)):
        value = draw(st.sampled_from(HOSTILE[name]))
        f[name] = _at(t, value) if name == "recv" else value
    recv = f["recv"]
    event_t = _at(recv if isinstance(recv, float) else t, f["event"])
    next_ts = _at(recv if isinstance(recv, float) else t, f["next"])
    names = (f["venue"], f["market"], f["symbol"])
    kind = draw(st.sampled_from(("liq", "liq", "liq", "mark", "mark", "oi", "trade")))
    if kind == "liq":
        return Liquidation(*names, f["side"], f["price"], f["qty"], f["usd"], event_t, recv)
    if kind == "mark":
        return MarkPrice(
            *names, f["price"], f["funding"], next_ts, event_t, recv, index=f["index"], funding_interval_h=f["hours"]
        )
    if kind == "oi":
        return OpenInterest(*names, f["usd"], event_t, recv)
    return Trade(*names, f["price"], f["qty"], draw(st.sampled_from(("buy", "sell", "long"))), event_t, recv)


@st.composite
def streams(draw) -> list[list]:
    """Frames at advancing receive times (a feed's shape), each with a few events."""
    t, out = T0, []
    for _ in range(draw(st.integers(min_value=1, max_value=40))):
        t += draw(st.floats(min_value=0.0, max_value=2.0))
        out.append(draw(st.lists(events(t), min_size=0, max_size=6)))
    return out


def _state(v: EventValidator) -> tuple:
    return (
        v.accepted,
        v.rejected,
        dict(v.counts),
        list(v.examples),
        {k: dict(d) for k, d in v._last_price.items()},
        dict(v._jumps),
        v._last_ts,
        set(v._good_symbols),
    )


def _same(a: Rejection, b: Rejection) -> bool:
    return a.reason == b.reason and a.detail == b.detail


@settings(max_examples=400, deadline=None)
@given(
    frames=streams(),
    with_ts=st.booleans(),
    factor=st.sampled_from((5.0, 1.5)),
)
def test_accept_makes_the_decisions_and_keeps_the_state_of_check_event_by_event(frames, with_ts, factor):
    limits = ValidationLimits(max_price_factor=factor, reanchor_after=3)
    batch, single = EventValidator(limits), EventValidator(limits)
    for frame in frames:
        ts = frame[0].ts_recv if with_ts and frame and isinstance(frame[0].ts_recv, float) else None
        got_rej: list[Rejection] = []
        got = batch.accept(frame, ts, rejections=got_rej)
        want, want_rej = [], []
        for ev in frame:
            rej = single.check(ev, ts)
            (want if rej is None else want_rej).append(ev if rej is None else rej)
        assert [id(e) for e in got] == [id(e) for e in want]
        assert len(got_rej) == len(want_rej) and all(map(_same, got_rej, want_rej))
        assert _state(batch) == _state(single)


def test_accept_takes_the_usual_frames_inline_and_still_refuses_a_price_jump_on_a_known_market():
    v = EventValidator()
    first = Liquidation("binance", "BTC-USDT-PERP", "BTCUSDT", "long", 60_000.0, 0.5, 30_000.0, T0, T0)
    mark = MarkPrice("binance", "BTC-USDT-PERP", "BTCUSDT", 60_010.0, 0.0001, T0 + 3600, T0, T0 + 0.1, index=60_005.0)
    jump = Liquidation("binance", "BTC-USDT-PERP", "BTCUSDT", "long", 600_000.0, 0.5, 300_000.0, T0, T0 + 0.2)
    rejections: list[Rejection] = []
    assert v.accept([first, mark, jump], rejections=rejections) == [first, mark]
    assert [r.reason for r in rejections] == ["price_jump"]
    assert v.accepted == 2 and v.rejected == 1 and v.by_venue("binance") == {"price_jump": 1}


def test_a_bad_symbol_on_a_known_market_is_refused_by_the_quick_paths_as_by_the_detailed_one():
    # the quick path once accepted any non-empty symbol once the market had a price; the detailed
    # path refuses an unprintable one, and both paths now decide alike
    good = Liquidation("binance", "BTC-USDT-PERP", "BTCUSDT", "long", 60_000.0, 0.5, 30_000.0, T0, T0)
    bad = Liquidation("binance", "BTC-USDT-PERP", "BTC\x00USDT", "long", 60_000.0, 0.5, 30_000.0, T0, T0 + 0.1)
    one, batch = EventValidator(), EventValidator()
    assert one.check(good) is None and one.check(bad).reason == "bad_name"
    assert batch.accept([good, bad]) == [good] and batch.by_reason() == {"bad_name": 1}


def test_accept_gives_the_frame_back_when_every_event_passes_and_a_new_list_otherwise():
    v = EventValidator()
    a = Liquidation("binance", "BTC-USDT-PERP", "BTCUSDT", "long", 60_000.0, 0.5, 30_000.0, T0, T0)
    b = Liquidation("binance", "BTC-USDT-PERP", "BTCUSDT", "short", 60_001.0, 0.5, 30_000.5, T0, T0 + 0.1)
    bad = Liquidation("binance", "BTC-USDT-PERP", "BTCUSDT", "short", math.nan, 0.5, 1.0, T0, T0 + 0.2)
    v.accept([a])  # the market's first price (detailed path)
    frame = [b, b]
    assert v.accept(frame) is frame
    mixed = [b, bad, b]
    got = v.accept(mixed)
    assert got == [b, b] and got is not mixed and mixed == [b, bad, b]
    assert v.accept(iter([b])) == [b]  # any iterable
