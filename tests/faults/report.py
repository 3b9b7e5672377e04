"""The fault suite's ledger: one row per injected fault, printed as a table at the end of the run.

Tests append `FaultRow`s; tests/conftest.py prints `table()` from `pytest_terminal_summary`, so the
figures appear in CI output whichever subset of the suite ran.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

ROWS: list[FaultRow] = []


@dataclass
class FaultRow:
    fault: str
    injected: int = 0  # fault events injected (cuts, hostile frames, error responses, signals...)
    survived: bool = False  # console up (or restarted cleanly) and answering keys afterwards
    sent: int = 0  # messages the local servers sent
    received: int = 0
    processed: int = 0
    dropped: Counter = field(default_factory=Counter)
    naked: int = 0  # positions without a protective stop after the fault (must be 0)
    positions: int = 0  # positions opened (or held) while the fault was on

    def add_health(self, h) -> None:
        """Add one venue's FeedHealth counters."""
        self.received += h.received
        self.processed += h.processed
        self.dropped.update(h.dropped)

    @property
    def balanced(self) -> bool:
        return self.received == self.processed + sum(self.dropped.values())


def record(row: FaultRow) -> FaultRow:
    ROWS.append(row)
    return row


def naked_positions(positions) -> list:
    """Positions whose stop is missing, not finite or not on the protective side of the entry."""
    out = []
    for p in positions:
        stop = getattr(p, "stop_price", None)
        ok = isinstance(stop, (int, float)) and math.isfinite(stop) and stop > 0
        if ok:
            ok = stop < p.entry_price if p.side == "long" else stop > p.entry_price
        if not ok:
            out.append(p)
    return out


def table(rows: list[FaultRow] | None = None) -> list[str]:
    rows = ROWS if rows is None else rows
    if not rows:
        return []
    head = f"{'fault':<36} {'inj':>6} {'surv':>4} {'sent':>7} {'recv':>7} {'proc':>7} {'drop':>6} {'pos':>4} {'nostop':>6}  dropped by reason"
    lines = ["liqhunt fault-injection summary", head, "-" * len(head)]
    tot = FaultRow("TOTAL")
    for r in rows:
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(r.dropped.items())) or "-"
        lines.append(
            f"{r.fault[:36]:<36} {r.injected:>6} {'yes' if r.survived else 'NO':>4} {r.sent:>7} {r.received:>7} "
            f"{r.processed:>7} {sum(r.dropped.values()):>6} {r.positions:>4} {r.naked:>6}  {reasons}"
        )
        tot.injected += r.injected
        tot.sent += r.sent
        tot.received += r.received
        tot.processed += r.processed
        tot.dropped.update(r.dropped)
        tot.naked += r.naked
        tot.positions += r.positions
    survived = sum(r.survived for r in rows)
    lines.append("-" * len(head))
    lines.append(
        f"{'TOTAL':<36} {tot.injected:>6} {f'{survived}/{len(rows)}':>4} {tot.sent:>7} {tot.received:>7} "
        f"{tot.processed:>7} {sum(tot.dropped.values()):>6} {tot.positions:>4} {tot.naked:>6}"
    )
    lines.append(
        f"accounting: received == processed + dropped: {'yes' if tot.balanced else 'NO'}; "
        f"positions without a stop: {tot.naked}"
    )
    return lines
