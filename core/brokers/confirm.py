"""The typed confirmation before trading real money: show venue, account and limits, then ask
the user to type the venue name. Anything else (including an empty line or EOF) is a no.

The confirmation comes before the broker touches the venue at all: margin type and leverage
are account changes, and a "no" must leave the account exactly as it was. So what is shown is
what liqhunt knows offline (venue, URL, key fingerprint, the markets and the leverage and margin
mode it will set); the wallet balance is read only after the "yes" (`open_live_broker`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from core.brokers.live_errors import VenueError

if TYPE_CHECKING:
    from core.brokers.live_base import LiveBroker


def confirmation_text(venue: str, account_summary: Mapping[str, object], limits: Mapping[str, object]) -> str:
    lines = [f"LIVE TRADING on {venue.upper()} — real orders, real money.", "", "Account:"]
    lines += [f"  {k}: {v}" for k, v in account_summary.items()]
    lines += ["", "Limits (hard caps applied to every order):"]
    lines += [f"  {k}: {v}" for k, v in limits.items()]
    lines += ["", f"Type the venue name ({venue}) to start, anything else to abort:"]
    return "\n".join(lines)


def confirm_live(
    venue: str,
    account_summary: Mapping[str, object],
    limits: Mapping[str, object],
    input_fn: Callable[[str], str] = input,
    print_fn: Callable[[str], None] = print,
) -> bool:
    print_fn(confirmation_text(venue, account_summary, limits))
    try:
        answer = input_fn("> ")
    except (EOFError, KeyboardInterrupt):
        return False
    return answer.strip() == venue


class NotConfirmed(Exception):
    """The user did not type the venue name: nothing was sent to the venue."""


async def open_live_broker(
    broker: LiveBroker,
    venue: str,
    limits: Mapping[str, object],
    *,
    needs_confirmation: bool,
    input_fn: Callable[[str], str] = input,
    print_fn: Callable[[str], None] = print,
) -> dict[str, object]:
    """Confirm (mainnet), then start the broker: clock sync, filters, margin type and leverage per
    market, exit watcher, private stream. A refusal raises NotConfirmed before any request.
    Returns the account summary read after start-up (for the start-up notes)."""
    if needs_confirmation and not confirm_live(venue, broker.offline_summary(), limits, input_fn, print_fn):
        raise NotConfirmed("live trading not confirmed; nothing was sent")
    await broker.start()
    try:
        summary: dict[str, object] = await broker.account_summary()
        return summary
    except VenueError as e:  # the broker is up and trading is safe; only the balance line is missing
        return {"venue": broker.venue, "key": broker.offline_summary()["key"], "account": f"balance unavailable ({e})"}
