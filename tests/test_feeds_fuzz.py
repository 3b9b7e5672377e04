"""Property tests: any input gives valid events or a ParseError — never another exception.

Each venue parser is fed arbitrary text, arbitrary JSON (NaN/Infinity literals, huge numbers,
deep nesting, wrong types) and documented frames with random leaves swapped for junk, several
frames in a row so the stateful parsers (ticker merges, seen-order memory) are exercised too.
"""

import json
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.events import Liquidation, MarkPrice, OpenInterest, Trade
from core.feeds import binance, bitmex, bybit, deribit, hyperliquid, okx
from core.feeds.base import ParseError
from core.feeds.registry import VENUES, make_parser, parse_recorded, venue_module

FIXTURES = Path(__file__).parent / "fixtures" / "venues"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INSTRUMENTS = (
    okx.parse_instruments((FIXTURES / "okx_instruments.json").read_text())
    + bitmex.parse_instruments((FIXTURES / "bitmex_instrument_active.json").read_text())
    + deribit.parse_instruments((FIXTURES / "deribit_get_instruments.json").read_text())
)
FRAMES = {v: [json.loads(p.read_text()) for p in sorted(FIXTURES.glob(f"{v}_*.json"))] for v in VENUES}
INSTRUMENT_PARSERS = [
    binance.parse_instruments,
    bybit.parse_instruments,
    okx.parse_instruments,
    bitmex.parse_instruments,
    deribit.parse_instruments,
    hyperliquid.parse_instruments,
]

numeric_strings = st.sampled_from(
    [
        "0",
        "-0",
        "-1",
        "1e400",
        "-1e400",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "1e-320",
        "1_000",
        " 5 ",
        "0x10",
        "",
        "9" * 60,
        "1e308",
        "3.5",
        "Buy",
        "Sell",
        "buy",
        "sell",
        "T",
        "M",
        "MT",
        "insert",
    ]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    numeric_strings,
)
json_values = st.recursive(
    scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)),
    max_leaves=20,
)


def dumps(value) -> str:
    # stdlib json writes NaN/Infinity literals and >64-bit integers, which real garbage may contain
    return json.dumps(value, allow_nan=True)


def leaf_paths(value, path=()):
    if isinstance(value, dict):
        yield path
        for k, v in value.items():
            yield from leaf_paths(v, path + (k,))
    elif isinstance(value, list):
        yield path
        for i, v in enumerate(value):
            yield from leaf_paths(v, path + (i,))
    else:
        yield path


def replaced(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    return [replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]


@st.composite
def mutated_frames(draw, venue):
    frame = draw(st.sampled_from(FRAMES[venue]))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = list(leaf_paths(frame))
        frame = replaced(frame, draw(st.sampled_from(paths)), draw(json_values))
    return dumps(frame)


def any_frame(venue):
    return st.one_of(
        st.text(max_size=200),
        st.binary(max_size=200).map(bytes),
        json_values.map(dumps),
        mutated_frames(venue),
        st.integers(min_value=1, max_value=2000).map(lambda n: "[" * n + "]" * n),
    )


def assert_valid(event):
    assert all(isinstance(getattr(event, k), str) for k in ("venue", "market", "symbol"))
    for key, value in vars_of(event).items():
        if isinstance(value, float) or key.startswith("ts"):
            assert type(value) is float and math.isfinite(value), key
    if isinstance(event, Liquidation):
        assert event.side in ("long", "short")
        assert event.price > 0 and event.qty > 0 and event.usd > 0
        assert math.isfinite(event.price * event.qty)
    elif isinstance(event, Trade):
        assert event.aggressor in ("buy", "sell")
        assert event.price > 0 and event.qty > 0 and math.isfinite(event.qty)
    elif isinstance(event, MarkPrice):
        assert event.mark > 0
        assert event.funding_rate is None or math.isfinite(event.funding_rate)
        assert event.next_funding_ts is None or math.isfinite(event.next_funding_ts)
        assert math.isfinite(event.funding_interval_h) and event.funding_interval_h > 0
    elif isinstance(event, OpenInterest):
        assert event.oi_usd >= 0 and (event.oi_qty is None or math.isfinite(event.oi_qty))
    else:
        raise AssertionError(f"unexpected event {event!r}")


def vars_of(event) -> dict:
    return {k: getattr(event, k) for k in event.__slots__}


def feed(venue, frames):
    parser = make_parser(venue, INSTRUMENTS)
    for raw in frames:
        try:
            events = parser.parse(raw, 1_800_000_000.0)
        except ParseError as exc:
            assert exc.reason and isinstance(exc.reason, str)
            continue
        assert isinstance(events, list)
        for event in events:
            assert event.venue == venue
            assert_valid(event)


def _property(venue):
    @FUZZ
    @given(st.lists(any_frame(venue), min_size=1, max_size=6))
    def prop(frames):
        feed(venue, frames)

    prop.__name__ = f"test_{venue}_parser_gives_valid_events_or_parse_error"
    return prop


test_binance_parser_gives_valid_events_or_parse_error = _property("binance")
test_bybit_parser_gives_valid_events_or_parse_error = _property("bybit")
test_okx_parser_gives_valid_events_or_parse_error = _property("okx")
test_bitmex_parser_gives_valid_events_or_parse_error = _property("bitmex")
test_deribit_parser_gives_valid_events_or_parse_error = _property("deribit")
test_hyperliquid_parser_gives_valid_events_or_parse_error = _property("hyperliquid")


@FUZZ
@given(
    st.sampled_from(VENUES),
    st.one_of(
        json_values, st.text(max_size=50), st.fixed_dictionaries({"rest": st.text(max_size=30), "body": json_values})
    ),
)
def test_recorded_messages_of_any_shape_give_events_or_parse_error(venue, msg):
    try:
        events = parse_recorded(make_parser(venue), msg, 1.0)
    except ParseError:
        return
    for event in events:
        assert_valid(event)


@FUZZ
@given(st.sampled_from(INSTRUMENT_PARSERS), st.one_of(json_values, json_values.map(dumps)))
def test_instrument_lists_of_any_shape_give_instruments_or_parse_error(parse_instruments, body):
    try:
        instruments = parse_instruments(body)
    except ParseError:
        return
    for inst in instruments:
        assert inst.contract_value > 0 and math.isfinite(inst.contract_value)
        assert inst.tick_size > 0 and inst.lot_size > 0


@FUZZ
@given(st.sampled_from(VENUES), st.one_of(st.text(max_size=100), st.binary(max_size=100), json_values.map(dumps)))
def test_auto_reply_never_raises(venue, raw):
    reply = venue_module(venue).auto_reply(raw)
    assert reply is None or isinstance(reply, str)
