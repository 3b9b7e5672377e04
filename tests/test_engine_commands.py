"""Every command gets a typed result: callers match on its code, people read its message."""

from __future__ import annotations

import pytest

from core.engine_commands import (
    MODES,
    Arm,
    CommandResult,
    Confirm,
    Disarm,
    Flatten,
    FlattenAll,
    Kill,
    Mode,
    Reject,
    ResultCode,
)
from core.engine_events import CommandApplied, SignalRaised
from tests.builders import BTC, T0, feed, make_engine, scripted_cascade


def test_arm_and_disarm_report_ok_with_their_code_and_change_the_mode():
    eng, _ = make_engine("watch")
    armed = eng.submit(Arm("semi"))
    assert armed == CommandResult(True, ResultCode.ARMED, "armed SEMI-AUTO") and eng.mode is Mode.SEMI
    disarmed = eng.submit(Disarm())
    assert (disarmed.ok, disarmed.code) == (True, ResultCode.DISARMED) and eng.mode is Mode.WATCH


def test_arming_an_unknown_mode_is_refused_with_its_code():
    eng, _ = make_engine("watch")
    result = eng.submit(Arm("turbo"))  # type: ignore[arg-type]
    assert (result.ok, result.code) == (False, ResultCode.UNKNOWN_MODE) and eng.mode == Mode.WATCH


def test_confirm_and_reject_of_an_unknown_signal_say_so_by_code():
    eng, _ = make_engine("semi")
    assert eng.submit(Confirm("nope")).code == ResultCode.NO_SUCH_SIGNAL
    assert eng.submit(Reject("nope")).code == ResultCode.NO_SUCH_SIGNAL


def test_confirm_outside_semi_auto_is_refused_as_wrong_mode():
    eng, clock = make_engine("watch")
    seen: list = []
    eng.subscribe(seen.append)
    evs, _, _ = scripted_cascade(T0)
    feed(eng, clock, evs)
    sig = next(e.signal for e in seen if isinstance(e, SignalRaised))
    result = eng.submit(Confirm(sig.id))
    assert (result.ok, result.code) == (False, ResultCode.WRONG_MODE)


def test_flatten_and_kill_report_closing_and_killed():
    eng, _ = make_engine("auto")
    assert eng.submit(Flatten(BTC)).code == ResultCode.CLOSING
    assert eng.submit(FlattenAll()).code == ResultCode.CLOSING
    killed = eng.submit(Kill())
    assert killed.ok and killed.code == ResultCode.KILLED and killed.message.startswith("KILLED")


def test_every_command_is_emitted_with_its_result_for_the_journal():
    eng, _ = make_engine("watch")
    seen: list = []
    eng.subscribe(seen.append)
    result = eng.submit(Arm("auto"))
    applied = [e for e in seen if isinstance(e, CommandApplied)]
    assert len(applied) == 1 and applied[0].command == Arm("auto") and applied[0].result is result


def test_modes_are_defined_once_and_an_unknown_start_mode_is_an_error():
    assert MODES == ("watch", "semi", "auto") == tuple(Mode)
    with pytest.raises(ValueError, match="mode must be one of watch, semi, auto"):
        make_engine("turbo")
