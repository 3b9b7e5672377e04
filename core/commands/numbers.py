"""Bounded numeric command-line options: finite and within a stated range, or a one-line argparse error.

`--speed inf` used to reach the header clock and die there; `--hours inf` wrote forever. An
argparse `type` rejects such values before any command runs: argparse prints the usage line and
``error: argument --speed: must be a number from 0.01 to 1000, got 'inf'`` and exits 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def bounded(lo: float, hi: float, *, lo_open: bool = False, integer: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in [lo, hi] (or (lo, hi] with `lo_open`)."""
    kind = "a whole number" if integer else "a number"
    left = f"above {lo:g}" if lo_open else f"from {lo:g}"
    what = f"must be {kind} {left} to {hi:g}"

    def parse(text: str) -> float:
        try:
            v: float = int(text) if integer else float(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"{what}, got {text[:40]!r}") from None
        if not math.isfinite(v) or v > hi or v < lo or (lo_open and v == lo):
            raise argparse.ArgumentTypeError(f"{what}, got {text[:40]!r}")
        return v

    parse.__name__ = "number"  # argparse names the type in some messages
    return parse


# the ranges, stated once
SPEED = bounded(0.01, 1000.0)  # simulated/recorded seconds per real second
WARMUP = bounded(0.0, 6 * 3600.0)  # simulated seconds before the screen opens
HOURS = bounded(0.0, 24 * 30.0, lo_open=True)
MINUTES = bounded(0.0, 60 * 24 * 30.0, lo_open=True)
USD = bounded(0.0, 1e12)
