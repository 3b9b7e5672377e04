"""The hostile-input suite's ledger: one row per hostile case, summed per class at the end of a run.

A test wraps the part that meets the hostile input in ``with case(cls, name) as c:`` and fills
in what it saw (`lost` good lines, a `traceback` on stderr, the exit code). An exception escaping
the block is a crash, a `subprocess.TimeoutExpired` a hang; the exception still propagates, so
the test fails too. tests/conftest.py prints `table()` from `pytest_terminal_summary`:

    class | cases | clean | crashes | hangs | lost
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

CASES: list[Case] = []


@dataclass
class Case:
    cls: str
    name: str
    lost: int = 0  # good lines/events/rows that did not make it
    traceback: bool = False  # a Python traceback reached the user
    hung: bool = False
    crashed: bool = False
    failed: bool = False  # an assertion inside the block failed (wrong exit code, wrong message)
    exit_code: int | None = None

    @property
    def clean(self) -> bool:
        return not (self.lost or self.traceback or self.hung or self.crashed or self.failed)


@contextlib.contextmanager
def case(cls: str, name: str) -> Iterator[Case]:
    c = Case(cls, name)
    CASES.append(c)
    try:
        yield c
    except subprocess.TimeoutExpired:
        c.hung = True
        raise
    except AssertionError:
        c.failed = True
        raise
    except BaseException:
        c.crashed = True
        raise


def table(cases: list[Case] | None = None) -> list[str]:
    cases = CASES if cases is None else cases
    if not cases:
        return []
    classes: dict[str, list[Case]] = {}
    for c in cases:
        classes.setdefault(c.cls, []).append(c)
    head = f"{'class':<20} | {'cases':>5} | {'clean':>5} | {'crashes':>7} | {'hangs':>5} | {'lost':>4}"
    out = ["liqhunt hostile-input summary", head, "-" * len(head)]

    def row(name: str, cs: list[Case]) -> str:
        return (
            f"{name:<20} | {len(cs):>5} | {sum(c.clean for c in cs):>5} | "
            f"{sum(c.crashed or c.traceback for c in cs):>7} | {sum(c.hung for c in cs):>5} | {sum(c.lost for c in cs):>4}"
        )

    for name in sorted(classes):
        out.append(row(name, classes[name]))
    out.append("-" * len(head))
    out.append(row("TOTAL", cases))
    dirty = [c for c in cases if not c.clean]
    for c in dirty[:20]:
        out.append(
            f"  NOT CLEAN: {c.cls} / {c.name}: lost={c.lost} traceback={c.traceback} hung={c.hung} "
            f"crashed={c.crashed} failed={c.failed} exit={c.exit_code}"
        )
    return out
