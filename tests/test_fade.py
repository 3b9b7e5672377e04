"""The fade playbook: enters only after exhaustion, with stop and target placed as specified."""

from __future__ import annotations

import pytest

from core.config import Config, replace_section
from core.engine_events import PositionClosed, PositionOpened, SignalRaised
from tests.builders import T0, feed, liq, make_engine, mark, scripted_cascade


def fade_engine(mode="auto"):
    cfg = replace_section(Config(), "playbook", default="fade")
    return make_engine(mode, cfg)


def cascade_then_bounce(drop_s=20.0):
    evs, first, low = scripted_cascade(T0, seconds=drop_s, drop_per_s=0.0012)
    bounce = [mark(T0 + drop_s + i, low * (1 + 0.0002 * i)) for i in range(0, 90)]
    return evs + bounce, low


def test_fade_never_signals_while_the_cascade_is_running():
    eng, clock = fade_engine()
    seen = []
    eng.subscribe(seen.append)
    evs, low = cascade_then_bounce()
    feed(eng, clock, [e for e in evs if e.ts_recv < T0 + 20])
    assert not [e for e in seen if isinstance(e, SignalRaised)]


def test_fade_enters_against_the_cascade_after_it_goes_quiet():
    eng, clock = fade_engine()
    seen = []
    eng.subscribe(seen.append)
    evs, low = cascade_then_bounce()
    feed(eng, clock, evs)
    sig = next(e.signal for e in seen if isinstance(e, SignalRaised))
    last_large = max(e.ts_recv for e in evs if getattr(e, "usd", 0) >= eng.cfg.signal.watch_min_usd)
    assert sig.playbook == "fade" and sig.order_side == "buy"
    assert sig.raised_ts >= last_large + eng.cfg.fade.quiet_s
    short_window = eng.markets["BTC-USDT-PERP"].long.short
    short_window.expire(clock.now())  # windows expire lazily; no periodic sweep moves them any more
    assert short_window.total == 0.0  # the 10 s rate had collapsed
    filters = {f.name: f.passed for f in sig.filters}
    assert all(filters.values()) and set(filters) >= {"exhausted", "move", "quiet", "young"}


def test_fade_stop_sits_beyond_the_extreme_and_target_at_the_retrace_share():
    eng, clock = fade_engine()
    seen = []
    eng.subscribe(seen.append)
    evs, low = cascade_then_bounce()
    feed(eng, clock, evs)
    sig = next(e.signal for e in seen if isinstance(e, SignalRaised))
    start, extreme = sig.extras["start_price"], sig.extras["extreme"]
    assert extreme == pytest.approx(low)
    assert sig.extras["stop_price"] <= extreme * (1 - eng.cfg.fade.stop_buffer_pct / 100) + 1e-9
    assert sig.extras["take_profit_price"] == pytest.approx(extreme + 0.5 * (start - extreme))
    pos = next(e.position for e in seen if isinstance(e, PositionOpened))
    assert pos.side == "long" and pos.playbook == "fade"
    assert pos.stop_price == pytest.approx(sig.extras["stop_price"])
    assert pos.take_profit_price == pytest.approx(sig.extras["take_profit_price"])


def test_fade_gives_up_when_liquidations_keep_coming():
    eng, clock = fade_engine()
    seen = []
    eng.subscribe(seen.append)
    evs, first, low = scripted_cascade(T0, seconds=20, drop_per_s=0.0012)
    # the cascade never stops: a large liquidation every 3 s for two minutes
    more = [liq(T0 + 20 + i, 300_000.0, "long", low * (1 - 0.0001 * i)) for i in range(0, 120, 3)]
    feed(eng, clock, evs + more + [mark(T0 + 20 + i, low * (1 - 0.0001 * i)) for i in range(120)])
    assert not [e for e in seen if isinstance(e, SignalRaised)]


def test_both_playbooks_keep_their_own_daily_caps():
    cfg = replace_section(Config(), "playbook", default="both")
    cfg = replace_section(cfg, "risk", max_trades_per_market_per_day=1)
    eng, clock = make_engine("auto", cfg)
    eng.risk.record_entry("BTC-USDT-PERP", T0)  # the ride cap is used up
    seen = []
    eng.subscribe(seen.append)
    evs, low = cascade_then_bounce()
    feed(eng, clock, evs)
    opened = [e.position.playbook for e in seen if isinstance(e, PositionOpened)]
    assert opened == ["fade"]


@pytest.mark.parametrize("drop_pct,seconds", [(6.0, 30.0), (10.0, 40.0)])
def test_a_clean_large_cascade_with_a_v_rebound_is_faded_and_wins(drop_pct, seconds):
    """The stop buffer's σ is frozen at the episode's first large liquidation: the cascade's own
    move must not widen the stop past max_stop_pct and skip the very episodes fade is for."""
    eng, clock = fade_engine()
    seen = []
    eng.subscribe(seen.append)
    start = 60_000.0
    drop_per_s = drop_pct / 100 / (seconds - 0.5)
    evs, first, low = scripted_cascade(T0, seconds=seconds, drop_per_s=drop_per_s)
    # a calm pre-cascade tape: ±0.01 % wiggles every 5 s, a 10-min σ of ~0.22 % (BTC on an ordinary day)
    evs = [e for e in evs if not (e.kind == "mark" and e.ts_recv < T0)]
    evs += [mark(T0 - 3600 + i, start * (1 + (0.0001 if (i // 5) % 2 else -0.0001))) for i in range(0, 3600, 5)]
    end = T0 + seconds
    # the V: quiet, then +0.1 % a second until three quarters of the move is back
    move = start - low
    bounce = [mark(end + i, min(low * (1 + 0.001 * i), low + 0.75 * move)) for i in range(0, 120)]
    feed(eng, clock, evs + bounce)
    sig = next(e.signal for e in seen if isinstance(e, SignalRaised))
    assert sig.order_side == "buy" and sig.extras["extreme"] == pytest.approx(low)
    assert sig.extras["stop_price"] < low  # the stop stays beyond the extreme
    assert sig.stop_pct <= eng.cfg.fade.max_stop_pct
    # σ measured now, with the cascade inside it, would have put the stop past max_stop_pct
    sigma_now = eng.markets["BTC-USDT-PERP"].vol.sigma_over(600.0)
    assert (sig.price - low * (1 - sigma_now)) / sig.price * 100 > eng.cfg.fade.max_stop_pct
    closed = [e.trade for e in seen if isinstance(e, PositionClosed)]
    assert len(closed) == 1 and closed[0].reason == "take_profit" and closed[0].pnl > 0
    assert sig.risk_usd > 0 and sig.reward_risk >= eng.cfg.fade.min_reward_risk
