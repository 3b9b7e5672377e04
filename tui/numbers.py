"""How numbers read on the console: compact USD, prices at a sensible precision, UTC times."""

from __future__ import annotations

import math
import time

MINUS = "−"


def usd(v: float, signed: bool = False) -> str:
    """$1.24M, $412k, $880; `signed` adds + / − so gains never rely on colour."""
    sign = ""
    if signed:
        sign = "+" if v >= 0 else MINUS
    elif v < 0:
        sign = MINUS
    a = abs(v)
    if a >= 1e9:
        body = f"{a / 1e9:.2f}B"
    elif a >= 1e6:
        body = f"{a / 1e6:.2f}M" if a < 1e8 else f"{a / 1e6:.0f}M"
    elif a >= 1e3:
        body = f"{a / 1e3:.0f}k" if a >= 1e4 else f"{a / 1e3:.1f}k"
    else:
        body = f"{a:.0f}"
    return f"{sign}${body}"


def price(p: float | None) -> str:
    """Five or so significant digits, thousands separated: 61,234 · 3,012.4 · 142.31 · 0.45110."""
    if p is None or not math.isfinite(p):
        return "—"
    a = abs(p)
    if a >= 10_000:
        return f"{p:,.0f}"
    if a >= 1_000:
        return f"{p:,.1f}"
    if a >= 100:
        return f"{p:.2f}"
    if a >= 1:
        return f"{p:.3f}"
    if a == 0:
        return "0"
    digits = min(8, 4 - int(math.floor(math.log10(a))))
    return f"{p:.{digits}f}"


def hhmmss(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(ts))


def duration(seconds: float) -> str:
    """2:14 for minutes:seconds, 1:02:03 past an hour."""
    s = max(0, int(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def rate(v: float) -> str:
    if v >= 10_000:
        return f"{v / 1000:.0f}k"
    if v >= 1000:
        return f"{v / 1000:.1f}k"
    if v >= 10:
        return f"{v:.0f}"
    return f"{v:.1f}"


def count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    return f"{n:,}"


def amount(v: float) -> str:
    """Compact USD without the sign, at most 5 characters: 38.2M, 412k, 9.1k, 880."""
    a = abs(v)
    if a < 999.5:
        return f"{a:.0f}"
    for div, suffix in ((1e3, "k"), (1e6, "M"), (1e9, "B"), (1e12, "T")):
        x = a / div
        if x >= 999.5 and suffix != "T":
            continue
        for digits in (1, 0):
            s = f"{x:.{digits}f}{suffix}"
            if len(s) <= 5 and (digits == 0 or x < 100):
                return s
    return f"{a:.0e}"


VENUE_ABBR = {
    "binance": "BIN",
    "bybit": "BYB",
    "okx": "OKX",
    "bitmex": "BMX",
    "deribit": "DRB",
    "hyperliquid": "HYP",
    "sim": "SIM",
}


def venue(v: str) -> str:
    return VENUE_ABBR.get(v, v[:3].upper())


def qty(q: float) -> str:
    """An order or position size in base units, as the dialogs and notices say it: 0.124, 2.196, 12,500."""
    return f"{q:,.0f}" if q >= 1000 else f"{q:.4g}"
