"""Recordings back into normalised events, through the same parsers as live.

A recorded line is a sim event (venue "sim"), a raw venue frame, a recorded REST answer, or
an instrument list (``{"instruments": [...]}``) written at the start of a live recording so
that contract sizes are known on replay exactly as they were live.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from core.event_checks import event_problem
from core.events import Event, EventError, event_from_dict
from core.feeds.base import ParseError
from core.instruments import Instrument
from core.recording import BACKSTEP_TOLERANCE_S, BadLine, RecordedLine, read_recording
from core.validation import EventValidator

BAD_KEPT = 100  # reasons kept for the report; the count goes on


@dataclass
class DecodeStats:
    lines: int = 0
    events: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # the first BAD_KEPT (line number, reason)
    bad_count: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    broken: list[tuple[int, str]] = field(default_factory=list)  # where a file could not be read further
    caveats: list[str] = field(default_factory=list)  # what an input format cannot show, once each

    def caveat(self, text: str) -> None:
        if text not in self.caveats:
            self.caveats.append(text)

    def add_bad(self, lineno: int, reason: str, where: str = "", final: bool = False) -> None:
        self.bad_count += 1
        text = f"{where}: {reason}" if where else reason
        if len(self.bad) < BAD_KEPT:
            self.bad.append((lineno, text))
        if final:
            self.broken.append((lineno, text))

    def bad_summary(self, first: int = 20) -> list[str]:
        """`line N: reason` for the first bad lines, how many more there were, and always where a file broke."""
        shown = self.bad[:first]
        out = [f"line {n}: {reason}" for n, reason in shown]
        if self.bad_count > len(out):
            out.append(f"... and {self.bad_count - len(out):,} more bad lines")
        out += [f"line {n}: {reason}" for n, reason in self.broken if (n, reason) not in shown]
        return out

    def merge(self, other: DecodeStats) -> None:
        self.lines += other.lines
        self.events += other.events
        for n, reason in other.bad:
            if len(self.bad) < BAD_KEPT:
                self.bad.append((n, reason))
        self.bad_count += other.bad_count
        self.broken += other.broken
        for c in other.caveats:
            self.caveat(c)
        for k, v in other.by_kind.items():
            self.by_kind[k] = self.by_kind.get(k, 0) + v


def instruments_from_record(msg: dict) -> list[Instrument]:
    out = []
    for d in msg.get("instruments") or ():
        if isinstance(d, dict):
            try:
                out.append(Instrument(**d))
            except TypeError:
                continue
    return out


class RecordingDecoder:
    """Stateful like the live path: one parser per venue, kept across lines."""

    def __init__(self, instruments: list[Instrument] | None = None, validator: EventValidator | None = None) -> None:
        self.instruments: list[Instrument] = list(instruments or [])
        self.validator = validator if validator is not None else EventValidator()
        self._parsers: dict[str, object] = {}

    def _parser(self, venue: str):
        p = self._parsers.get(venue)
        if p is None:
            from core.feeds.registry import make_parser

            p = self._parsers[venue] = make_parser(venue, self.instruments)
        return p

    def decode(self, line: RecordedLine) -> list[Event]:
        """Events for one line; raises ParseError or EventError for a bad one."""
        msg = line.msg
        if isinstance(msg, dict) and "instruments" in msg:
            self.instruments.extend(instruments_from_record(msg))
            self._parsers.pop(line.venue, None)  # rebuild with the new contract sizes
            return []
        if line.venue == "sim":
            if not isinstance(msg, dict):
                raise EventError("sim line without an event object")
            return [event_from_dict(msg)]
        from core.feeds.registry import parse_recorded

        try:
            return parse_recorded(self._parser(line.venue), msg, line.ts)
        except ValueError as exc:  # unknown venue
            if isinstance(exc, ParseError):
                raise
            raise ParseError("unknown_venue", str(exc)) from None


def _receive_time_problem(ev: Event, line_ts: float) -> str | None:
    """An event's receive time is its line's: a different one would move the clock on its own."""
    if abs(ev.ts_recv - line_ts) > BACKSTEP_TOLERANCE_S:
        return f"{ev.kind}: ts_recv {ev.ts_recv!r} is not the line's receive time {line_ts!r}"
    return None


def _usable(events: list[Event], item: RecordedLine, stats: DecodeStats, where: str) -> list[Event]:
    """The line's events whose values can be used. One bad value costs its event, not the frame's other
    events (a Binance mark frame carries hundreds of symbols); the line is counted bad once, with the
    first reason."""
    good: list[Event] = []
    first: str | None = None
    for ev in events:
        problem = event_problem(ev) or _receive_time_problem(ev, item.ts)
        if problem is None:
            good.append(ev)
        elif first is None:
            first = problem
    if first is not None:
        dropped = len(events) - len(good)
        stats.add_bad(
            item.lineno, first + (f" (and {dropped - 1} more events of this line)" if dropped > 1 else ""), where
        )
    return good


def _plausible(
    events: list[Event], item: RecordedLine, validator: EventValidator, stats: DecodeStats, where: str
) -> list[Event]:
    """The line's events that pass the engine's validation boundary (core.validation: plausible
    prices against the market's last good one, timestamps against receipt and the previous line);
    one implausible value costs its event, and the line is counted bad once, with the first reason."""
    good: list[Event] = []
    first = None
    for ev in events:
        rej = validator.check(ev, item.ts)
        if rej is None:
            good.append(ev)
        elif first is None:
            first = rej
    if first is not None:
        dropped = len(events) - len(good)
        stats.add_bad(
            item.lineno,
            f"rejected {first}" + (f" (and {dropped - 1} more events of this line)" if dropped > 1 else ""),
            where,
        )
    return good


def iter_recording(
    path: str | Path,
    stats: DecodeStats | None = None,
    decoder: RecordingDecoder | None = None,
    where: str = "",
    validator: EventValidator | None = None,
) -> Generator[tuple[float, list[Event]], None, None]:
    """(receive ts, events) per good line, in file order; bad lines go to `stats` with their number.
    `where` prefixes each reason (the file's name, when several are read together). `validator`
    (default: the decoder's) judges times against this file's previous line, so when several files
    are merged each needs its own: one file read ahead must not make another's lines look late."""
    stats = stats if stats is not None else DecodeStats()
    dec = decoder if decoder is not None else RecordingDecoder()
    check = validator if validator is not None else dec.validator
    for item in read_recording(path):
        stats.lines += 1
        if isinstance(item, BadLine):
            stats.add_bad(item.lineno, item.reason, where, item.final)
            continue
        try:
            events = dec.decode(item)
        except (ParseError, EventError) as exc:
            stats.add_bad(item.lineno, str(exc), where)
            continue
        except Exception as exc:  # a parser bug must not lose the rest of the file
            stats.add_bad(item.lineno, f"parser error: {type(exc).__name__}: {exc}", where)
            continue
        if events:
            events = _usable(events, item, stats, where)
        if events:
            events = _plausible(events, item, check, stats, where)
        for ev in events:
            stats.events += 1
            stats.by_kind[ev.kind] = stats.by_kind.get(ev.kind, 0) + 1
        yield item.ts, events
