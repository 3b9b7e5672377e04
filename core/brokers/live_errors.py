"""What went wrong with a venue request, classified by what is safe to do next.

The split that matters for money: REJECTED means the venue definitely did not act, so the order
can be refused (or fixed and resent); UNKNOWN means it may have acted (timeout, dropped
connection, 5xx/503), so the only safe next step is to ask the venue by client order id.
"""

from __future__ import annotations

REJECTED = "rejected"  # definite: the venue refused and did nothing
CLOCK = "clock"  # timestamp outside recvWindow: resync the clock, then a resend is safe
RATE_LIMITED = "rate_limited"  # not executed; wait `retry_after_s` before anything else
UNKNOWN = "unknown"  # may or may not have executed: query before any resend
NOT_FOUND = "not_found"  # a query found no such order (definite)
DUPLICATE = "duplicate"  # the client id is already taken: the earlier attempt did arrive
AUTH = "auth"  # bad key, signature or permission: retrying will not help
BLOCKED = "blocked"  # HTTP 403: geo-block or IP/permission refusal; not a rate limit, not retried


class VenueError(Exception):
    def __init__(
        self,
        kind: str,
        message: str,
        code: int | None = None,
        http_status: int | None = None,
        retry_after_s: float = 0.0,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.http_status = http_status
        self.retry_after_s = retry_after_s

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        code = f" [{self.code}]" if self.code is not None else ""
        return f"{self.kind}{code}: {self.message}"


class NotReady(Exception):
    """A market could not be prepared for trading (filters, leverage or margin mode)."""
