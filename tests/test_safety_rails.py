"""Safety rails, each proven by its behaviour (SAFETY.md points at these tests by name).

The rails that already had tests elsewhere are listed in SAFETY.md with those tests; these cover
what was missing: the CLI refusing mainnet without --live, a fat-fingered size stopped by the
notional cap, the kill switch with every feed down, the daily loss limit disarming and refusing
to re-arm, and no averaging into a losing position."""

from __future__ import annotations

import dataclasses

from core.config import Config, replace_section
from core.engine_commands import Arm, Kill, ResultCode
from core.engine_events import ModeChanged, OrderSubmitted, PositionClosed, RiskBlocked
from tests.builders import BTC, T0, feed, make_engine, mark, run_until, scripted_cascade


def _collect(eng):
    seen = []
    eng.subscribe(seen.append)
    return seen


def _in_position(config: Config | None = None):
    eng, clock = make_engine("auto", config)
    seen = _collect(eng)
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 14])
    run_until(eng, clock, clock.now() + 1)
    assert BTC in eng.positions
    return eng, clock, seen, evs


def test_run_refuses_a_mainnet_broker_without_live_before_any_connection(capsys, monkeypatch):
    from tui.cli import main

    def no_network(*a, **k):
        raise AssertionError("nothing may connect before the --live check")

    monkeypatch.setattr("core.live_source.LiveSource.__init__", no_network)
    for broker in ("binance", "bybit"):
        assert main(["run", "--broker", broker, "--venues", "binance"]) == 2
        assert "--live" in capsys.readouterr().err


def test_fat_fingered_size_is_refused_by_the_per_trade_notional_cap():
    # a typo of a few zeros too many, in the risk budget and the sizing cap alike
    cfg = replace_section(Config(), "sizing", risk_per_trade_usd=1e9, base_size_usd=1e12)
    eng, clock = make_engine("auto", cfg)
    seen = _collect(eng)
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, evs)
    blocks = [e for e in seen if isinstance(e, RiskBlocked)]
    assert blocks and blocks[0].rule == "max_notional_per_trade"
    assert not [e for e in seen if isinstance(e, OrderSubmitted)] and not eng.positions


def test_kill_switch_flattens_and_disarms_with_every_feed_down():
    eng, clock, seen, _ = _in_position()
    eng.set_feed_state("sim", "down", "connection refused")
    eng.set_feed_state("binance", "reconnecting", "no route to host")
    eng.submit(Kill())
    run_until(eng, clock, clock.now() + 1)
    assert eng.mode == "watch" and eng.risk.killed and not eng.positions
    assert [e.trade.reason for e in seen if isinstance(e, PositionClosed)] == ["kill"]


def test_daily_loss_limit_disarms_full_auto_and_refuses_to_rearm():
    cfg = replace_section(Config(), "risk", daily_loss_limit_usd=10.0)
    eng, clock, seen, _ = _in_position(cfg)
    pos = eng.positions[BTC]
    # the short goes against us, short of its stop: the unrealised loss alone breaches the limit
    feed(eng, clock, [mark(clock.now() + 0.5, pos.entry_price * (1 + pos.stop_pct / 200))])
    assert eng.mode == "watch"
    assert [e.reason for e in seen if isinstance(e, ModeChanged)][-1] == "daily loss limit reached"
    assert eng.submit(Arm("auto")).code == ResultCode.REFUSED_LOSS_LIMIT and eng.mode == "watch"
    assert eng.positions[BTC].stop_price == pos.stop_price  # the open position keeps its stop


def test_no_averaging_into_a_losing_position():
    eng, clock, seen, evs = _in_position(replace_section(Config(), "signal", rearm_after_s=0.0))
    pos = eng.positions[BTC]
    before = dataclasses.replace(pos)
    # price runs against the short (not to the stop) while the cascade goes on: a second signal
    against = pos.entry_price * (1 + pos.stop_pct / 300)
    t = clock.now()
    later = [
        dataclasses.replace(e, price=against, ts_recv=t + 1 + e.ts_recv - T0, ts_event=t + 1 + e.ts_event - T0)
        for e in evs
        if e.kind == "liquidation" and T0 <= e.ts_recv <= T0 + 14
    ]
    later += [mark(t + 1 + i * 0.5, against) for i in range(30)]
    feed(eng, clock, [mark(t + 0.5, against)] + later)
    assert eng.unrealised() < 0
    assert "no_averaging" in [e.rule for e in seen if isinstance(e, RiskBlocked)]
    entries = [e for e in seen if isinstance(e, OrderSubmitted) and e.order.intent == "entry"]
    assert len(entries) == 1 and eng.positions[BTC].qty == before.qty
