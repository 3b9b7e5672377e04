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


# -- nothing state-changing before the typed confirmation ---------------------------------------
def _fake_broker(venue: str, server_url: str):
    from tests.fake_exchange.harness import fast_settings

    return make_broker(
        venue,
        True,
        Config(),
        keys=ApiKeys(API_KEY, SECRET, venue),
        base_url=server_url,
        settings=fast_settings(stream_url=""),
    )


@pytest.mark.parametrize("venue", ["binance", "bybit"])
async def test_refused_confirmation_sends_nothing_at_all(venue):
    from core.brokers.confirm import NotConfirmed, open_live_broker
    from tests.fake_exchange.harness import make_fake
    from tests.fake_exchange.server import FakeServer

    fake = make_fake(venue)
    with FakeServer(fake) as server:
        broker = _fake_broker(venue, server.url)
        printed: list[str] = []
        try:
            with pytest.raises(NotConfirmed):
                await open_live_broker(
                    broker,
                    venue,
                    {"max notional per trade": 500},
                    needs_confirmation=True,
                    input_fn=lambda _: "no",
                    print_fn=printed.append,
                )
        finally:
            await broker.aclose()
    assert fake.log == []  # not even a public GET: the fake records every request it gets
    assert fake.ledger.margin_mode == {} and dict(fake.ledger.leverage) == {}
    text = printed[0]  # what the user saw came from offline knowledge only
    assert "BTC-USDT-PERP 3x" in text and "isolated" in text and "key#" in text and SECRET not in text


@pytest.mark.parametrize("venue", ["binance", "bybit"])
async def test_margin_and_leverage_are_set_only_after_the_typed_yes(venue):
    import time

    from core.brokers.confirm import open_live_broker
    from tests.fake_exchange.harness import make_fake
    from tests.fake_exchange.server import FakeServer

    fake = make_fake(venue)
    answered: list[float] = []

    def type_venue(_):
        assert fake.log == []  # asked before anything went out
        answered.append(time.monotonic())
        return venue

    with FakeServer(fake) as server:
        broker = _fake_broker(venue, server.url)
        try:
            summary = await open_live_broker(
                broker, venue, {}, needs_confirmation=True, input_fn=type_venue, print_fn=lambda _: None
            )
        finally:
            await broker.aclose()
    assert summary["wallet_usdt"] > 0
    setup = {"binance": ("/fapi/v1/marginType", "/fapi/v1/leverage"), "bybit": ("/v5/position/set-leverage",)}[venue]
    times = [t for t, _, path, _ in fake.log if path in setup]
    assert times and min(t for t, *_ in fake.log) >= answered[0]
    assert fake.ledger.leverage["BTCUSDT"] == 3


async def test_run_command_refusal_reaches_no_venue(monkeypatch):
    """The composition root (`liqhunt run --broker binance --live`): typing anything else stops it
    before a single request, and exits non-zero."""
    import argparse

    from tests.fake_exchange.harness import make_fake
    from tests.fake_exchange.server import FakeServer
    from tui.commands import run_cmd

    fake = make_fake("binance")
    monkeypatch.setattr("builtins.input", lambda _: "nope")
    with FakeServer(fake) as server:
        broker = _fake_broker("binance", server.url)
        rc = await run_cmd._start_live_broker(argparse.Namespace(broker="binance"), Config(), broker, [])
    assert rc != 0 and fake.log == []
