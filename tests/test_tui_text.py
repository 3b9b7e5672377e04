"""How numbers, filters and levels read on the console."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.events import Liquidation
from core.heat_levels import RealisedLevels
from tui import numbers as fmt
from tui.widgets.tape import TapeFilter


def test_usd_is_compact_and_signed_without_relying_on_colour():
    assert fmt.usd(1_240_000) == "$1.24M"
    assert fmt.usd(412_300) == "$412k"
    assert fmt.usd(880) == "$880"
    assert fmt.usd(70, signed=True) == "+$70"
    assert fmt.usd(-70, signed=True) == "−$70"


def test_prices_and_times():
    assert fmt.price(61234.4) == "61,234"
    assert fmt.price(3012.44) == "3,012.4"
    assert fmt.price(0.4511) == "0.45110"
    assert fmt.hhmmss(1_767_225_600.0 + 3661) == "01:01:01"
    assert fmt.duration(134) == "2:14"


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_amount_fits_five_cells(v):
    assert len(fmt.amount(v)) <= 5


def test_tape_filter_parses_any_order():
    f = TapeFilter.parse("long 50k btc")
    assert (f.min_usd, f.market, f.side) == (50_000, "BTC", "long")
    assert TapeFilter.parse("1m").min_usd == 1_000_000
    assert TapeFilter.parse("short").side == "short"
    assert not TapeFilter.parse("").active


def _liq(market, side, usd, price=100.0):
    return Liquidation("binance", market, "X", side, price, usd / price, usd, 0.0, 0.0)


def test_tape_filter_keeps_matching_rows_only():
    f = TapeFilter.parse("10k BTC long")
    assert f.keep(_liq("BTC-USDT-PERP", "long", 20_000))
    assert not f.keep(_liq("BTC-USDT-PERP", "short", 20_000))
    assert not f.keep(_liq("ETH-USDT-PERP", "long", 20_000))
    assert not f.keep(_liq("BTC-USDT-PERP", "long", 9_000))


def test_realised_levels_bucket_by_distance_from_price():
    lv = RealisedLevels()
    lv.observe(
        [
            _liq("BTC-USDT-PERP", "long", 1_000, 101.0),
            _liq("BTC-USDT-PERP", "short", 500, 99.4),
            _liq("BTC-USDT-PERP", "long", 9_999, 150.0),
        ]
    )
    out = lv.levels("BTC-USDT-PERP", 100.0, buckets=10, span_pct=5.0)
    assert out.above[2] == 1_000  # +1 % lands in the third 0.5 % bucket
    assert out.below[1] == 500
    assert sum(out.above) + sum(out.below) == 1_500  # +50 % is out of range
