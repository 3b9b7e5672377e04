"""What a journal session ran on, so crash recovery puts positions back only into the same source.

A live position belongs to the venues it was traded on (and the broker that holds it); a demo
position to one simulated world (scenario, seed, markets, start); a replay position to one
recording, known by its content hash, not its name. The identity is one string stored in
`sessions.source_id`."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

CHUNK = 1 << 20


def live_identity(venues: Iterable[str], broker: str) -> str:
    return f"live:venues={','.join(sorted(set(venues)))};broker={broker}"


def sim_identity(scenario: str, seed: int, markets: int, start_ts: float) -> str:
    return f"sim:scenario={scenario};seed={seed};markets={markets};start={start_ts:.3f}"


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()[:16]


def replay_identity(paths: Iterable[Path], hashed: bool = True) -> str:
    """The recordings' resolved paths and content hashes: a file edited or swapped is another source.
    `hashed=False` skips reading the files (a journal in memory has no earlier session to match)."""
    parts = [f"{Path(p).resolve()}#{file_hash(Path(p)) if hashed else 'unhashed'}" for p in paths]
    return "replay:" + "|".join(parts)


def describe(source_id: str | None) -> str:
    """A short form for one-line messages."""
    if not source_id:
        return "an unidentified source"
    kind, _, rest = source_id.partition(":")
    if kind == "replay":
        return "replay of " + ", ".join(Path(p.split("#")[0]).name + " (" + p.split("#")[-1][:8] + ")" for p in rest.split("|"))
    return f"{kind} " + rest.replace(";", " ")
