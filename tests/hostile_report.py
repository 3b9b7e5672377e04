"""The hostile-input suite's ledger: `record(cls, outcome)` per case, printed as one table at the
end of the run (tests/conftest.py), whichever subset of the suite ran.

Outcomes: clean (a counted bad line or a one-line error with the right exit code), crash (a
traceback, or a wrong exit code), hang (a subprocess timeout), lost (good data gone, or lost
without a word / with exit 0). Any class can be added by any test file: the class is just a name.

A case classifies the process it ran with `outcome_of(...)`, records it, and then asserts clean,
so a failing case still appears in the table."""
from __future__ import annotations

from collections import Counter, defaultdict

OUTCOMES = ("clean", "crash", "hang", "lost")
ROWS: dict[str, Counter] = defaultdict(Counter)


def record(cls: str, outcome: str) -> str:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
    ROWS[cls][outcome] += 1
    return outcome


def outcome_of(rc: int | None, stderr: str, want_rc: int | set[int], lost: bool = False, max_lines: int = 1) -> str:
    """hang when there is no exit code (timed out); crash on a traceback, a wrong exit code or an
    error of more than `max_lines` lines; lost when the case lost data; clean otherwise."""
    wanted = {want_rc} if isinstance(want_rc, int) else set(want_rc)
    if rc is None:
        return "hang"
    if "Traceback" in stderr or rc not in wanted or len([ln for ln in stderr.splitlines() if ln.strip()]) > max_lines:
        return "crash"
    return "lost" if lost else "clean"


def table() -> list[str]:
    if not ROWS:
        return []
    head = f"{'class':<28} | {'cases':>5} | {'clean':>5} | {'crashes':>7} | {'hangs':>5} | {'lost':>4}"
    lines = ["liqhunt hostile-input summary", head, "-" * len(head)]
    total: Counter = Counter()
    for cls in sorted(ROWS):
        c = ROWS[cls]
        total.update(c)
        lines.append(f"{cls:<28} | {sum(c.values()):>5} | {c['clean']:>5} | {c['crash']:>7} | {c['hang']:>5} | {c['lost']:>4}")
    lines.append("-" * len(head))
    lines.append(f"{'TOTAL':<28} | {sum(total.values()):>5} | {total['clean']:>5} | {total['crash']:>7} | {total['hang']:>5} | {total['lost']:>4}")
    return lines
