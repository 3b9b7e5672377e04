"""Feed health as the console shows it, from whatever the source exposes (read-only)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FeedLine:
    venue: str
    state: str  # connected | stale | reconnecting | connecting | down | simulated | replay | finished | failed
    msgs_per_s: float | None = None
    lag_ms: float | None = None
    reconnects: int = 0
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.state in ("connected", "simulated", "replay", "finished")


def feed_lines(engine, source, msgs_per_s: float, failed: bool) -> list[FeedLine]:
    """Live sources publish per-venue `health` (core.feeds.health.FeedHealth); the simulator
    and replay are one local 'feed'; the engine's own feed_states fill any gaps."""
    lines: dict[str, FeedLine] = {}
    health = getattr(source, "health", None)
    if isinstance(health, dict):
        for venue, h in health.items():
            state = engine.feed_states.get(venue, getattr(h, "state", "?"))  # the engine's view includes staleness
            lines[venue] = FeedLine(venue, state, getattr(h, "msgs_per_s", None),
                                    getattr(h, "lag_ms", None), getattr(h, "reconnects", 0), getattr(h, "reason", "") or "")
    for venue, state in engine.feed_states.items():
        lines.setdefault(venue, FeedLine(venue, state))
    if not lines and source is not None:
        label = getattr(source, "label", "")
        kind = "replay" if label.startswith("REPLAY") else "simulated"
        if getattr(source, "finished", False):
            kind = "finished"
        lines["sim" if kind == "simulated" else "replay"] = FeedLine("sim" if kind == "simulated" else "replay",
                                                                     "failed" if failed else kind, msgs_per_s, 0.0)
    return list(lines.values())
