"""Held-out checks: real frames as venues sent them (peer projects' captures, tardis-node's test
corpus) and documented shapes normalise with the right side and size for every live venue.

Each case names its source in tests/fixtures/venues/captured_frames.json. Sides are the liquidated
POSITION (long/short); sizes are base units (USD for Deribit's inverse perpetual)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.events import Liquidation
from core.feeds.registry import DEFAULT_VENUES, make_parser
from core.instruments import Instrument

CASES = json.loads((Path(__file__).parent / "fixtures" / "venues" / "captured_frames.json").read_text())


def test_every_default_venue_has_a_held_out_case():
    assert set(DEFAULT_VENUES) <= {c["venue"] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[f"{c['venue']}-{i}" for i, c in enumerate(CASES)])
def test_captured_frame_normalises_with_the_right_side_and_size(case):
    venue = case["venue"]
    instruments = [Instrument(venue, sym, market, contract_value=ct) for sym, market, ct in case.get("instruments", [])]
    events = [
        e for e in make_parser(venue, instruments).parse(case["frame"], 1_800_000_000.0) if isinstance(e, Liquidation)
    ]  # Deribit also reports the trade itself
    assert len(events) == len(case["expect"]), case["source"]
    for ev, want in zip(events, case["expect"], strict=True):
        assert ev.side == want["side"], case["source"]
        if "qty" in want:
            assert ev.qty == pytest.approx(want["qty"], rel=1e-9), case["source"]
        if "usd" in want:
            assert ev.usd == pytest.approx(want["usd"], rel=1e-9), case["source"]
        if "price" in want:
            assert ev.price == pytest.approx(want["price"], rel=1e-12), case["source"]
        assert ev.usd == pytest.approx(ev.qty * ev.price, rel=1e-9)
