"""Gate USDT futures parser: public liquidation orders (signed contracts → base/USD), tickers
(mark, funding, OI), the contracts list (multiplier, funding interval). Fixtures are the
documented example messages (gate.com futures WS docs, changelog 2026-08-20)."""

from pathlib import Path

import orjson
import pytest

from core.events import Liquidation, MarkPrice, OpenInterest
from core.feeds import gate
from core.feeds.base import ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "venues"
TS = 1_800_000_000.0


def frame(name: str) -> str:
    return (FIXTURES / f"{name}.json").read_text().strip()


INSTRUMENTS = gate.parse_instruments(frame("gate_contracts"))


def parse(name: str, parser=None):
    return (parser or gate.GateParser(INSTRUMENTS)).parse(frame(name), TS)


def test_contracts_give_multipliers_and_skip_delisting():
    by = {i.symbol: i for i in INSTRUMENTS}
    assert set(by) == {"BTC_USDT", "ETH_USDT"}
    assert by["BTC_USDT"].market == "BTC-USDT-PERP" and by["BTC_USDT"].contract_value == 0.0001
    assert by["ETH_USDT"].contract_value == 0.01 and by["ETH_USDT"].tick_size == 0.01


def test_negative_size_is_a_sell_order_closing_a_long_sized_by_the_multiplier():
    a, b = parse("gate_public_liquidates")  # the 2026-08-20 aggregated push: two orders of one contract
    assert isinstance(a, Liquidation) and a.side == "long" and b.side == "long"
    assert a.qty == pytest.approx(124.5 * 0.0001) and a.usd == pytest.approx(124.5 * 0.0001 * 215.1)
    assert (
        a.price == 215.1 and a.ts_event == pytest.approx(1541486601.123) and b.ts_event == pytest.approx(1541486601.456)
    )
    assert a.ts_recv == TS and a.symbol == "BTC_USDT" and a.market == "BTC-USDT-PERP"


def test_integer_sizes_without_the_decimal_header_parse_the_same_way():
    a, b = parse("gate_public_liquidates_int_size")
    assert (a.side, a.qty, b.qty) == ("long", pytest.approx(0.0124), pytest.approx(0.001))


def test_positive_size_is_a_short_liquidated():
    [liq] = parse("gate_public_liquidates_short")
    assert liq.side == "short" and liq.qty == pytest.approx(0.37) and liq.usd == pytest.approx(0.37 * 3010.5)


def test_pre_change_pushes_stamped_in_seconds_are_read_as_seconds():
    [liq] = parse("gate_public_liquidates_legacy")
    assert liq.ts_event == 1541486601.0


def test_unknown_contract_is_never_sized_by_a_guess():
    raw = frame("gate_public_liquidates").replace("BTC_USDT", "NEW_USDT")
    with pytest.raises(ParseError) as exc:
        gate.GateParser(INSTRUMENTS).parse(raw, TS)
    assert exc.value.reason == "unknown_instrument"


def test_tickers_give_mark_funding_and_open_interest_with_the_venue_interval():
    p = gate.GateParser(INSTRUMENTS)
    mark, oi = p.parse(frame("gate_tickers"), TS)
    assert isinstance(mark, MarkPrice) and mark.mark == 118.35 and mark.funding_rate == -0.000114
    assert mark.funding_interval_h == 8.0 and mark.index == 118.36
    assert (
        isinstance(oi, OpenInterest)
        and oi.oi_qty == pytest.approx(7.3648)
        and oi.oi_usd == pytest.approx(7.3648 * 118.35)
    )
    # the hourly contracts poll carries funding_interval (seconds): ETH pays every 4 h
    assert p.parse_rest("/api/v4/futures/usdt/contracts", {}, orjson.loads(frame("gate_contracts")), TS) == []
    eth = frame("gate_tickers").replace("BTC_USDT", "ETH_USDT")
    [eth_mark, _] = p.parse(eth, TS)
    assert eth_mark.funding_interval_h == 4.0


@pytest.mark.parametrize("name", ["gate_subscribe_ack", "gate_pong"])
def test_control_frames_give_nothing(name):
    assert parse(name) == []


def test_error_frames_are_counted_venue_errors():
    with pytest.raises(ParseError) as exc:
        parse("gate_error")
    assert exc.value.reason == "venue_error" and "unknown contract" in str(exc.value)


def test_connections_subscribe_all_liquidations_once_stamp_time_and_ping():
    many = [gate.Instrument("gate", f"C{i}_USDT", f"C{i}-USDT-PERP") for i in range(450)]
    conns = gate.connections(many)
    liq = conns[0]
    assert liq.name == "liquidations" and liq.url == "wss://fx-ws.gateio.ws/v4/ws/usdt"
    assert orjson.loads(liq.subscribe[0]) | {"time": 1} == {
        "time": 1,
        "channel": "futures.public_liquidates",
        "event": "subscribe",
        "payload": ["!all"],
    }
    assert all(c.fresh_time for c in conns) and orjson.loads(liq.ping_frame)["channel"] == "futures.ping"
    tickers = [p for c in conns[1:] for f in c.subscribe for p in orjson.loads(f)["payload"]]
    assert sorted(tickers) == sorted(i.symbol for i in many) and len(conns) == 1 + 3
    [poll] = gate.polls(many)
    assert poll.url.endswith("/futures/usdt/contracts") and poll.interval >= 3600
