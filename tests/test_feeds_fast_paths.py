"""The parsers' fast paths give exactly what the general path gives: the same events, the same
parser state, or — for anything they do not take — nothing, leaving the general path to decide
(and raise) as before. Frames are the venues' usual shapes with fields swapped for odd values."""

from __future__ import annotations

import contextlib

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from core.feeds import fast_paths
from core.feeds.base import ParseError
from core.feeds.binance import BinanceParser
from core.feeds.bybit import BybitParser
from core.instruments import Instrument

TS = 1_767_225_600.5

ODD = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "1e400",
            "1e-400",
            " 7",
            "1_0",
            "0x10",
            "abc",
            "9" * 41,
            "60000.5",
            "0.001",
            "-0.0001",
            "0.00010000",
            "SELL",
            "BUY",
            "Buy",
            "Sell",
            "sell",
        ]
    ),
    st.integers(-2, 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.lists(st.integers(-5, 5), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(-5, 5), max_size=1),
)


@contextlib.contextmanager
def general_only():
    """The parsers as they were before the fast paths: every frame through the general path."""
    saved = fast_paths.binance, fast_paths.bybit
    fast_paths.binance = fast_paths.bybit = lambda *a: None  # type: ignore[assignment]
    try:
        yield
    finally:
        fast_paths.binance, fast_paths.bybit = saved


def outcome(parser, raw: str):
    try:
        return ("events", parser.parse(raw, TS))
    except ParseError as exc:
        return ("error", str(exc))


def same_either_way(make, venue: str, raw: str, state=lambda p: None) -> bool:
    """The general path's outcome; the fast path alone gives the same events and state when it
    takes the frame; the parser as wired gives the same outcome. True if the fast path took it."""
    general_p = make()
    with general_only():
        want = outcome(general_p, raw)
    fast_p = make()
    fast = getattr(fast_paths, venue)(fast_p, orjson.loads(raw), TS)
    if fast is not None:
        assert want == ("events", fast), raw
        assert state(fast_p) == state(general_p)
    wired = make()
    assert outcome(wired, raw) == want, raw
    assert state(wired) == state(general_p)
    return fast is not None


def mutate(d: dict, key: str, value) -> dict:
    d = dict(d)
    if value is ...:
        d.pop(key, None)
    else:
        d[key] = value
    return d


FORCE = {
    "s": "BTCUSDT",
    "S": "SELL",
    "o": "LIMIT",
    "f": "IOC",
    "q": "0.5",
    "p": "60000.1",
    "ap": "60010.5",
    "X": "FILLED",
    "l": "0.5",
    "z": "0.5",
    "T": 1_767_225_600_123,
}
MARK = {
    "e": "markPriceUpdate",
    "E": 1_767_225_600_000,
    "s": "ETHUSDT",
    "p": "3000.25",
    "i": "3001.5",
    "P": "3000.1",
    "r": "0.00010000",
    "T": 1_767_254_400_000,
}
BYBIT_ROW = {"T": 1_767_225_600_321, "s": "SOLUSDT", "S": "Buy", "v": "12.5", "p": "150.25"}


def binance_force(o: dict) -> str:
    return orjson.dumps(
        {"stream": "!forceOrder@arr", "data": {"e": "forceOrder", "E": 1_767_225_600_200, "o": o}}
    ).decode()


def binance_marks(rows: list) -> str:
    return orjson.dumps({"stream": "!markPrice@arr@1s", "data": rows}).decode()


def bybit_liqs(rows: list, symbol: str = "SOLUSDT") -> str:
    return orjson.dumps(
        {"topic": f"allLiquidation.{symbol}", "type": "snapshot", "ts": 1_767_225_600_400, "data": rows}
    ).decode()


def test_usual_frames_take_the_fast_path_and_match_the_general_one():
    p = BinanceParser()
    assert fast_paths.binance(p, orjson.loads(binance_force(FORCE)), TS) is not None
    assert fast_paths.binance(p, orjson.loads(binance_marks([MARK, mutate(MARK, "s", "BTCUSDT")])), TS) is not None
    assert fast_paths.bybit(BybitParser(), orjson.loads(bybit_liqs([BYBIT_ROW, BYBIT_ROW])), TS) is not None
    assert same_either_way(BinanceParser, "binance", binance_force(FORCE))
    assert same_either_way(
        BinanceParser, "binance", binance_marks([MARK, mutate(MARK, "s", "BTCUSDT")]), lambda p: p._marks
    )
    assert same_either_way(BybitParser, "bybit", bybit_liqs([BYBIT_ROW, mutate(BYBIT_ROW, "S", "Sell")]))


@settings(max_examples=400, deadline=None)
@given(key=st.sampled_from(sorted(FORCE)), value=st.one_of(ODD, st.just(...)))
def test_binance_force_order_with_any_field_odd_or_missing(key, value):
    same_either_way(BinanceParser, "binance", binance_force(mutate(FORCE, key, value)))


@settings(max_examples=400, deadline=None)
@given(key=st.sampled_from(sorted(MARK)), value=st.one_of(ODD, st.just(...)), at=st.integers(0, 2))
def test_binance_mark_array_with_any_field_odd_or_missing_in_any_row(key, value, at):
    rows = [dict(MARK, s=f"X{k}USDT") for k in range(3)]
    rows[at] = mutate(rows[at], key, value)
    same_either_way(BinanceParser, "binance", binance_marks(rows), lambda p: p._marks)


@settings(max_examples=400, deadline=None)
@given(key=st.sampled_from(sorted(BYBIT_ROW)), value=st.one_of(ODD, st.just(...)), at=st.integers(0, 1))
def test_bybit_liquidation_batch_with_any_field_odd_or_missing_in_any_row(key, value, at):
    rows = [dict(BYBIT_ROW), dict(BYBIT_ROW, S="Sell")]
    rows[at] = mutate(rows[at], key, value)
    same_either_way(BybitParser, "bybit", bybit_liqs(rows))


def test_binance_marks_carry_the_funding_interval_from_funding_info():
    from core.feeds.binance import DEFAULT_FUNDING_INTERVAL_H

    assert fast_paths._BINANCE_FUNDING_INTERVAL_H == DEFAULT_FUNDING_INTERVAL_H

    def make():
        p = BinanceParser()
        p.parse_funding_info('[{"symbol": "LPTUSDT", "fundingIntervalHours": 4}]')
        return p

    raw = binance_marks([dict(MARK, s="LPTUSDT"), MARK])
    assert same_either_way(make, "binance", raw, lambda p: p._marks)
    assert [e.funding_interval_h for e in make().parse(raw, TS)] == [4.0, 8.0]


def test_inverse_contracts_and_other_shapes_keep_the_general_path():
    inverse = [Instrument(venue="bybit", symbol="BTCUSD", market="BTC-USD-PERP", tick_size=0.5, lot_size=1.0)]
    frame = orjson.loads(bybit_liqs([dict(BYBIT_ROW, s="BTCUSD", v="1000")], "BTCUSD"))
    assert fast_paths.bybit(BybitParser(inverse), frame, TS) is None
    assert not same_either_way(
        lambda: BybitParser(inverse), "bybit", bybit_liqs([dict(BYBIT_ROW, s="BTCUSD", v="1000")], "BTCUSD")
    )
    for raw in (
        '{"id": 1, "result": null}',
        '{"stream": "x", "data": 5}',
        "[]",
        '{"topic": "tickers.BTCUSDT", "data": {}}',
    ):
        assert fast_paths.binance(BinanceParser(), orjson.loads(raw), TS) is None
        assert fast_paths.bybit(BybitParser(), orjson.loads(raw), TS) is None
