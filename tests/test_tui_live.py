"""`liqhunt run` without a network: the console opens, shows each venue reconnecting with the
reason, keeps trying, and stays responsive."""

from __future__ import annotations

import socket

from core.clock import WallClock
from core.config import Config
from core.engine import Engine
from core.engine_commands import Arm
from core.live_source import LiveSource
from tests.runner_helpers import until
from tests.tui_helpers import screen_text
from tui.app import make_app


def dead_url(scheme: str) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"{scheme}://127.0.0.1:{s.getsockname()[1]}"


async def test_console_on_unreachable_venues_shows_reconnecting_with_the_reason(tmp_path):
    venues = ["binance", "okx"]
    clock = WallClock()
    cfg = Config()
    source = LiveSource(
        venues,
        clock,
        cfg,
        cache_dir=tmp_path,
        ws_base_urls={v: dead_url("ws") for v in venues},
        rest_base_urls={v: dead_url("http") for v in venues},
    )
    engine = Engine(cfg, clock, mode="watch")
    app = make_app(engine, source, clock, cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        # never reached: down, not stale
        await until(
            lambda: all(engine.feed_states.get(v) == "down" for v in venues),
            15,
            "both runners failing their first connects",
        )
        assert engine.stale_venues == set(venues)  # entries are blocked while feeds are down

        # the screen repaints at the refresh rate: wait for the frame that shows both
        def shown(text: str) -> bool:
            return "STALE" in text and ("connection refused" in text or "cannot reach" in text)

        await until(lambda: shown(screen_text(app)), 10, "STALE and the reason on screen")
        text = screen_text(app)
        assert "NO DATA" in text.splitlines()[0]  # venues that never connected are not "stale data"
        assert "never connected" in text and "retry" not in text.splitlines()[0]
        # still responsive: arming works, and the kill switch with every feed down
        engine.submit(Arm("semi"))
        await pilot.press("K")
        await pilot.pause()
        assert engine.mode == "watch" and engine.risk.killed
        assert app.is_running and not app.source_error


def test_run_with_a_testnet_broker_and_no_keys_is_a_clear_error(monkeypatch, capsys):
    from tui.cli import main

    for var in ("LIQHUNT_BINANCE_TESTNET_API_KEY", "LIQHUNT_BINANCE_TESTNET_API_SECRET"):
        monkeypatch.delenv(var, raising=False)
    assert main(["run", "--broker", "binance-testnet"]) == 2
    err = capsys.readouterr().err
    assert "no keys for binance-testnet" in err and "Traceback" not in err
