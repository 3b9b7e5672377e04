"""The venue registry: parsers, recorded-message replay, coverage notes."""

import subprocess
import sys

import pytest

from core.events import VENUES as EVENT_VENUES
from core.feeds.base import ParseError
from core.feeds.registry import LIQUIDATION_COVERAGE, VENUES, make_parser, parse_recorded, venue_module
from core.instruments import Instrument


def test_every_registered_venue_is_a_known_event_venue():
    assert set(VENUES) <= set(EVENT_VENUES)


@pytest.mark.parametrize("venue", VENUES)
def test_every_venue_has_a_parser_named_for_it_and_a_coverage_note(venue):
    assert make_parser(venue).venue == venue
    assert LIQUIDATION_COVERAGE[venue]


@pytest.mark.parametrize("venue", VENUES)
def test_every_venue_module_offers_connections_polls_instruments_and_auto_reply(venue):
    api = venue_module(venue)
    assert api.INSTRUMENTS_URL.startswith("https://")
    assert isinstance(api.polls([]), list)
    assert isinstance(api.connections([]), list)
    assert api.auto_reply("{}") is None
    assert callable(api.parse_instruments)


def test_unknown_venue_is_refused():
    with pytest.raises(ValueError):
        make_parser("mtgox")


def test_make_parser_ignores_instruments_of_other_venues():
    okx_inst = Instrument(venue="okx", symbol="BTC-USDT-SWAP", market="BTC-USDT-PERP", contract_value=0.01)
    other = Instrument(venue="bybit", symbol="BTC-USDT-SWAP", market="X-PERP", contract_value=99)
    frame = (
        '{"arg":{"channel":"liquidation-orders","instType":"SWAP"},"data":[{"instId":"BTC-USDT-SWAP",'
        '"instType":"SWAP","details":[{"bkPx":"100","side":"sell","posSide":"net","sz":"1","ts":"1"}]}]}'
    )
    [liq] = make_parser("okx", [other, okx_inst]).parse(frame, 1.0)
    assert liq.qty == pytest.approx(0.01)


def test_recorded_websocket_frame_is_parsed_as_received():
    assert parse_recorded(make_parser("bybit"), '{"success":true,"ret_msg":"pong","op":"ping"}', 1.0) == []


def test_recorded_rest_answer_for_a_venue_without_polls_is_refused():
    with pytest.raises(ParseError) as err:
        parse_recorded(make_parser("okx"), {"rest": "/x", "params": {}, "body": {}}, 1.0)
    assert err.value.reason == "unknown_rest"


@pytest.mark.parametrize("msg", [None, 42, ["a"], {"kind": "liquidation"}, {"rest": 5, "body": {}}])
def test_recorded_message_of_another_shape_is_refused(msg):
    with pytest.raises(ParseError) as err:
        parse_recorded(make_parser("binance"), msg, 1.0)
    assert err.value.reason == "bad_record"


@pytest.mark.parametrize("venue", VENUES)
def test_oversized_frame_is_refused_before_decoding(venue):
    raw = '{"pad":"' + "x" * 1_100_000 + '"}'
    with pytest.raises(ParseError) as err:
        make_parser(venue).parse(raw, 1.0)
    assert err.value.reason == "oversized"


def test_parsers_import_no_network_or_screen_library():
    code = (
        "import sys, core.feeds.registry; "
        "print([m for m in sys.modules if m.split('.')[0] in ('websockets', 'httpx', 'textual', 'rich', 'tui')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
