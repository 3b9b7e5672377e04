"""Score and filter detail texts are formatted when read, not at every evaluation (issue 21),
and read exactly as the eager ones did: in the console, the journal, copies and pickles."""

from __future__ import annotations

import copy
import dataclasses
import pickle

from core.cascade_score import CascadeScore, ScoreComponent, ScoreInputs, cascade_score
from core.config import Config, ScoreConfig
from core.fuel_map import SupportCheck
from core.signals import FilterResult, SetupView, SignalDetector


def _score() -> CascadeScore:
    return cascade_score(ScoreInputs(3.0, 1e6, 0.1, 1e3, 5e6, 2e6, 0.0003, 1.2), ScoreConfig())


def test_component_details_read_as_before():
    details = {c.name: c.detail for c in _score().components}
    assert details == {
        "speed": "3.00 ev/s (30× base), $1,000,000/s (1000× base)",
        "size": "$5,000,000 in window",
        "proximity": "$2,000,000 within 2 %",
        "funding": "+0.0300 %/8h for the liquidated side",
        "oi": "OI +1.20 %",
    }


def test_filter_details_read_as_before():
    det = SignalDetector("BTC-USDT-PERP", Config().signal)
    blocked = SupportCheck(True, 59_000.0, 1.5, 12_000_000.0)
    view = SetupView(6_300_000.0, 10, _score(), 0.0003, blocked, 60_000.0)
    got = {f.name: (f.passed, f.detail) for f in det.check_filters(view)}
    assert got == {
        "window": (True, "$6,300,000 vs $5,000,000"),
        "events": (True, "10 vs 3"),
        "score": (True, "8.2 vs 7"),
        "funding": (True, "+0.0300 %/8h vs ≥ +0.0000"),
        "support": (False, "$12,000,000 cluster 1.5 % away"),
    }
    unknown = dataclasses.replace(view, support=SupportCheck(False))
    assert {f.name: (f.passed, f.detail) for f in det.check_filters(unknown)}["support"] == (True, "heatmap unknown")


def test_copies_and_pickles_are_the_plain_records_they_read_as():
    score = _score()
    for restored in (copy.deepcopy(score), pickle.loads(pickle.dumps(score))):
        assert restored == score and hash(restored) == hash(score)
        assert all(type(c) is ScoreComponent for c in restored.components)
    f = SignalDetector("BTC-USDT-PERP", Config().signal).check_filters(
        SetupView(1.0, 1, score, None, SupportCheck(False), None)
    )[0]
    plain = pickle.loads(pickle.dumps(f))
    assert type(plain) is FilterResult and plain == f == FilterResult("window", False, "$1 vs $5,000,000")
    # the journal stores components with dataclasses.asdict: the text is in it
    assert dataclasses.asdict(score.components[1])["detail"] == "$5,000,000 in window"
