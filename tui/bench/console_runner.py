"""The console on a paced synthetic source, for the terminal benchmark (run in a pty).

`python -m tui.bench.console_runner --rate 1000 --seconds 20` builds the real app with
`tui.app.make_app` and the crash stream's Binance/Bybit frames at `--rate` events/s (see
`tui.bench.paced_source`), runs it full-screen on this terminal and exits after `--seconds`.
A bench-only composition root: no flag is added to the console's own commands.
"""
from __future__ import annotations

import argparse
import sys

from core.engine_commands import MODES


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tui.bench.console_runner")
    p.add_argument("--rate", type=float, default=1000.0, help="events per second")
    p.add_argument("--seconds", type=float, default=20.0, help="exit after this long")
    p.add_argument("--shards", type=int, default=2, help="50 × shards markets")
    p.add_argument("--mode", default="watch", choices=MODES)
    a = p.parse_args(argv)

    from tui.bench.paced_source import PacedSource, PerfClock
    from tui.bench.streams import crash_stream
    from core.config import Config
    from core.engine import Engine
    from tui.app import make_app

    stream = crash_stream(60.0, shards=a.shards)  # played in laps when the run is longer
    cfg = Config()
    clock = PerfClock(stream.ts[0])
    source = PacedSource(stream, a.rate, clock, duration_s=a.seconds + 5.0, record=False)
    engine = Engine(cfg, clock, mode=a.mode)
    app = make_app(engine, source, clock, cfg)
    app.mount_hooks.append(lambda: app.set_timer(a.seconds, app.exit))
    app.run()
    print(f"events={source.events} messages={source.messages}", file=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
