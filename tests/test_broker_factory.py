"""Broker choice, the live guard and the typed confirmation."""
from __future__ import annotations

import pytest

from core.brokers import binance, bybit
from core.brokers.confirm import confirm_live
from core.brokers.factory import BROKER_CHOICES, BrokerChoiceError, make_broker
from core.brokers.keys import ApiKeys, KeyLoadError
from core.config import Config
from tests.fake_exchange.harness import API_KEY, SECRET

KEYS = ApiKeys(API_KEY, SECRET)


def test_paper_is_none_and_unknown_is_refused():
    assert BROKER_CHOICES[0] == "paper"
    assert make_broker("paper", False, Config()) is None
    with pytest.raises(BrokerChoiceError):
        make_broker("okx", True, Config(), keys=KEYS)


@pytest.mark.parametrize("name", ["binance", "bybit"])
def test_mainnet_needs_live(name):
    with pytest.raises(BrokerChoiceError, match="--live"):
        make_broker(name, False, Config(), keys=KEYS)
    b = make_broker(name, True, Config(), keys=KEYS)
    assert b.base_url == {"binance": binance.MAINNET_URL, "bybit": bybit.MAINNET_URL}[name] and b.name == name


def test_testnets_default_urls_caps_from_config_and_keys_from_env():
    cfg = Config()
    cfg.risk.max_notional_per_trade_usd = 1234.0
    env = {"LIQHUNT_BYBIT_TESTNET_API_KEY": API_KEY, "LIQHUNT_BYBIT_TESTNET_API_SECRET": SECRET}
    b = make_broker("bybit-testnet", False, cfg, env=env)
    assert b.base_url == bybit.TESTNET_URL and b.settings.max_notional_per_trade_usd == 1234.0
    assert make_broker("binance-testnet", False, cfg, keys=KEYS).base_url == binance.TESTNET_URL
    with pytest.raises(KeyLoadError):
        make_broker("binance-testnet", False, cfg, env={})


def test_confirm_live_requires_typing_the_venue():
    printed: list[str] = []
    summary, limits = {"account": "key#abcd1234", "wallet_usdt": 1000.0}, {"max_notional_per_trade_usd": 500}
    assert confirm_live("bybit", summary, limits, lambda _: " bybit \n", printed.append)
    assert "BYBIT" in printed[0] and "max_notional_per_trade_usd: 500" in printed[0] and "wallet_usdt" in printed[0]
    assert not confirm_live("bybit", summary, limits, lambda _: "yes", printed.append)
    assert not confirm_live("bybit", summary, limits, lambda _: "", printed.append)

    def eof(_):
        raise EOFError

    assert not confirm_live("binance", summary, limits, eof, printed.append)
