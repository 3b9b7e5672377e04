"""EngineSnapshot: everything the console shows, as plain frozen data, built at the refresh rate.

The console reads only this (and sends typed commands back through `engine.submit`). The
builder does the reading: market rows (scores only for the rows on screen), positions with
their nearest exit, pending signals with the dollar figures a confirm needs, risk counters,
feed health per venue, the heat levels of the selected market, the tape rows new since the
last build, and what happened in between (signals ended, alerts).
"""

from __future__ import annotations

import itertools
from collections import deque

from core.alerts import Alert, AlertWatch
from core.events import Liquidation, Side
from core.heat_levels import LevelsProvider, RealisedLevels
from core.signals import IDLE, SIGNAL, TRACKING, WATCHING, Signal
from core.snapshot_rows import (
    SIGNAL_LOG_ROWS,
    EngineSnapshot,
    FeedView,
    MarketView,
    Notice,
    PositionView,
    RiskView,
    SignalLogRow,
    SignalView,
    SourceView,
)


# -- rules the console used to decide ----------------------------------------------------------
def needs_confirm(mode: str, sig: Signal) -> bool:
    """Semi-auto asks for every pending signal that sizing did not already rule out."""
    return mode == "semi" and sig.status == "pending" and sig.qty > 0


def signal_risk(notional: float, stop_pct: float, take_profit_pct: float) -> tuple[float, float, float]:
    """(dollar risk at the stop, dollar reward at the target, reward:risk); fees not included."""
    risk = notional * stop_pct / 100
    reward = notional * take_profit_pct / 100
    return risk, reward, (reward / risk if risk > 0 else 0.0)


def size_reason(sig: Signal, sizing) -> str:
    """How the size came out: the risk budget (scaled by score and volume) over the stop distance."""
    conf = max(0.0, min(sig.score.total, 10.0)) / 10
    extras = sig.extras or {}
    vol = extras.get("volume_factor")
    if vol is None:
        vol = min(sig.window_usd / sizing.volume_ref_usd, sizing.volume_factor_cap) if sizing.volume_ref_usd else 0.0
    per_trade = getattr(sizing, "risk_per_trade_usd", None)
    if per_trade is None:  # sizing by notional (before risk budgets)
        return f"${sizing.base_size_usd:,.0f} × score {conf:.2f} × volume {vol:.2f}"
    budget = extras.get("risk_budget_usd", per_trade * conf * vol)
    capped = f" → notional cap ${sizing.base_size_usd:,.0f}" if extras.get("size_capped_by") else ""
    vcap = " (max)" if vol >= sizing.volume_factor_cap else ""
    return f"${per_trade:,.0f} × score {conf:.2f} × vol {vol:.2f}{vcap} = ${budget:,.0f} risk ÷ {sig.stop_pct:.2f}% stop{capped}"


