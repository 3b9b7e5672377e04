"""The engine end to end on a scripted cascade: signal timing, entry, stops, exits, modes."""

from __future__ import annotations

import pytest

from core.engine_commands import Arm, Confirm, Disarm, FlattenAll, Kill, Reject, ResultCode
from core.engine_events import OrderSubmitted, PositionClosed, PositionOpened, SignalEnded, SignalRaised
from core.sizing import size_entry
from tests.builders import BTC, T0, feed, make_engine, mark, run_until, scripted_cascade


def _collect(eng):
    seen = []
    eng.subscribe(seen.append)
    return seen


def _fade(t_end: float, price: float, seconds: float = 120.0, step: float = 1.0):
    return [mark(t_end + i * step, price) for i in range(int(seconds / step))]


def test_signal_is_raised_between_5_and_15_s_after_first_large_liquidation():
    eng, clock = make_engine("auto")
    seen = _collect(eng)
    evs, first, _ = scripted_cascade(T0)
    feed(eng, clock, evs)
    raised = [e for e in seen if isinstance(e, SignalRaised)]
    assert len(raised) == 1
    sig = raised[0].signal
    assert 5.0 <= sig.raised_ts - first <= 15.0
    assert sig.order_side == "sell" and sig.liquidated == "long"
    assert sig.score.total >= 7.0


def test_auto_mode_enters_a_sell_with_the_documented_size_stop_and_take_profit():
    eng, clock = make_engine("auto")
    seen = _collect(eng)
    evs, first, _ = scripted_cascade(T0)
    feed(eng, clock, evs)
    sig = next(e.signal for e in seen if isinstance(e, SignalRaised))
    expected = size_entry(
        sig.score.total, sig.window_usd, sig.price, sig.stop_pct, eng.cfg.sizing, eng.instruments[BTC]
    )
    entries = [e.order for e in seen if isinstance(e, OrderSubmitted) and e.order.intent == "entry"]
    assert len(entries) == 1 and entries[0].side == "sell"
    assert entries[0].qty == expected.qty > 0
    # risk $100 × score/10 × min(window/$10M, 2) ÷ stop distance (capped at $20k), floored to the 0.001 lot
    raw_usd = min(100 * sig.score.total / 10 * min(sig.window_usd / 10_000_000, 2) / (sig.stop_pct / 100), 20_000)
    assert abs(entries[0].qty - int(raw_usd / sig.price / 0.001) * 0.001) < 1e-9
    assert sig.risk_usd == pytest.approx(entries[0].qty * sig.price * sig.stop_pct / 100)
    assert sig.reward_risk == pytest.approx(sig.take_profit_pct / sig.stop_pct)
    opened = [e.position for e in seen if isinstance(e, PositionOpened)]
    assert len(opened) == 1
    pos = opened[0]
    assert pos.side == "short"
    assert 0.8 <= pos.stop_pct <= 1.5
    assert abs(pos.stop_price - pos.entry_price * (1 + pos.stop_pct / 100)) < 1e-6
    assert abs(pos.take_profit_price - pos.entry_price * 0.98) < 1e-6
    # the fill came after the modelled latency, with slippage and a fee
    assert abs(pos.entry_ts - (sig.raised_ts + 0.150)) < 1e-6
    assert pos.entry_fee > 0


def test_position_exits_on_exhaustion_when_liquidations_dry_up():
    eng, clock = make_engine("auto")
    seen = _collect(eng)
    evs, first, price = scripted_cascade(T0, drop_per_s=0.0004)
    feed(eng, clock, evs + _fade(T0 + 20, price, 200))
    closed = [e.trade for e in seen if isinstance(e, PositionClosed)]
    assert len(closed) == 1
    assert closed[0].reason == "exhaustion"
    assert closed[0].fees > 0


def test_position_exits_on_take_profit_when_price_keeps_falling():
    eng, clock = make_engine("auto")
    seen = _collect(eng)
    evs, first, price = scripted_cascade(T0, seconds=40, drop_per_s=0.0015)
    feed(eng, clock, evs)
    closed = [e.trade for e in seen if isinstance(e, PositionClosed)]
    assert len(closed) == 1 and closed[0].reason == "take_profit"
    assert closed[0].pnl > 0


def test_stop_triggers_on_mark_when_the_cascade_snaps_back():
    eng, clock = make_engine("auto")
    seen = _collect(eng)
    evs, first, price = scripted_cascade(T0)
    bounce = [mark(T0 + 20 + i, price * (1 + 0.004 * i)) for i in range(10)]
    feed(eng, clock, evs + bounce)
    closed = [e.trade for e in seen if isinstance(e, PositionClosed)]
    assert closed and closed[0].reason == "stop"
    assert closed[0].pnl < 0


