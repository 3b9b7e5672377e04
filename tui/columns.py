"""Columns that drop whole, by a stated priority, when a pane is too narrow.

Priority 0 columns are never dropped (price, P&L, the market and its side); the rest are kept
in priority order while they fit, and drawn in their own order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    width: int
    priority: int  # 0 = always shown; higher drops first
    align: str = ">"

    def cell(self, text: str) -> str:
        if len(text) > self.width:
            text = text[: self.width - 1] + "…" if self.width > 1 else text[: self.width]
        return f"{text:{self.align}{self.width}}"


def fit(columns: tuple[Column, ...], width: int) -> tuple[Column, ...]:
    """The columns that fit `width` (one space between columns), in display order."""
    keep: set[str] = set()
    used = 0
    for c in sorted(columns, key=lambda c: c.priority):
        need = c.width + (1 if keep else 0)
        if c.priority == 0 or used + need <= width:
            keep.add(c.key)
            used += need
    return tuple(c for c in columns if c.key in keep)


def header(columns: tuple[Column, ...]) -> str:
    return " ".join(c.cell(c.header) for c in columns)