# -- the builder -----------------------------------------------------------------------------------
class SnapshotBuilder:
    """Reads the engine (and the event source's health) into an `EngineSnapshot`.

    Subscribes to the engine once, only to remember what happened between two builds
    (signals ending, notices); that callback appends to bounded deques and nothing else.
    """

    def __init__(
        self, engine, source=None, levels: LevelsProvider | None = None, alerts: AlertWatch | None = None
    ) -> None:
        self.engine = engine
        self.alert_watch = alerts
        self._alerts: deque[Alert] = deque(maxlen=100)
        if alerts is not None:
            alerts.sinks.append(self._alerts.append)
        self.source = source
        self.levels = levels or RealisedLevels()
        self._observe_tape = isinstance(self.levels, RealisedLevels)
        self._tape_seen = engine.liquidations_seen - len(engine.tape)  # open on what the engine holds
        self._log: deque[SignalLogRow] = deque(maxlen=SIGNAL_LOG_ROWS)
        self._notices: deque[Notice] = deque(maxlen=200)
        self.source_error = ""
        self._unsubscribe = engine.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def note(self, text: str, level: str = "info") -> None:
        """A notice from outside the engine (source failed, journal failing)."""
        self._notices.append(Notice(self._now(), text, level))

    def _now(self) -> float:
        n = self.engine.now
        return n if n != float("-inf") else self.engine.clock.now()

    def _on_event(self, ev: object) -> None:
        from core.engine_events import (
            FeedStateChanged,
            ModeChanged,
            PositionClosed,
            RiskBlocked,
            SignalEnded,
            SignalRaised,
        )

        if isinstance(ev, SignalRaised):
            s = ev.signal
            self._log.append(SignalLogRow(ev.ts, s.market, s.playbook, s.order_side, s.score.total, "raised", ""))
        elif isinstance(ev, SignalEnded):
            s = ev.signal
            self._log.append(SignalLogRow(ev.ts, s.market, s.playbook, s.order_side, s.score.total, s.status, s.reason))
            if s.status == "entered":
                self._notices.append(
                    Notice(
                        ev.ts,
                        f"entry {s.order_side.upper()} {s.qty:.4g} {s.market} ≈${s.notional:,.0f}"
                        f" @ {s.price:g}, score {s.score.total:.1f}",
                        "warn",
                    )
                )
            elif s.status in ("expired", "blocked"):
                self._notices.append(Notice(ev.ts, f"{s.market} signal {s.status}: {s.reason}", "info"))
        elif isinstance(ev, ModeChanged) and ev.reason != "user":
            self._notices.append(Notice(ev.ts, f"mode {ev.new}: {ev.reason}", "warn"))
        elif isinstance(ev, RiskBlocked) and (self.engine.mode != "watch" or ev.rule == "kill_switch"):
            self._notices.append(Notice(ev.ts, f"{ev.market} blocked ({ev.rule}): {ev.message}", "warn"))
        elif isinstance(ev, PositionClosed):
            t = ev.trade
            self._notices.append(Notice(ev.ts, f"closed {t.market} {t.side} ({t.reason}): {t.pnl:+,.2f}", "info"))
        elif isinstance(ev, FeedStateChanged) and ev.state in ("down", "stale", "reconnecting"):
            self._notices.append(
                Notice(ev.ts, f"feed {ev.venue} {ev.state}" + (f": {ev.reason}" if ev.reason else ""), "warn")
            )

    def build(
        self,
        selected: str = "",
        rows: tuple[int, int] = (0, 40),
        heat_buckets: int = 30,
        heat_span_pct: float = 3.0,
        price_history: bool = False,
    ) -> EngineSnapshot:
        """`rows` = (first, count) of the windows list on screen: only those rows get a score.
        `price_history`: the selected market's recent prices (for the market view's chart), only when asked."""
        eng = self.engine
        now = self._now()
        tape, skipped = self._new_tape()
        if self._observe_tape:
            self.levels.observe(tape)  # type: ignore[attr-defined]
        markets = self._markets(now, rows, selected)
        if not selected and markets:
            selected = markets[0].market
        price = eng.mark_of(selected) if selected else None
        heat = self.levels.levels(selected, price, heat_buckets, heat_span_pct) if price else None
        st = eng.markets.get(selected) if price_history and selected else None
        prices = st.prices.samples(now, st.price) if st is not None else ()
        risk = self._risk(now)
        if self.alert_watch is not None:
            self.alert_watch.check_loss(now, eng.risk.day, risk.daily_loss, risk.daily_loss_limit)
        notices, self._notices = tuple(self._notices), deque(maxlen=200)
        alerts = tuple(self._alerts)
        self._alerts.clear()
        return EngineSnapshot(
            now=now,
            mode=eng.mode,
            markets=markets,
            markets_total=len(markets),
            positions=self._positions(now),
            pending_entries=tuple(eng.pending_entries),
            signals=self._signals(now, risk),
            risk=risk,
            feeds=self._feeds(now),
            stale_venues=tuple(sorted(eng.stale_venues)),
            source=self._source(),
            tape=tape,
            tape_skipped=skipped,
            liquidations_seen=eng.liquidations_seen,
            events_seen=sum(eng.counts.values()),
            closed_trades=len(eng.trades),
            realised_pnl=eng.realised_pnl,
            fees_paid=eng.fees_paid,
            selected=selected,
            selected_price=price,
            selected_prices=prices,
            heat=heat,
            signal_log=tuple(self._log),
            notices=notices,
            alerts=alerts,
            trades=tuple(eng.trades),
        )

    def _new_tape(self) -> tuple[tuple[Liquidation, ...], int]:
        eng = self.engine
        seen = eng.liquidations_seen
        new, self._tape_seen = seen - self._tape_seen, seen
        take = min(new, len(eng.tape))
        fresh = tuple(itertools.islice(reversed(eng.tape), take))[::-1]
        return fresh, new - take

    def _markets(self, now: float, rows: tuple[int, int], selected: str = "") -> tuple[MarketView, ...]:
        """Active markets, signals and positions first, then by liquidated USD in the window.
        Every active market gets a row (the list's order, its length, the selection); only the rows
        on screen and the selected market get the costly parts (score, filters, the last watch)."""
        eng = self.engine
        light = []
        positions, pending, detectors = eng.positions, eng.pending_entries, eng.detectors
        for market, st in eng.markets.items():
            st.expire(now)
            lw, sw = st.long.window, st.short.window
            dets = detectors[market]
            held = market in positions or market in pending
            if lw.count == 0 and sw.count == 0 and not held and all(d.state == IDLE for d in dets):
                continue
            det = next((d for d in dets if d.state == SIGNAL), None) or next(
                (d for d in dets if d.state != IDLE), dets[0]
            )
            if held:
                state = "in position"
            elif det.state == SIGNAL and det.signal is not None:
                state = "SIGNAL"
            else:
                state = "watching" if det.state in (WATCHING, TRACKING) else det.state
            light.append((state not in ("SIGNAL", "in position"), -(lw.total + sw.total), market, st, det, state))
        light.sort(key=lambda r: r[:3])
        first, count = rows
        out = []
        for i, (_, _, market, st, det, state) in enumerate(light):
            lw, sw = st.long.window, st.short.window
            dominant: Side = "long" if lw.total >= sw.total else "short"
            if det.state in (WATCHING, TRACKING, SIGNAL) and det.side:
                dominant = det.side
            left = det.signal.seconds_left(now) if state == "SIGNAL" and det.signal is not None else None
            shown = first <= i < first + count
            full = shown or market == selected
            out.append(
                MarketView(
                    market,
                    lw.total,
                    sw.total,
                    lw.count,
                    sw.count,
                    lw.events_per_s(now) + sw.events_per_s(now),
                    eng.score_for(market, dominant, now) if shown else None,
                    dominant,
                    state,
                    left,
                    st.price,
                    st.funding_rate,
                    det.playbook if det.state != IDLE else "",
                    tuple(getattr(det, "last_filters", ())) if full else (),
                    getattr(det, "last_outcome", "") if full else "",
                )
            )
        return tuple(out)

    def _positions(self, now: float) -> tuple[PositionView, ...]:
        eng = self.engine
        out = []
        for p in eng.positions.values():
            mark = eng.mark_of(p.market)
            pnl = p.unrealised(mark) if mark is not None else 0.0
            rule, how = eng.position_exit_hint(p)
            risk = p.notional * p.stop_pct / 100
            out.append(
                PositionView(
                    p.market,
                    p.side,
                    p.qty,
                    p.entry_price,
                    mark,
                    p.stop_price,
                    p.take_profit_price,
                    p.stop_pct,
                    pnl,
                    max(0.0, now - p.entry_ts),
                    max(0.0, p.max_hold_until - p.entry_ts),
                    rule,
                    how,
                    p.exit_pending,
                    pnl / risk if risk > 0 else 0.0,
                    p.playbook,
                )
            )
        return tuple(out)

    def _signals(self, now: float, risk: RiskView) -> tuple[SignalView, ...]:
        eng = self.engine
        out = []
        for s in sorted(eng.signals.values(), key=lambda s: s.raised_ts):
            r_usd, w_usd, rr = signal_risk(s.notional, s.stop_pct, s.take_profit_pct)
            extras = s.extras or {}
            why = extras.get("why") or "ride the cascade · " + " ".join(f"{f.name}✓" for f in s.filters if f.passed)
            out.append(
                SignalView(
                    s.id,
                    s.market,
                    s.playbook,
                    s.order_side,
                    s.liquidated,
                    s.score,
                    s.first_ts,
                    s.raised_ts,
                    s.expires_ts,
                    s.seconds_left(now),
                    s.price,
                    s.qty,
                    s.notional,
                    s.stop_price,
                    s.stop_pct,
                    s.take_profit_price,
                    s.take_profit_pct,
                    s.window_usd,
                    s.window_events,
                    s.filters,
                    str(why),
                    str(extras.get("size_skip") or ""),
                    r_usd,
                    w_usd,
                    rr,
                    size_reason(s, eng.cfg.sizing),
                    needs_confirm(eng.mode, s),
                )
            )
        return tuple(out)

    def _risk(self, now: float) -> RiskView:
        eng = self.engine
        r = eng.risk
        c = r.counters(now)
        unreal = eng.unrealised()
        open_notional = sum(p.notional for p in eng.positions.values())
        return RiskView(
            killed=c["killed"],
            open_positions=len(eng.positions),
            pending_entries=len(eng.pending_entries),
            max_open=r.cfg.max_open_positions,
            realised_today=c["realised_today"],
            unrealised=unreal,
            daily_loss=r.daily_loss(unreal),
            daily_loss_limit=r.cfg.daily_loss_limit_usd,
            trades_today=tuple(sorted(c["trades_today"].items(), key=lambda kv: -kv[1])),
            max_trades_per_market=r.cfg.max_trades_per_market_per_day,
            blocks=tuple(sorted(c["blocks"].items(), key=lambda kv: -kv[1])),
            last_block=c["last_block"],
            open_notional=open_notional,
            max_notional_per_trade=r.cfg.max_notional_per_trade_usd,
            max_total_notional=r.cfg.max_total_notional_usd,
        )

    def _feeds(self, now: float) -> tuple[FeedView, ...]:
        """Live sources publish per-venue `health` (core.feeds.health.FeedHealth); the simulator and
        replay are one local 'feed'; the engine's own feed_states fill any gaps."""
        eng, source = self.engine, self.source
        lines: dict[str, FeedView] = {}
        health = getattr(source, "health", None)
        if isinstance(health, dict):
            for venue, h in health.items():
                last = getattr(h, "last_frame_ts", None)
                retry_at = getattr(h, "next_retry_ts", None)
                retry = getattr(h, "next_retry_s", None)
                if retry is None and retry_at is not None:
                    retry = max(0.0, retry_at - now)
                dropped = dict(getattr(h, "dropped", {}) or {})
                for why, n in (getattr(h, "rows_dropped", {}) or {}).items():  # rows cut from frames that parsed
                    dropped[f"{why} rows"] = n
                for why, n in (getattr(h, "rejected", {}) or {}).items():  # events refused by core.validation
                    dropped[f"rejected {why}"] = n
                lines[venue] = FeedView(
                    venue,
                    eng.feed_states.get(venue, getattr(h, "state", "?")),
                    getattr(h, "msgs_per_s", None),
                    getattr(h, "lag_ms", None),
                    getattr(h, "reconnects", 0),
                    getattr(h, "reason", "") or "",
                    (now - last) if last is not None else None,
                    tuple(sorted(dropped.items())),
                    retry,
                    getattr(h, "received", 0),
                    getattr(h, "last_error", "") or "",
                    getattr(h, "ever_connected", None),
                    getattr(h, "coverage", "") or "",
                )
        for venue, state in eng.feed_states.items():
            lines.setdefault(venue, FeedView(venue, state, received=1))
        if not lines and source is not None:
            src = self._source()
            name = "sim" if src.kind == "sim" else "replay"
            state = (
                "failed"
                if self.source_error
                else "finished"
                if src.finished
                else "simulated"
                if name == "sim"
                else "replay"
            )
            validator = getattr(source, "validator", None)  # the simulator's events pass the same boundary
            rejected = (
                tuple(sorted((f"rejected {k}", v) for k, v in validator.by_reason().items())) if validator else ()
            )
            lines[name] = FeedView(
                name, state, None, 0.0, reason=self.source_error, received=eng.liquidations_seen, dropped=rejected
            )
        return tuple(lines.values())

    def _source(self) -> SourceView:
        s = self.source
        if s is None:
            return SourceView()
        label = getattr(s, "label", "") or ""
        kind = "replay" if label.startswith("REPLAY") else "live" if label.startswith("LIVE") else "sim"
        progress = getattr(s, "progress", None)
        total, stats = getattr(s, "total_lines", None), getattr(s, "stats", None)
        if progress is None and total and stats is not None:  # a replay whose length was counted
            progress = min(1.0, getattr(stats, "lines", 0) / total)
        finished = bool(getattr(s, "finished", False))
        if finished and kind == "replay":
            progress = 1.0
        return SourceView(
            label,
            kind,
            bool(getattr(s, "paused", False)),
            getattr(s, "speed", None),
            finished,
            float(progress) if isinstance(progress, (int, float)) else None,
            bool(getattr(s, "seeking", False)),
        )
