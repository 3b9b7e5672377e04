"""One line for every way SQLite or the file system can refuse the journal: the file and the fix."""
from __future__ import annotations

import sqlite3

# (words in SQLite's or the OS's message, what to do about it); the first match wins
_FIXES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("locked", "busy"), "another process holds it (a second liqhunt?): close that one, or use --journal OTHER_PATH"),
    (("full", "no space"), "the disk is full: free space, or use --journal on another disk"),
    (("readonly", "read-only", "permission denied", "access permissions", "not permitted"),
     "it or its directory is not writable: fix the permissions, or use --journal PATH in a writable directory"),
    (("not a database", "malformed", "corrupt", "damaged", "disk i/o"),
     "the file is damaged: move it aside (mv FILE FILE.bad), recover with `sqlite3 FILE.bad .recover | sqlite3 FILE`, or use a new --journal"),
    (("unable to open", "no such file", "is a directory", "not a directory"),
     "cannot open it there: use --journal PATH to a file in an existing, writable directory"),
)


def fix_for(reason: str) -> str:
    low = reason.lower()
    for words, fix in _FIXES:
        if any(w in low for w in words):
            return fix
    return "check the file and its disk, or use --journal OTHER_PATH"


def reason_of(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f" ({exc.filename})" if exc.filename else "")
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def fault_message(path: str, exc: BaseException | str, doing: str = "cannot open") -> str:
    reason = exc if isinstance(exc, str) else reason_of(exc)
    return f"journal {path}: {doing}: {reason}; {fix_for(reason)}"


JOURNAL_FAULTS = (sqlite3.Error, OSError)
