"""The typed confirmation before trading real money: show venue, account and limits, then ask
the user to type the venue name. Anything else (including an empty line or EOF) is a no."""
from __future__ import annotations

from typing import Callable, Mapping


def confirmation_text(venue: str, account_summary: Mapping[str, object], limits: Mapping[str, object]) -> str:
    lines = [f"LIVE TRADING on {venue.upper()} — real orders, real money.", "", "Account:"]
    lines += [f"  {k}: {v}" for k, v in account_summary.items()]
    lines += ["", "Limits (hard caps applied to every order):"]
    lines += [f"  {k}: {v}" for k, v in limits.items()]
    lines += ["", f"Type the venue name ({venue}) to start, anything else to abort:"]
    return "\n".join(lines)


def confirm_live(venue: str, account_summary: Mapping[str, object], limits: Mapping[str, object],
                 input_fn: Callable[[str], str] = input, print_fn: Callable[[str], None] = print) -> bool:
    print_fn(confirmation_text(venue, account_summary, limits))
    try:
        answer = input_fn("> ")
    except (EOFError, KeyboardInterrupt):
        return False
    return answer.strip() == venue
