"""FeedRunner against a real websocket server on 127.0.0.1: handshake, reconnects, silence, bad frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket

import pytest
import websockets

from core.clock import WallClock
from core.feeds.base import VenueConnection
from core.feeds.runner import FeedRunner
from tests.runner_helpers import LocalVenue, SeqParser, ack_reply, hang, recv_json, until, wait_for_ack

SUB = json.dumps({"op": "subscribe", "args": ["seq"]})


class Sink:
    """Collects what the runner hands downstream."""

    def __init__(self) -> None:
        self.events = []
        self.raw = []
        self.health = []

    def on_events(self, events):
        self.events.extend(events)

    def on_raw(self, ts, venue, msg):
        self.raw.append((ts, venue, msg))

    def on_health(self, h):
        self.health.append(h)

    @property
    def seqs(self):
        return [round(e.price - 100.0) for e in self.events]


def make_runner(url, sink, **conn_kw):
    runner_kw = {k: conn_kw.pop(k) for k in ("stale_grace", "healthy_after", "auto_reply") if k in conn_kw}
    runner_kw.setdefault("auto_reply", ack_reply)
    conn = VenueConnection("testvenue", "main", url, subscribe=(SUB,), **conn_kw)
    return FeedRunner(
        "testvenue",
        [conn],
        SeqParser(),
        sink.on_events,
        WallClock(),
        on_raw=sink.on_raw,
        on_health=sink.on_health,
        backoff=(0.05, 0.2),
        rng=random.Random(7),
        health_interval=0.05,
        **runner_kw,
    )


@contextlib.asynccontextmanager
async def running(runner):
    task = asyncio.create_task(runner.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


def assert_counts_balance(h):
    assert h.received == h.processed + sum(h.dropped.values())


async def test_resubscribes_after_abrupt_close_without_losing_or_duplicating_frames():
    subscribes = []

    async def play(ws, index):
        subscribes.append(await recv_json(ws))
        first = 1 + 5 * index
        for seq in range(first, first + 5):
            await ws.send(json.dumps({"seq": seq}))
        await wait_for_ack(ws, first + 4)  # the client holds all five: now cut it off mid-stream
        if index == 0:
            ws.transport.abort()
        else:
            await hang(ws)

    sink = Sink()
    async with LocalVenue(play) as venue, running(make_runner(venue.url(), sink)):
        await until(lambda: len(sink.events) >= 10, what="ten events over two connections")

    assert subscribes == [{"op": "subscribe", "args": ["seq"]}] * 2
    assert sink.seqs == list(range(1, 11))
    h = sink.health[-1]
    assert h.reconnects == 1
    assert h.errors.get("closed") == 1
    assert h.events == 10
    assert_counts_balance(h)


async def test_malformed_frame_and_parser_bug_are_counted_and_skipped():
    async def play(ws, index):
        await recv_json(ws)
        for frame in ['{"seq": 1}', "this is not json", '{"boom": 1}', '{"seq": 2}']:
            await ws.send(frame)
        await hang(ws)

    sink = Sink()
    async with LocalVenue(play) as venue:
        runner = make_runner(venue.url(), sink)
        async with running(runner):
            await until(lambda: len(sink.events) == 2, what="both good frames")
            h = runner.health

    assert sink.seqs == [1, 2]
    assert h.dropped == {"not_json": 1, "parser_bug": 1}
    assert (h.received, h.processed) == (4, 2)
    assert_counts_balance(h)
    assert h.reconnects == 0  # a bad frame never costs the connection


async def test_every_frame_is_recorded_with_its_receive_time_before_parsing():
    frames = ['{"seq": 1}', "garbage", '{"seq": 2}']

    async def play(ws, index):
        await recv_json(ws)
        for f in frames:
            await ws.send(f)
        await hang(ws)

    sink = Sink()
    async with LocalVenue(play) as venue, running(make_runner(venue.url(), sink)):
        await until(lambda: len(sink.raw) == 3, what="three recorded frames")

    assert [m for _, _, m in sink.raw] == frames
    assert {v for _, v, _ in sink.raw} == {"testvenue"}
    assert [e.ts_recv for e in sink.events] == [sink.raw[0][0], sink.raw[2][0]]


async def test_silence_marks_stale_then_next_frame_recovers_without_reconnect():
    async def play(ws, index):
        await recv_json(ws)
        await ws.send('{"seq": 1}')
        await asyncio.sleep(0.6)  # longer than stale_after, shorter than stale_after + grace
        await ws.send('{"seq": 2}')
        await hang(ws)

    sink = Sink()
    async with LocalVenue(play) as venue:
        runner = make_runner(venue.url(), sink, stale_after=0.25, stale_grace=5.0)
        async with running(runner):
            await until(lambda: any(h.state == "stale" for h in sink.health), what="stale state")
            assert runner.health.is_stale(now=0.0)
            await until(lambda: len(sink.events) == 2, what="second frame")
            h = runner.health

    stale = next(x for x in sink.health if x.state == "stale")
    assert "no frame from 127.0.0.1" in stale.reason
    assert h.state == "connected"
    assert h.reconnects == 0
    assert venue.connections == 1


async def test_silence_beyond_grace_forces_reconnect_and_resubscribe():
    async def play(ws, index):
        await recv_json(ws)
        await ws.send(json.dumps({"seq": index + 1}))
        await hang(ws)  # then silence: the watchdog must give up on this connection

    sink = Sink()
    async with LocalVenue(play) as venue:
        runner = make_runner(venue.url(), sink, stale_after=0.2, stale_grace=0.2)
        async with running(runner):
            await until(lambda: len(sink.events) >= 2, what="a frame on the second connection")
            h = runner.health

    assert sink.seqs[:2] == [1, 2]
    assert h.errors.get("stale_reconnect", 0) >= 1
    assert h.reconnects >= 1


async def test_app_level_pings_are_sent_and_pongs_count_as_processed():
    pings = []

    async def play(ws, index):
        await recv_json(ws)
        async for msg in ws:
            if msg == '{"op":"ping"}':
                pings.append(msg)
                await ws.send('{"success":true,"ret_msg":"pong","op":"ping"}')

    sink = Sink()
    async with LocalVenue(play) as venue:
        runner = make_runner(venue.url(), sink, ping_frame='{"op":"ping"}', ping_interval=0.1)
        async with running(runner):
            await until(lambda: len(pings) >= 3 and runner.health.processed >= 3, what="three ping/pong rounds")
            h = runner.health

    assert h.events == 0 and h.dropped == {}
    assert_counts_balance(h)


async def test_max_lifetime_reconnects_proactively_and_resubscribes():
    subscribes = []

    async def play(ws, index):
        subscribes.append(await recv_json(ws))
        with contextlib.suppress(websockets.ConnectionClosed):  # a loaded machine may reach the lifetime first
            await ws.send(json.dumps({"seq": index + 1}))
            await hang(ws)

    sink = Sink()
    async with LocalVenue(play) as venue:
        runner = make_runner(venue.url(), sink, max_lifetime=1.0)
        async with running(runner):
            await until(
                lambda: venue.connections >= 3 and len(sink.seqs) >= 3, timeout=15.0, what="two scheduled reconnects"
            )
            h = runner.health

    assert len(subscribes) >= 3 and all(s == {"op": "subscribe", "args": ["seq"]} for s in subscribes)
    assert h.errors.get("scheduled_reconnect", 0) >= 2
    assert sink.seqs[:3] == [1, 2, 3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_refused_connection_keeps_retrying_with_a_reason_and_never_raises():
    port = free_port()  # nothing listens here
    sink = Sink()
    runner = make_runner(f"ws://127.0.0.1:{port}/ws", sink)
    async with running(runner) as task:
        await until(lambda: runner.health.errors.get("refused", 0) >= 3, what="three refused attempts")
        assert not task.done()
        h = runner.health

    assert h.state == "down"  # never reached: down, with the reason and when it tries again
    assert not h.ever_connected
    assert h.reason.startswith(f"cannot reach 127.0.0.1:{port}: connection refused")
    assert h.last_error.startswith(f"cannot reach 127.0.0.1:{port}: connection refused")
    assert h.received == 0


async def test_first_connection_comes_up_once_the_server_appears():
    port = free_port()
    sink = Sink()
    runner = make_runner(f"ws://127.0.0.1:{port}/ws", sink)

    async def play(ws, index):
        await recv_json(ws)
        await ws.send('{"seq": 1}')
        await hang(ws)

    async with running(runner):
        await until(lambda: runner.health.errors.get("refused", 0) >= 1, what="a refused attempt")
        from websockets.asyncio.server import serve

        async with serve(lambda ws: play(ws, 0), "127.0.0.1", port):
            await until(lambda: len(sink.events) == 1, what="the frame from the late server")
            assert runner.health.state == "connected"


async def test_cancelling_run_leaves_the_feed_down_and_the_server_sees_a_close():
    closed = asyncio.Event()

    async def play(ws, index):
        await recv_json(ws)
        await ws.wait_closed()
        closed.set()

    sink = Sink()
    async with LocalVenue(play) as venue:
        runner = make_runner(venue.url(), sink)
        async with running(runner):
            await until(lambda: runner.health.state == "connected", what="connected")
        await asyncio.wait_for(closed.wait(), 5)

    assert sink.health[-1].state == "down"


async def test_two_connections_aggregate_to_the_worst_state():
    async def play(ws, index):
        await recv_json(ws)
        if ws.request.path == "/good":
            async for _ in ws:  # answers nothing, stays up
                pass
        else:
            ws.transport.abort()

    sink = Sink()
    async with LocalVenue(play) as venue:
        conns = [
            VenueConnection("testvenue", "good", venue.url("/good"), subscribe=(SUB,)),
            VenueConnection("testvenue", "flaky", venue.url("/flaky"), subscribe=(SUB,)),
        ]
        runner = FeedRunner(
            "testvenue",
            conns,
            SeqParser(),
            sink.on_events,
            WallClock(),
            on_health=sink.on_health,
            backoff=(0.05, 0.1),
            rng=random.Random(1),
        )
        async with running(runner):
            await until(lambda: runner.health.errors.get("closed", 0) >= 2, what="flaky connection dropping")
            h = runner.health

    states = {c.name: c.state for c in h.connections}
    assert states["good"] == "connected"
    assert h.state in ("reconnecting", "connecting")
    assert h.is_stale(now=0.0)


def test_duplicate_connection_names_are_rejected():
    c = VenueConnection("testvenue", "main", "ws://127.0.0.1:1/")
    with pytest.raises(ValueError, match="unique"):
        FeedRunner("testvenue", [c, c], SeqParser(), lambda e: None, WallClock())
