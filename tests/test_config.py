"""Config: defaults round-trip, and bad files name the key and the reason."""

from __future__ import annotations

import pytest

from core.cli import main
from core.config import Config, ConfigError, dump_config
from core.config_load import config_from_dict, load_config


def test_defaults_round_trip_through_toml(tmp_path):
    p = tmp_path / "c.toml"
    p.write_text(dump_config(Config(), with_docs=True))
    assert load_config(p) == Config()


@pytest.mark.parametrize(
    "data,key,reason",
    [
        ({"risk": {"max_open_positions": -1}}, "risk.max_open_positions", "≥ 0"),
        ({"risk": {"max_open_positionz": 3}}, "risk.max_open_positionz", "unknown key"),
        ({"riskk": {}}, "riskk", "unknown section"),
        ({"signal": {"score_min": "seven"}}, "signal.score_min", "must be a number"),
        ({"filters": {"sides": ["up"]}}, "filters.sides", "'up' is not one of"),
        ({"exits": {"stop_min_pct": 2.0, "stop_max_pct": 1.0}}, "exits.stop_min_pct", "must not exceed"),
        ({"risk": {"block_on_stale_feed": 1}}, "risk.block_on_stale_feed", "true or false"),
    ],
)
def test_bad_values_name_the_key_and_reason(data, key, reason):
    with pytest.raises(ConfigError) as e:
        config_from_dict(data)
    assert e.value.key == key and reason in e.value.reason


def test_config_check_command_reports_the_key(tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_text("[risk]\ndaily_loss_limit_usd = 'lots'\n")
    assert main(["config", "--check", str(p)]) == 1
    assert "risk.daily_loss_limit_usd" in capsys.readouterr().err


def test_config_defaults_command_prints_every_section(capsys):
    assert main(["config", "--defaults"]) == 0
    out = capsys.readouterr().out
    for sec in ("[window]", "[signal]", "[risk]", "[exits]", "[broker]"):
        assert sec in out


def test_unreadable_and_invalid_toml_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    p = tmp_path / "x.toml"
    p.write_text("[risk\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(p)


def test_live_section_reaches_the_live_broker_settings():
    from core.brokers.factory import settings_from_config

    cfg = config_from_dict(
        {
            "live": {"default_leverage": 3.0, "leverage": ["BTC-USDT-PERP=5"], "margin_mode": "cross"},
            "risk": {"max_notional_per_trade_usd": 1234.0},
        }
    )
    s = settings_from_config(cfg)
    assert s.leverage_for("BTC-USDT-PERP") == 5.0 and s.leverage_for("ETH-USDT-PERP") == 3.0
    assert s.margin_mode == "cross" and s.max_notional_per_trade_usd == 1234.0


def test_bad_live_leverage_names_the_key():
    with pytest.raises(ConfigError) as e:
        config_from_dict({"live": {"leverage": ["BTC=lots"]}})
    assert e.value.key == "live.leverage"
