"""The websocket half of the fakes: a threaded `websockets` server on 127.0.0.1 for the private
(user-data) streams, and a hub the venue fakes push their account events through.

An app implements `ws_session(conn, hub)`: it runs in the connection's server thread until the
connection ends. The hub tracks live connections, can refuse new ones, drop all of them (the
"stream fell over" fault) and replay everything pushed so far (duplicate delivery).
"""

from __future__ import annotations

import json
import logging
import threading

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

# the fake is not the broker under test: keep its frame-level DEBUG logs (auth frames, listenKey
# paths) out of the caplog the redaction tests inspect
_log = logging.getLogger("tests.fake_exchange.ws")
_log.setLevel(logging.WARNING)


class WsHub:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clients: list[tuple[ServerConnection, set[str] | None]] = []  # (conn, topics or None = all)
        self.refuse = False
        self.pushed: list[tuple[str | None, dict]] = []
        self.accepted = 0
        self.auth_failures = 0
        self.silent_accepted = 0  # connections held open but never fed (legacy routes, silence faults)

    def add(self, conn: ServerConnection, topics: set[str] | None = None) -> None:
        with self.lock:
            self.clients.append((conn, topics))
            self.accepted += 1

    def remove(self, conn: ServerConnection) -> None:
        with self.lock:
            self.clients = [(c, t) for c, t in self.clients if c is not conn]

    def subscribe(self, conn: ServerConnection, topics: set[str]) -> None:
        with self.lock:
            for c, t in self.clients:
                if c is conn and t is not None:
                    t |= topics

    @property
    def connected(self) -> int:
        with self.lock:
            return len(self.clients)

    def push(self, msg: dict, topic: str | None = None, record: bool = True) -> int:
        """Send to every connection (subscribed to `topic`, when given). Returns how many got it."""
        data = json.dumps(msg)
        sent = 0
        with self.lock:
            if record:
                self.pushed.append((topic, msg))
            for c, t in list(self.clients):
                if topic is not None and t is not None and topic not in t:
                    continue
                try:
                    c.send(data)
                    sent += 1
                except Exception:
                    pass
        return sent

    def replay(self) -> None:
        with self.lock:
            for topic, msg in list(self.pushed):
                self.push(msg, topic, record=False)

    def drop_all(self) -> None:
        with self.lock:
            conns = [c for c, _ in self.clients]
            self.clients = []

        def close(c: ServerConnection) -> None:
            try:
                c.close(1001, "going away")
            except Exception:
                pass

        # a sync close waits for the client's answer: never block the caller (often the test's
        # event loop, which runs that very client) while it does
        for c in conns:
            threading.Thread(target=close, args=(c,), daemon=True).start()


class FakeWsServer:
    """Serves `app.ws_session` on ws://127.0.0.1:<random port>; use as a context manager."""

    def __init__(self, app) -> None:
        self.app = app
        self.server = serve(self._handle, "127.0.0.1", 0, ping_interval=None, logger=_log)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handle(self, conn: ServerConnection) -> None:
        hub: WsHub = self.app.ws
        if hub.refuse:
            conn.close(1013, "try again later")
            return
        try:
            self.app.ws_session(conn, hub)
        except ConnectionClosed:
            pass
        finally:
            hub.remove(conn)

    @property
    def url(self) -> str:
        host, port = self.server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    def __enter__(self) -> FakeWsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.app.ws.drop_all()
        self.server.shutdown()
        self.thread.join(timeout=5)
