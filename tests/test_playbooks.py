"""Playbooks are plugins: the registry names them, the engine drives any of them through the
Detector interface, and a new one needs its own module plus one registry line."""

from __future__ import annotations

import pytest

from core import playbook_names, playbooks
from core.config import Config, ConfigError, replace_section
from core.config_load import config_from_dict
from core.engine_events import PositionOpened, SignalRaised
from core.events import LONG, Liquidation
from core.playbook_names import playbooks_for
from core.setup_inputs import market_score
from core.signals import IDLE, SIGNAL, WATCHING, Detector, FilterResult, Signal
from tests.builders import BTC, T0, feed, liq, make_engine, mark


def test_every_registered_playbook_is_a_detector_named_as_registered():
    cfg = Config()
    for name in playbook_names.PLAYBOOK_NAMES:
        det = playbooks.detector_class(name).for_market(BTC, cfg)
        assert isinstance(det, Detector) and det.playbook == name and det.state == IDLE and not det.active


def test_both_means_every_playbook_and_the_config_accepts_only_registered_names():
    assert playbook_names.expand("both") == playbook_names.PLAYBOOK_NAMES == ("ride", "fade")
    assert playbooks_for(replace_section(Config(), "playbook", markets=[f"{BTC}=fade"]), BTC) == ("fade",)
    with pytest.raises(ConfigError, match="ride, fade, both"):
        config_from_dict({"playbook": {"markets": [f"{BTC}=scalp"]}})


class ToyDetector(Detector):
    """A playbook the engine has never heard of: any liquidation ≥ $50k is a signal to ride at once."""

    playbook = "toy"

    def __init__(self, market: str, cfg: Config) -> None:
        self.market, self.signal_cfg = market, cfg.signal
        self.state, self.side, self.signal, self.last_outcome = IDLE, None, None, ""
        self._rearm_at = float("-inf")
        self.first: Liquidation | None = None

    @classmethod
    def for_market(cls, market: str, cfg: Config) -> ToyDetector:
        return cls(market, cfg)

    def observe_market(self, ev, now, st) -> bool:
        if self.state != IDLE or now < self._rearm_at or ev.usd < 50_000:
            return False
        self.state, self.side, self.first = WATCHING, ev.side, ev
        return True

    def evaluate_market(self, now, st, cfg, fuel_map) -> Signal | None:
        if self.state != WATCHING or self.first is None or st.price is None:
            return None
        ev = self.first
        self.signal = Signal(
            id=f"{self.market}#toy@{now:.3f}",
            market=self.market,
            liquidated=ev.side,
            order_side="sell" if ev.side == LONG else "buy",
            score=market_score(st, ev.side, now, cfg, fuel_map),
            first_ts=ev.ts_recv,
            first_usd=ev.usd,
            raised_ts=now,
            expires_ts=now + 10.0,
            price=st.price,
            window_usd=ev.usd,
            window_events=1,
            filters=(FilterResult("toy", True, "any large liquidation"),),
            playbook=self.playbook,
            stop_pct=1.0,
            take_profit_pct=2.0,
        )
        self.state = SIGNAL
        return self.signal


def test_a_new_playbook_plugs_in_through_the_registry_alone(monkeypatch):
    monkeypatch.setitem(playbook_names.REGISTRY, "toy", f"{__name__}:ToyDetector")
    cfg = replace_section(Config(), "playbook", default="toy")  # built, not loaded: "toy" is not a shipped name
    eng, clock = make_engine("auto", config=cfg)
    seen: list = []
    eng.subscribe(seen.append)
    feed(eng, clock, [mark(T0, 60_000.0), liq(T0 + 1, 20_000_000.0), mark(T0 + 1.5, 59_990.0)])
    raised = [e.signal for e in seen if isinstance(e, SignalRaised)]
    assert [s.playbook for s in raised] == ["toy"]
    assert raised[0].qty > 0  # the engine planned and sized it like any other
    opened = [e.position for e in seen if isinstance(e, PositionOpened)]  # full-auto: entered after the fill latency
    assert [(p.playbook, p.side) for p in opened] == [("toy", "short")]
