"""The simulator is a pure function of (scenario, seed, markets, start): no wall clock, no hidden state."""

from core.events import event_to_dict
from core.sim.market_sim import Simulator

SECONDS = 600.0


def stream(seed: int = 7, chunk: float = 60.0, scenario: str = "normal", markets: int = 6) -> list[dict]:
    sim = Simulator(scenario, seed=seed, markets=markets)
    return [event_to_dict(ev) for ev in sim.run(SECONDS, chunk=chunk)]


def test_same_seed_gives_identical_event_stream():
    assert stream(seed=11) == stream(seed=11)


def test_different_seed_gives_different_event_stream():
    assert stream(seed=11) != stream(seed=12)


def test_stream_does_not_depend_on_how_time_is_chunked():
    reference = stream(chunk=60.0)
    assert stream(chunk=0.2) == reference
    assert stream(chunk=7.3) == reference
    assert stream(chunk=SECONDS) == reference


def test_advance_to_with_irregular_times_matches_run():
    sim = Simulator("volatile", seed=3, markets=4)
    got = []
    t = sim.now
    for dt in [0.05, 0.95, 2.5, 0.0, 13.37, 0.31, 120.0, 44.0, 0.5, 400.0]:
        t += dt
        got.extend(event_to_dict(e) for e in sim.advance_to(t))
    got.extend(event_to_dict(e) for e in sim.advance_to(sim.start_ts + SECONDS))
    assert got == [event_to_dict(e) for e in Simulator("volatile", seed=3, markets=4).run(SECONDS, chunk=SECONDS)]


def test_advance_to_an_earlier_time_returns_nothing_and_keeps_now():
    sim = Simulator("normal", seed=1, markets=2)
    sim.advance_to(sim.start_ts + 30)
    assert sim.advance_to(sim.start_ts + 10) == []
    assert sim.now == sim.start_ts + 30


def test_ground_truth_is_deterministic_too():
    a, b = Simulator("crash", seed=5, markets=4), Simulator("crash", seed=5, markets=4)
    list(a.run(400, chunk=1.0))
    list(b.run(400, chunk=400.0))
    assert [e.to_dict() for e in a.episodes] == [e.to_dict() for e in b.episodes]
    assert a.true_liquidation_levels("BTC-USDT-PERP") == b.true_liquidation_levels("BTC-USDT-PERP")
