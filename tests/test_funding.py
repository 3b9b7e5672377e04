"""Perpetual funding: charged (or paid) at each funding time a position is open across, at the
venue's interval, at the rate and mark known before that time; inside every P&L and shown apart."""

from __future__ import annotations

import dataclasses

import pytest

from core.config import Config, replace_section
from core.engine_events import FundingCharged, PositionClosed, PositionOpened
from core.events import MarkPrice
from core.journal import Journal
from core.journal import report as journal_report
from tests.builders import BTC, T0, feed, make_engine, run_until, scripted_cascade


def fmark(ts: float, price: float, rate: float, next_ts: float, interval_h: float = 8.0) -> MarkPrice:
    return MarkPrice("sim", BTC, "BTCUSDT", price, rate, next_ts, ts, ts, None, interval_h)


def _opened(seen):
    return [e.position for e in seen if isinstance(e, PositionOpened)]


def test_a_short_open_across_a_funding_time_receives_it_at_the_rate_and_mark_known_before():
    eng, clock = make_engine("auto")
    seen = []
    eng.subscribe(seen.append)
    j = Journal(":memory:", clock)
    j.open_session("auto", ["sim"], eng.cfg, "backtest")
    j.attach(eng)
    evs, _, price = scripted_cascade(T0)
    funding_ts = T0 + 60.0
    # after the cascade: marks every 2 s, rate +0.02 % per 8 h, the next funding at T0 + 60 s
    after = [
        fmark(T0 + 21 + 2 * i, price, 0.0002, funding_ts if T0 + 21 + 2 * i < funding_ts else funding_ts + 8 * 3600)
        for i in range(40)
    ]
    feed(eng, clock, evs + after)
    (pos,) = _opened(seen)
    assert pos.side == "short" and pos.entry_ts < funding_ts
    charges = [e for e in seen if isinstance(e, FundingCharged)]
    assert len(charges) == 1 and charges[0].ts == funding_ts
    # a positive rate: longs pay, shorts receive — qty × the last mark before 60 s × 0.0002
    expect = -pos.qty * price * 0.0002
    assert charges[0].amount == pytest.approx(expect) and charges[0].rate == 0.0002 and charges[0].mark == price
    eng.close_all("end_of_data")
    run_until(eng, clock, clock.now() + 1)
    (trade,) = [e.trade for e in seen if isinstance(e, PositionClosed)]
    assert trade.funding == pytest.approx(expect)
    assert trade.pnl == pytest.approx(trade.gross_pnl - trade.fees - trade.funding)
    assert eng.funding_paid == pytest.approx(expect) and eng.broker.funding_paid == pytest.approx(expect)
    # the journal keeps it: a funding column on the trade, one row per charge, and in the report
    rows = j.trades()
    assert rows[0]["funding"] == pytest.approx(expect)
    assert j.query("SELECT amount, rate, mark FROM funding") == [
        {"amount": pytest.approx(expect), "rate": 0.0002, "mark": price}
    ]
    assert journal_report(rows)["totals"]["funding"] == pytest.approx(round(expect, 2))
    # the planned dollar risk is journalled with the signal, as the confirm dialog shows it
    (sig,) = j.query("SELECT risk_usd, reward_risk, stop_pct, take_profit_pct, qty, price FROM signals")
    assert sig["risk_usd"] == pytest.approx(sig["qty"] * sig["price"] * sig["stop_pct"] / 100)
    assert sig["reward_risk"] == pytest.approx(sig["take_profit_pct"] / sig["stop_pct"])
    j.close()


def test_an_hourly_venue_charges_every_hour_crossed_and_a_position_closed_before_pays_nothing():
    cfg = replace_section(Config(), "exits", max_hold_s=3 * 3600.0, exhaustion_drop_pct=100.0, take_profit_pct=50.0)
    cfg = replace_section(cfg, "risk", daily_loss_limit_usd=1e9)
    eng, clock = make_engine("auto", cfg)
    seen = []
    eng.subscribe(seen.append)
    evs, _, price = scripted_cascade(T0)
    # a venue that says nothing about the next funding time (hourly): the UTC grid is used
    evs = [
        dataclasses.replace(e, next_funding_ts=None, funding_interval_h=1.0) if isinstance(e, MarkPrice) else e
        for e in evs
    ]
    hour = 3600.0
    first = (int((T0 + 21) // hour) + 1) * hour  # the venue's next top of the hour
    after = [fmark(T0 + 21 + 10 * i, price, -0.0001 * (1 + (T0 + 21 + 10 * i >= first)), None, 1.0) for i in range(800)]
    feed(eng, clock, evs + after)
    (pos,) = _opened(seen)
    charges = [e for e in seen if isinstance(e, FundingCharged)]
    crossed = [first + k * hour for k in range(3) if first + k * hour <= T0 + 21 + 10 * 799]
    assert [c.ts for c in charges] == crossed
    # the first hour at −0.01 % (shorts pay a negative rate), later hours at −0.02 %
    assert charges[0].amount == pytest.approx(pos.qty * price * 0.0001)
    assert all(c.amount == pytest.approx(pos.qty * price * 0.0002) for c in charges[1:])
    assert pos.funding == pytest.approx(sum(c.amount for c in charges))

    eng2, clock2 = make_engine("auto")
    seen2 = []
    eng2.subscribe(seen2.append)
    feed(eng2, clock2, evs + [fmark(T0 + 21 + 2 * i, price, 0.003, T0 + 8 * 3600) for i in range(30)])
    eng2.close_all("flatten")
    run_until(eng2, clock2, clock2.now() + 1)
    (trade,) = [e.trade for e in seen2 if isinstance(e, PositionClosed)]
    assert trade.funding == 0.0 and not [e for e in seen2 if isinstance(e, FundingCharged)]
