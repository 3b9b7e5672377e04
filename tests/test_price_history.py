"""The market view's price history lives in core: one sample a second, the last 15 minutes, built
into the snapshot only for the market being looked at, and on screen with what came before the
console opened."""

from __future__ import annotations

from core.clock import SimClock
from core.config import Config
from core.engine import Engine
from core.events import MarkPrice, Trade
from core.price_history import PRICE_HISTORY_S, PriceHistory
from core.snapshot import SnapshotBuilder
from tests.snapshot_apps.console_app import build_app
from tests.tui_helpers import screen_text
from tui.widgets.info_view import InfoView

T0 = 1_767_225_600.0


def test_one_sample_a_second_for_the_last_fifteen_minutes():
    h = PriceHistory()
    for i in range(20 * 60 * 4):  # 20 minutes at 4 prices a second
        h.add(T0 + i * 0.25, 100.0 + i)
    now = T0 + 20 * 60 - 0.25
    got = h.samples(now)
    assert len(h) == PRICE_HISTORY_S and len(got) == PRICE_HISTORY_S
    assert [int(ts) for ts, _ in got] == list(range(int(now) - PRICE_HISTORY_S + 1, int(now) + 1))  # one per second
    assert got[0][1] == 100.0 + (got[0][0] - T0) * 4  # the first price of its second
    # the live price ends the series at `now`
    assert h.samples(now, last=1.5)[-1] == (now, 1.5)
    # older than the span is left out even when fewer samples were kept (a gap in the data)
    h.add(now + 3600, 7.0)
    assert h.samples(now + 3600) == ((now + 3600, 7.0),)


def _trade(market: str, ts: float, price: float) -> Trade:
    return Trade("binance", market, market.split("-")[0] + "USDT", price, 0.1, "buy", ts, ts)


def test_engine_keeps_it_and_the_snapshot_builds_it_only_when_asked():
    clock = SimClock(T0)
    engine = Engine(Config(), clock)
    for i in range(600):
        for market, base in (("BTC-USDT-PERP", 60_000.0), ("ETH-USDT-PERP", 3_000.0)):
            clock.set(T0 + i)
            engine.process(_trade(market, T0 + i, base + i))
    # a mark on a market with trades does not enter its chart (the trades are its price)
    engine.process(MarkPrice("binance", "BTC-USDT-PERP", "BTCUSDT", 1.0, None, None, T0 + 599.5, T0 + 599.5))  # type: ignore[arg-type]
    builder = SnapshotBuilder(engine)
    assert builder.build("BTC-USDT-PERP").selected_prices == ()  # not asked: nothing built
    snap = builder.build("BTC-USDT-PERP", price_history=True)
    assert len(snap.selected_prices) == 600
    assert snap.selected_prices[0] == (T0, 60_000.0) and snap.selected_prices[-1][1] == 60_599.0
    assert all(p >= 60_000 for _, p in snap.selected_prices)  # BTC's, not ETH's


async def test_market_view_chart_covers_the_minutes_before_the_console_opened():
    app = build_app("watching")  # the engine ran 231 s of market before the app existed
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(InfoView).kind == "market"
        text = screen_text(app)
    line = next(t for t in text.splitlines() if "price, last" in t)
    assert "price, last 3:" in line  # 3:50 of engine history, not the second since the screen opened
    samples = int(line.split("(")[1].split()[0])
    assert samples > 100  # the trades of those minutes, one a second at most
    assert sum(1 for t in text.splitlines() if any(c in t for c in "▁▂▃▄▅▆▇█")) >= 5  # a chart, rows of blocks
