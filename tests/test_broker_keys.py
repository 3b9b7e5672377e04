"""Keys come from the environment or an owner-only file, and never show up anywhere."""

from __future__ import annotations

import logging
import os
import pickle

import pytest

from core.brokers.keys import ApiKeys, KeyLoadError, load_keys
from tests.fake_exchange.harness import API_KEY, SECRET, rig, submit_entry

FILE = f'[binance-testnet]\napi_key = "{API_KEY}"\napi_secret = "{SECRET}"\n'


def test_env_keys_per_venue_testnet_separate_from_mainnet():
    env = {"LIQHUNT_BINANCE_TESTNET_API_KEY": API_KEY, "LIQHUNT_BINANCE_TESTNET_API_SECRET": SECRET}
    k = load_keys("binance-testnet", env)
    assert (k.api_key, k.secret) == (API_KEY, SECRET)
    with pytest.raises(KeyLoadError, match="LIQHUNT_BINANCE_API_KEY"):
        load_keys("binance", env)
    with pytest.raises(KeyLoadError, match="both"):
        load_keys("bybit", {"LIQHUNT_BYBIT_API_KEY": API_KEY})


def test_key_file_owner_only(tmp_path):
    p = tmp_path / "keys.toml"
    p.write_text(FILE)
    os.chmod(p, 0o600)
    k = load_keys("binance-testnet", {}, p)
    assert k.secret == SECRET
    with pytest.raises(KeyLoadError, match=r"no \[bybit\] table"):
        load_keys("bybit", {}, p)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(tmp_path, mode):
    p = tmp_path / "keys.toml"
    p.write_text(FILE)
    os.chmod(p, mode)
    with pytest.raises(KeyLoadError, match="chmod 600") as e:
        load_keys("binance-testnet", {}, p)
    assert SECRET not in str(e.value) and API_KEY not in str(e.value)


def test_broken_key_file_error_does_not_quote_the_file(tmp_path):
    p = tmp_path / "keys.toml"
    p.write_text(f'[binance-testnet]\napi_key = "{API_KEY}\napi_secret = {SECRET}\n')
    os.chmod(p, 0o600)
    with pytest.raises(KeyLoadError) as e:
        load_keys("binance-testnet", {}, p)
    assert SECRET not in str(e.value) and API_KEY not in str(e.value) and e.value.__cause__ is None


def test_keys_are_redacted_in_repr_str_format_and_refuse_pickling():
    k = ApiKeys(API_KEY, SECRET, "bybit")
    for text in (repr(k), str(k), f"{k}", f"{k!r}", repr([k]), k.fingerprint()):
        assert API_KEY not in text and SECRET not in text
    assert k.redact(f"sig origin {API_KEY} and {SECRET}") == "sig origin *** and ***"
    with pytest.raises(TypeError):
        pickle.dumps(k)


@pytest.mark.parametrize("venue", ["binance", "bybit"])
async def test_secret_never_in_logs_reprs_errors_or_results(venue, caplog):
    """Run the noisy paths (skew, dropped connection, bad signature echoing the signed string,
    rejects, alerts) with every logger at DEBUG and look for the key and the secret everywhere."""
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    async with rig(venue) as r:
        r.broker._on_alert = seen.append
        r.fake.clock.skew_ms = 15_000
        r.fake.faults.add(*r.order_path, "drop_after")
        submit_entry(r.engine, "buy", 0.01)
        await r.settle()
        r.fake.faults.add(*r.order_path, "margin")
        from core.engine_commands import Flatten

        r.engine.submit(Flatten("BTC-USDT-PERP"))
        await r.settle()
        seen += [repr(r.broker), str(r.broker.__dict__.get("_keys")), repr(r.engine.trades)]
        seen += r.broker.alerts
        report = await r.broker.flatten_all(max_attempts=1)
        seen.append(repr(report))
    pass_through: list[str] = []
    async with rig(venue, start=False, keys=ApiKeys(API_KEY, "wrong-secret-0000", venue)) as bad:
        with pytest.raises(Exception) as e:  # bad signature: start-up cannot prepare the market
            await bad.broker.start()
        pass_through += [str(e.value), repr(e.value)]
        with pytest.raises(Exception) as e:
            await bad.broker.account_summary()
        pass_through += [str(e.value), repr(e.value)]
    assert all(pass_through)  # the failures happened and said something
    assert (venue == "binance") or "***" in pass_through[0]  # Bybit echoes the signed string: redacted
    blob = "\n".join(seen + pass_through + [rec.getMessage() for rec in caplog.records] + [caplog.text])
    assert SECRET not in blob and API_KEY not in blob and "wrong-secret-0000" not in blob
