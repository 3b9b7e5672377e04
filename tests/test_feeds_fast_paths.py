"""The parsers' fast paths give exactly what the general path gives: the same events, the same
parser state, or — for anything they do not take — nothing, leaving the general path to decide
(and raise) as before. Frames are the venues' usual shapes with fields swapped for odd values."""

from __future__ import annotations

import contextlib
from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from core.feeds import fast_paths
from core.feeds.base import ParseError
from core.feeds.binance import BinanceParser
from core.feeds.bybit import BybitParser
from core.instruments import Instrument

TS = 1_767_225_600.5
ROOT = Path(__file__).resolve().parent.parent

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
    fast = getattr(fast_paths, venue)(fast_p, raw, TS)
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
    assert fast_paths.binance(p, binance_force(FORCE), TS) is not None
    assert fast_paths.binance(p, binance_marks([MARK, mutate(MARK, "s", "BTCUSDT")]), TS) is not None
    assert fast_paths.bybit(BybitParser(), bybit_liqs([BYBIT_ROW, BYBIT_ROW]), TS) is not None
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
    frame = bybit_liqs([dict(BYBIT_ROW, s="BTCUSD", v="1000")], "BTCUSD")
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
        assert fast_paths.binance(BinanceParser(), raw, TS) is None
        assert fast_paths.bybit(BybitParser(), raw, TS) is None


# Raw JSON values orjson (the general path) and msgspec (the typed fast path) could read differently:
# numbers that overflow a float, integers past 64 bits (orjson: a float, or refused), nesting past
# orjson's 1024 levels, non-JSON literals; spliced into the usual frames as extra or duplicate keys.
RAW_VALUES = (
    "1e400",
    "-1e400",
    "1" + "0" * 400,
    "18446744073709551616",
    "9223372036854775808",
    "-9223372036854775809",
    "4611686018427387904",
    "1767225600123",
    "0",
    "-0",
    "1.0",
    "[" * 1100 + "]" * 1100,
    "[[1]]",
    '"x"',
    '"60000.5"',
    '"\\ud800"',
    '"\\u0000"',
    "NaN",
    "null",
    "true",
    '{"a": 1e400}',
)
SPLICE_KEYS = (
    "zz",
    "ps",
    "st",
    "T",
    "E",
    "s",
    "S",
    "ap",
    "z",
    "p",
    "v",
    "ts",
    "type",
    "topic",
    "stream",
    "e",
    "i",
    "r",
)


def splice(raw: str, anchor: str, key: str, value: str) -> str:
    """`raw` with ``"key": value`` added right after `anchor` (an opening brace of an object)."""
    at = raw.index(anchor) + len(anchor)
    return f'{raw[:at]}"{key}":{value},{raw[at:]}'


def spliced_frames():
    """Every usual frame with every key of `SPLICE_KEYS` added (or duplicated, before or after the
    usual value) at every object level, with every value of `RAW_VALUES`."""
    shapes = (
        [("binance", binance_force(FORCE), anchor) for anchor in ("{", '"data":{', '"o":{')]
        + [("binance", binance_marks([MARK]), '"data":[{')]
        + [("bybit", bybit_liqs([BYBIT_ROW]), anchor) for anchor in ("{", '"data":[{')]
    )
    for venue, raw, anchor in shapes:
        closing = raw.index("}", raw.index(anchor) + len(anchor))
        if anchor == "{":  # the top level closes last
            closing = len(raw) - 1
        for key in SPLICE_KEYS:
            for value in RAW_VALUES:
                yield venue, splice(raw, anchor, key, value)
                # after the other keys: a duplicate then overrides the usual value (the last one wins)
                yield venue, f'{raw[:closing]},"{key}":{value}{raw[closing:]}'


def test_frames_with_values_the_two_decoders_could_read_differently_give_the_same_outcome():
    taken = 0
    for venue, raw in spliced_frames():
        make = BinanceParser if venue == "binance" else BybitParser
        taken += same_either_way(make, venue, raw, (lambda p: p._marks) if venue == "binance" else (lambda p: None))
    assert taken > 0  # some (e.g. a plausible duplicate) still take the fast path


def test_the_keys_of_2026_captures_keep_the_fast_path_and_unknown_keys_leave_it():
    captured = (ROOT / "tests/fixtures/venues/binance_force_order_combined.json").read_text().strip()
    assert '"ps"' in captured and '"st"' in captured
    assert same_either_way(BinanceParser, "binance", captured)
    assert not same_either_way(BinanceParser, "binance", splice(captured, '"o":{', "new", '"key"'))
    bybit = (ROOT / "tests/fixtures/venues/bybit_all_liquidation.json").read_text().strip()
    assert same_either_way(BybitParser, "bybit", bybit)


def test_bytes_and_oversized_frames_take_the_general_path():
    raw = binance_force(FORCE)
    assert fast_paths.binance(BinanceParser(), raw.encode(), TS) is None
    assert not same_either_way(BinanceParser, "binance", raw.encode())  # type: ignore[arg-type]
    big = splice(raw, "{", "pad", '"' + "x" * 1_000_001 + '"')
    assert fast_paths.binance(BinanceParser(), big, TS) is None
    assert outcome(BinanceParser(), big)[0] == "error"
