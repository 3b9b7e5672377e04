"""SQLite failures as one line a person can act on: what failed, on which file, and the fix.

Every place the journal opens or writes turns `sqlite3.Error` / `OSError` into this sentence,
so `liqhunt` never shows a traceback for a read-only directory, a full disk, a locked or a
damaged database — and batch commands can say how many rows were lost.
"""

from __future__ import annotations

import sqlite3

_FIXES = (  # (substring of SQLite's / the OS's message, the fix)
    ("readonly", "make the file and its directory writable, or pass --journal with a writable path"),
    ("read-only", "make the file and its directory writable, or pass --journal with a writable path"),
    ("permission denied", "make the directory writable, or pass --journal with a writable path"),
    ("unable to open", "check the directory exists and is writable, or pass --journal with another path"),
    ("locked", "another liqhunt (or a sqlite3 shell) holds it: close that, or pass --journal with another file"),
    ("busy", "another liqhunt (or a sqlite3 shell) holds it: close that, or pass --journal with another file"),
    ("full", "free some disk space (the journal needs room to write), or pass --journal on another disk"),
    ("no space", "free some disk space (the journal needs room to write), or pass --journal on another disk"),
    ("not a database", "the file is not a liqhunt journal (or is damaged): move it aside and a new one is started"),
    ("malformed", "the database is damaged: move it aside (mv FILE FILE.damaged) and a new one is started"),
    ("corrupt", "the database is damaged: move it aside (mv FILE FILE.damaged) and a new one is started"),
    ("disk i/o", "the disk failed a read or write: check it (dmesg), or pass --journal on another disk"),
    ("is a directory", "pass --journal with a file path, not a directory"),
    ("not a directory", "a part of the path is a file: pass --journal with a valid path"),
)


def fix_for(message: str) -> str:
    low = message.lower()
    for needle, fix in _FIXES:
        if needle in low:
            return fix
    return "check the file, or pass --journal with another path"


def describe(action: str, path: str, exc: BaseException) -> str:
    """e.g. ``cannot open journal /x/j.sqlite: attempt to write a readonly database — make …``"""
    if isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror
    else:
        reason = str(exc) or type(exc).__name__
    return f"cannot {action} journal {path}: {reason} — {fix_for(reason)}"


def quick_check(conn: sqlite3.Connection, limit: int = 5) -> list[str]:
    """Problems `PRAGMA quick_check` finds (empty when the database is sound)."""
    try:
        rows = [r[0] for r in conn.execute(f"PRAGMA quick_check({int(limit)})").fetchall()]
    except sqlite3.Error as exc:  # so damaged it cannot even be checked
        return [str(exc)]
    return [] if rows == ["ok"] else [str(r) for r in rows]
