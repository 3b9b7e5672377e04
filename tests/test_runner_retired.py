"""BitMEX closed on 2026-09-23: it is out of the live path (defaults, `run`, `record`, LiveFeeds)
while its parser still replays old recordings."""

from __future__ import annotations

import pytest

from core.clock import WallClock
from core.feeds.live import LiveFeeds
from core.feeds.registry import DEFAULT_VENUES, LIVE_VENUES, VENUES, make_parser
from tui.cli import main


def test_bitmex_is_no_default_and_no_live_venue_but_still_parses():
    assert "bitmex" not in DEFAULT_VENUES and "bitmex" not in LIVE_VENUES and "bitmex" in VENUES
    insert = (
        '{"table":"liquidation","action":"insert","data":[{"orderID":"98ae1dad-6a3b-51c4-14bd-e076919e9e30",'
        '"symbol":"XBTUSD","side":"Buy","price":13854.5,"leavesQty":314930}]}'
    )
    [ev] = make_parser("bitmex").parse(insert, 1.0)
    assert ev.side == "short" and ev.usd == 314930


@pytest.mark.parametrize("command", ["run", "record"])
def test_run_and_record_with_bitmex_say_it_closed_and_exit_2(command, capsys, tmp_path):
    argv = [command, "--venues", "binance,bitmex"] + (
        ["--out", str(tmp_path / "r.jsonl")] if command == "record" else []
    )
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "BitMEX closed on 2026-09-23" in err and "Traceback" not in err


def test_live_feeds_refuse_a_retired_venue():
    with pytest.raises(ValueError, match="closed on 2026-09-23"):
        LiveFeeds(["bitmex"], WallClock(), lambda evs: None)
