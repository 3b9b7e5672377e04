"""Recordings back into normalised events, through the same parsers as live.

A recorded line is a sim event (venue "sim"), a raw venue frame, a recorded REST answer, or
an instrument list (``{"instruments": [...]}``) written at the start of a live recording so
that contract sizes are known on replay exactly as they were live.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from core.events import Event, EventError, event_from_dict
from core.feeds.base import ParseError
from core.instruments import Instrument
from core.validation import EventValidator
from core.recording import BadLine, RecordedLine, read_recording


@dataclass
class DecodeStats:
    lines: int = 0
    events: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    by_kind: dict[str, int] = field(default_factory=dict)


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


def iter_recording(
    path: str | Path, stats: DecodeStats | None = None, decoder: RecordingDecoder | None = None
) -> Iterator[tuple[float, list[Event]]]:
    """(receive ts, events) per good line, in file order; bad lines go to `stats.bad`."""
    stats = stats if stats is not None else DecodeStats()
    dec = decoder if decoder is not None else RecordingDecoder()
    for item in read_recording(path):
        stats.lines += 1
        if isinstance(item, BadLine):
            stats.bad.append((item.lineno, item.reason))
            continue
        try:
            events = dec.decode(item)
        except (ParseError, EventError) as exc:
            stats.bad.append((item.lineno, str(exc)))
            continue
        except Exception as exc:  # a parser bug must not lose the rest of the file
            stats.bad.append((item.lineno, f"parser error: {type(exc).__name__}: {exc}"))
            continue
        if events:
            good = []
            for ev in events:
                rej = dec.validator.check(ev, item.ts)
                if rej is None:
                    good.append(ev)
                else:  # one bad value: counted with its line, the line's other events kept
                    stats.bad.append((item.lineno, f"rejected {rej}"))
            events = good
        for ev in events:
            stats.events += 1
            stats.by_kind[ev.kind] = stats.by_kind.get(ev.kind, 0) + 1
        yield item.ts, events
