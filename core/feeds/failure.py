"""Network failures as a short counter key and a sentence a trader can act on.

"cannot reach fstream.binance.com: DNS lookup failed (...)" says more than a traceback, and the
same wording serves websockets (runner) and REST (polls, instrument fetch).
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI


def host_of(url: str) -> str:
    return urlsplit(url).netloc or url


_SPECIFIC = (
    socket.gaierror,
    ConnectionRefusedError,
    TimeoutError,
    httpx.TimeoutException,
    InvalidStatus,
    InvalidHandshake,
    InvalidURI,
    ConnectionClosed,
)


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        out.append(cur)
        if isinstance(cur, BaseExceptionGroup) and cur.exceptions:
            cur = cur.exceptions[0]
        else:
            cur = cur.__cause__ or cur.__context__
    return out


def _root_cause(exc: BaseException) -> BaseException:
    """The error worth naming: httpx/httpcore/anyio wrap the socket error several layers deep
    ("All connection attempts failed" <- ConnectionRefusedError); websockets raises it directly."""
    chain = _chain(exc)
    for e in chain:
        if isinstance(e, _SPECIFIC):
            return e
    return next((e for e in chain if isinstance(e, OSError) and e.errno is not None), exc)


def describe_failure(exc: BaseException, url: str) -> tuple[str, str]:
    """A network failure as (counter key, human sentence naming the host), e.g. ("dns", "cannot reach ...")."""
    host = host_of(url)
    root = _root_cause(exc)
    if isinstance(root, socket.gaierror):
        return "dns", f"cannot reach {host}: DNS lookup failed ({root.strerror or root})"
    if isinstance(root, ConnectionRefusedError):
        return "refused", f"cannot reach {host}: connection refused"
    if isinstance(root, (TimeoutError, httpx.TimeoutException)):
        return "timeout", f"cannot reach {host}: timed out"
    if isinstance(root, InvalidStatus):
        return "handshake", f"{host} refused the websocket handshake (HTTP {root.response.status_code})"
    if isinstance(root, (InvalidHandshake, InvalidURI)):
        return "handshake", f"websocket handshake with {host} failed: {root}"
    if isinstance(root, ConnectionClosed):
        if root.rcvd is None:
            return "closed", f"{host} dropped the connection without a close frame"
        why = f": {root.rcvd.reason}" if root.rcvd.reason else ""
        return "closed", f"{host} closed the connection (code {root.rcvd.code}{why})"
    if isinstance(root, OSError):
        return "network", f"cannot reach {host}: {root.strerror or root}"
    return "other", f"{host}: {type(root).__name__}: {root}"