def test_max_hold_closes_a_position_that_goes_nowhere():
    eng, clock = make_engine("auto")
    seen = _collect(eng)
    evs, first, price = scripted_cascade(T0)
    # keep liquidations alive so exhaustion does not fire first, price flat
    from tests.builders import liq

    keep = [liq(T0 + 20 + i, 400_000.0, "long", price) for i in range(0, 700, 2)]
    flat = [mark(T0 + 20 + i, price) for i in range(0, 700, 1)]
    feed(eng, clock, evs + keep + flat)
    closed = [e.trade for e in seen if isinstance(e, PositionClosed)]
    assert closed and closed[0].reason == "max_hold"
    assert 599 <= closed[0].hold_s <= 602


def test_semi_mode_enters_nothing_until_confirmed():
    eng, clock = make_engine("semi")
    seen = _collect(eng)
    evs, first, _ = scripted_cascade(T0)
    cut = [e for e in evs if e.ts_recv <= T0 + 12]
    feed(eng, clock, cut)
    sig = next(e.signal for e in seen if isinstance(e, SignalRaised))
    assert not [e for e in seen if isinstance(e, OrderSubmitted)]
    assert sig.id in eng.signals
    eng.submit(Confirm(sig.id))
    entries = [e for e in seen if isinstance(e, OrderSubmitted)]
    assert len(entries) == 1
    run_until(eng, clock, clock.now() + 1)
    assert BTC in eng.positions


def test_semi_mode_unconfirmed_signal_expires_after_its_ttl():
    eng, clock = make_engine("semi")
    seen = _collect(eng)
    evs, first, _ = scripted_cascade(T0)
    feed(eng, clock, evs)
    sig = next(e.signal for e in seen if isinstance(e, SignalRaised))
    run_until(eng, clock, sig.raised_ts + 16)
    ended = [e.signal for e in seen if isinstance(e, SignalEnded)]
    assert ended and ended[0].status == "expired"
    assert not eng.signals
    assert not [e for e in seen if isinstance(e, OrderSubmitted)]
    # confirming after expiry does nothing
    assert eng.submit(Confirm(sig.id)).code == ResultCode.NO_SUCH_SIGNAL


def test_rejected_signal_is_not_entered():
    eng, clock = make_engine("semi")
    seen = _collect(eng)
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 12])
    sig = next(e.signal for e in seen if isinstance(e, SignalRaised))
    eng.submit(Reject(sig.id))
    run_until(eng, clock, clock.now() + 2)
    assert sig.status == "rejected"
    assert not eng.positions and not eng.pending_entries


def test_watch_mode_shows_signals_but_never_trades():
    eng, clock = make_engine("watch")
    seen = _collect(eng)
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, evs)
    run_until(eng, clock, clock.now() + 30)
    assert [e for e in seen if isinstance(e, SignalRaised)]
    assert not [e for e in seen if isinstance(e, OrderSubmitted)]


def test_kill_flattens_and_disarms():
    eng, clock = make_engine("auto")
    seen = _collect(eng)
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 14])
    run_until(eng, clock, clock.now() + 1)
    assert BTC in eng.positions
    eng.submit(Kill())
    assert eng.mode == "watch" and eng.risk.killed
    run_until(eng, clock, clock.now() + 1)
    assert not eng.positions
    closed = [e.trade for e in seen if isinstance(e, PositionClosed)]
    assert closed[0].reason == "kill"


def test_flatten_all_closes_with_reason_flatten_and_stays_armed():
    eng, clock = make_engine("auto")
    seen = _collect(eng)
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, [e for e in evs if e.ts_recv <= T0 + 14])
    run_until(eng, clock, clock.now() + 1)
    eng.submit(FlattenAll())
    run_until(eng, clock, clock.now() + 1)
    assert not eng.positions and eng.mode == "auto"
    assert [e.trade.reason for e in seen if isinstance(e, PositionClosed)] == ["flatten"]


def test_arm_and_disarm_change_mode():
    eng, clock = make_engine("watch")
    eng.submit(Arm("semi"))
    assert eng.mode == "semi"
    eng.submit(Arm("auto"))
    assert eng.mode == "auto"
    eng.submit(Disarm())
    assert eng.mode == "watch"


def test_stale_feed_blocks_entries_with_the_reason():
    eng, clock = make_engine("auto")
    seen = _collect(eng)
    eng.set_feed_state("sim", "stale", "no message in 30 s")
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, evs)
    ended = [e.signal for e in seen if isinstance(e, SignalEnded)]
    assert ended and ended[0].status == "blocked" and "stale_feed" in ended[0].reason
    assert not eng.positions


def test_fill_prices_include_slippage_and_fees_are_charged():
    eng, clock = make_engine("auto")
    seen = _collect(eng)
    evs, _, price = scripted_cascade(T0)
    feed(eng, clock, evs + _fade(T0 + 20, price, 200))
    from core.engine_events import OrderFilled

    fills = [e.fill for e in seen if isinstance(e, OrderFilled)]
    assert len(fills) == 2
    assert all(f.fee > 0 and f.slippage_bps > 0 for f in fills)
    tr = eng.trades[0]
    assert abs(tr.pnl - (tr.gross_pnl - tr.fees)) < 1e-9
