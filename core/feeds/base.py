"""What every venue parser is: a Sans-I/O object from a received frame to normalised events.

The socket loop only feeds it text; it never touches the network. A frame that is not
data (subscribe ack, pong, heartbeat) gives an empty list; a malformed frame raises
`ParseError` with a short machine-readable reason, which the runner counts and skips.
"""

from __future__ import annotations

from typing import Protocol

from core.events import Event


class ParseError(ValueError):
    """A frame that could not be turned into events. `reason` is short and stable (for counters)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class VenueParser(Protocol):
    venue: str

    def parse(self, raw: str | bytes, ts_recv: float) -> list[Event]: ...


# --- how a venue is reached: pure data the connection runner acts on --------------------------

from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402


@dataclass(frozen=True)
class VenueConnection:
    """One websocket connection the runner keeps open for a venue."""

    venue: str
    name: str  # e.g. "liquidations", "tickers-1"; unique per venue
    url: str
    subscribe: tuple[str, ...] = ()  # text frames sent after every (re)connect
    ping_frame: str | None = None  # application-level ping text, sent every ping_interval s
    ping_interval: float = 20.0
    stale_after: float = 60.0  # no frame for this long -> stale
    max_lifetime: float | None = None  # reconnect on our terms before the venue's forced cut (Binance: 24 h)
    fresh_time: bool = False  # JSON frames carry a top-level "time" (unix s) set when sent (Gate)
    headers: tuple[tuple[str, str], ...] = ()  # extra handshake headers (Gate: X-Gate-Size-Decimal)
    gzip: bool = False  # binary frames are gzip-compressed text (HTX); inflated before recording and parsing


@dataclass(frozen=True)
class RestPoll:
    """A REST request the runner repeats (e.g. Binance open interest, which has no stream)."""

    venue: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    interval: float = 60.0
    weight: int = 1  # the venue's request weight, for the runner's rate budget
    first_within: float | None = None  # first request within this many s (default: within one interval)
