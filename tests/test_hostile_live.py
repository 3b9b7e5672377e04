"""The issue's hostile live frames, sent by a local Binance stand-in to a real `liqhunt record`:
every frame is recorded byte for byte, every good event is delivered, every hostile value is a
counted rejection with its reason in the summary, and `normalize --strict` on the capture fails."""

from __future__ import annotations

import asyncio
import json
import threading
import time

from websockets.asyncio.server import serve

from core.cli import main
from core.recording import read_recording
from tests.hostile.ledger import case
from tests.test_record_cmd import record_args

NOW_MS = int(time.time() * 1000)


def mark(p: str, i: int, E: float | None = None) -> str:
    e = NOW_MS + i if E is None else E
    return json.dumps(
        {
            "stream": "!markPrice@arr@1s",
            "data": [
                {
                    "e": "markPriceUpdate",
                    "E": e,
                    "s": "BTCUSDT",
                    "p": p,
                    "i": "60000",
                    "r": "0.0001",
                    "T": NOW_MS + 3_600_000,
                }
            ],
        }
    )


def force(i: int, E: float | None = None, T: float | None = None, p: str = "60000") -> str:
    e = NOW_MS + i if E is None else E
    return json.dumps(
        {
            "stream": "!forceOrder@arr",
            "data": {
                "e": "forceOrder",
                "E": e,
                "o": {
                    "s": "BTCUSDT",
                    "S": "SELL",
                    "o": "LIMIT",
                    "f": "IOC",
                    "q": "0.5",
                    "p": p,
                    "ap": p,
                    "X": "FILLED",
                    "l": "0.5",
                    "z": "0.5",
                    "T": e if T is None else T,
                },
            },
        }
    )


GOOD = [mark("60000", 0), force(1), mark("60010", 2), force(3), mark("60020", 4)]
HOSTILE = {
    'mark "p": "1e308"': mark("1e308", 10),
    "mark of 0": mark("0", 11),
    "mark of -100": mark("-100", 12),
    'forceOrder "E": 1e300': force(13, E=1e300, T=1e300),
    "forceOrder in 2100": force(14, E=4_102_444_800_000, T=4_102_444_800_000),
    "mark ×1000 jump": mark("60000000", 15),
}
FRAMES = GOOD[:2] + list(HOSTILE.values()) + GOOD[2:]


class Venue:
    def __init__(self) -> None:
        self.sent = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),), daemon=True)

    async def _play(self, ws) -> None:
        for f in FRAMES:
            await ws.send(f)
        self.sent.set()
        await ws.wait_closed()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self._play, "127.0.0.1", 0) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> Venue:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)


def test_hostile_live_frames_are_recorded_counted_and_never_events(tmp_path, capsys):
    out = tmp_path / "hostile.jsonl"
    with case("live frames", "record: issue frames over a real websocket") as c:
        with Venue() as venue:
            code = main(record_args(out, venue.port, tmp_path / "cache") + ["--minutes", "0.03"])
            assert venue.sent.is_set()
        c.exit_code = code
        printed = capsys.readouterr().out
        lines = list(read_recording(out))
        c.lost = len(FRAMES) - len(lines)
        assert code == 0
        assert [ln.msg for ln in lines] == FRAMES  # every frame kept, byte for byte
        # 5 good events delivered; the hostile ones are rejections with reasons, per venue
        assert "5 events" in printed, printed
        assert "rejected" in printed and "bad_price" in printed and "ts_ahead" in printed, printed

    with case("live frames", "normalize --strict on the hostile capture") as c:
        code = main(["normalize", "--strict", str(out)])
        captured = capsys.readouterr()
        events = [json.loads(x) for x in captured.out.splitlines()]
        c.exit_code, c.lost = code, 5 - len(events)
        assert code == 1
        assert len(events) == 5 and all(0 < (e.get("mark") or e.get("price")) < 1e6 for e in events)
        assert "Traceback" not in captured.err
