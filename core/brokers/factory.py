"""Which broker a run uses: `--broker paper|binance-testnet|bybit-testnet|binance|bybit`.

Paper stays the default. Testnets need keys; mainnet needs keys *and* `live=True` (the CLI's
`--live` plus the typed confirmation). Tests pass `base_url` to point a broker at the local fake.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from core.brokers import binance, bybit
from core.brokers.keys import ApiKeys, load_keys
from core.brokers.live_base import LiveBroker
from core.brokers.live_types import LiveSettings
from core.config import Config

BROKER_CHOICES = ("paper", "binance-testnet", "bybit-testnet", "binance", "bybit")
LIVE_CHOICES = ("binance", "bybit")  # real money

_VENUES: dict[str, tuple[type[LiveBroker], str]] = {
    "binance-testnet": (binance.BinanceFuturesBroker, binance.TESTNET_URL),
    "binance": (binance.BinanceFuturesBroker, binance.MAINNET_URL),
    "bybit-testnet": (bybit.BybitLinearBroker, bybit.TESTNET_URL),
    "bybit": (bybit.BybitLinearBroker, bybit.MAINNET_URL),
}


class BrokerChoiceError(ValueError):
    pass


def settings_from_config(config: Config, **overrides) -> LiveSettings:
    """The hard per-order cap always comes from config.risk; markets from the filter list."""
    lv = config.live
    base = {
        "max_notional_per_trade_usd": config.risk.max_notional_per_trade_usd,
        "markets": tuple(config.filters.markets),
        "default_leverage": lv.default_leverage,
        "leverage": {m: float(x) for m, _, x in (item.partition("=") for item in lv.leverage)},
        "margin_mode": lv.margin_mode,
        "watch_interval_s": lv.watch_interval_s,
        "reconcile_interval_s": lv.reconcile_interval_s,
        "recv_window_ms": lv.recv_window_ms,
    }
    return LiveSettings(**(base | overrides))


def make_broker(
    name: str,
    live: bool,
    config: Config,
    *,
    keys: ApiKeys | None = None,
    env: Mapping[str, str] | None = None,
    key_file: str | os.PathLike | None = None,
    base_url: str | None = None,
    settings: LiveSettings | None = None,
    price_of: Callable[[str], float | None] | None = None,
    on_alert: Callable[[str], None] | None = None,
    now_fn: Callable[[], float] | None = None,
) -> LiveBroker | None:
    """A live broker for `name`, or None for "paper" (the engine builds its own PaperBroker).
    Refuses a mainnet venue unless `live` is True."""
    if name not in BROKER_CHOICES:
        raise BrokerChoiceError(f"unknown broker {name!r}; choose one of {', '.join(BROKER_CHOICES)}")
    if name == "paper":
        return None
    if name in LIVE_CHOICES and not live:
        raise BrokerChoiceError(f"--broker {name} trades real money: add --live (and confirm at start-up)")
    cls, url = _VENUES[name]
    keys = keys or load_keys(name, env, key_file)
    kwargs = {"price_of": price_of, "on_alert": on_alert}
    if now_fn is not None:
        kwargs["now_fn"] = now_fn
    broker = cls(keys, base_url or url, settings or settings_from_config(config), **kwargs)
    broker.name = name
    return broker
