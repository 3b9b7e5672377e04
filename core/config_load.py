"""Reading a config: the TOML file (through core.config_guard's file checks) or a dict, checked
key by key against the dataclasses in core.config (type, range, choices) and then across keys.
An unknown key, a wrong type or a value out of range raises `ConfigError` naming the key.
"""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from core.config import Config, check_heatmap_relations
from core.config_guard import ConfigError, check_conflicts, parse_toml, read_config_text, shown
from core.playbook_names import PLAYBOOK_CHOICES


def load_config(path: str | Path | None) -> Config:
    """Defaults when `path` is None; otherwise the file, strictly validated."""
    if path is None:
        return Config()
    # the file type is checked before opening (a FIFO never blocks); bytes, nesting and huge
    # integers are one-line errors naming the file
    return config_from_dict(parse_toml(read_config_text(path), str(path)))


def _finite(key: str, value: int | float) -> float:
    try:
        f = float(value)
    except OverflowError:  # a TOML integer with hundreds of digits
        raise ConfigError(key, "number too large") from None
    if not math.isfinite(f):
        raise ConfigError(key, "must be finite")
    return f


def _check_value(key: str, value: Any, hint: Any, meta: dict) -> Any:
    origin = get_origin(hint)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"must be true or false, got {shown(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"must be a whole number, got {shown(value)}")
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, f"must be a number, got {shown(value)}")
        value = _finite(key, value)
    elif hint is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"must be a string, got {shown(value)}")
    elif origin is list:
        (item,) = get_args(hint)
        accepts = (int, float) if item is float else item
        if not isinstance(value, list) or not all(isinstance(v, accepts) and not isinstance(v, bool) for v in value):
            raise ConfigError(key, f"must be a list of {item.__name__}, got {shown(value)}")
        if item is float:
            value = [_finite(key, v) for v in value]
        if meta.get("choices"):
            bad = [v for v in value if v not in meta["choices"]]
            if bad:
                raise ConfigError(key, f"{bad[0]!r} is not one of {', '.join(meta['choices'])}")
        return list(value)
    lo, hi, choices = meta.get("lo"), meta.get("hi"), meta.get("choices")
    if lo is not None and value < lo:
        raise ConfigError(key, f"must be ≥ {lo}, got {shown(value)}")
    if hi is not None and value > hi:
        raise ConfigError(key, f"must be ≤ {hi}, got {shown(value)}")
    if choices and value not in choices:
        raise ConfigError(key, f"must be one of {', '.join(map(str, choices))}, got {shown(value)}")
    return value


def config_from_dict(data: dict) -> Config:
    if not isinstance(data, dict):
        raise ConfigError("(top)", "config must be a table")
    cfg = Config()
    section_hints = get_type_hints(Config)
    for section, body in data.items():
        if section not in section_hints:
            raise ConfigError(section, f"unknown section (known: {', '.join(section_hints)})")
        if not isinstance(body, dict):
            raise ConfigError(section, "must be a table, e.g. [" + section + "]")
        target = getattr(cfg, section)
        hints = get_type_hints(type(target))
        metas = {f.name: f.metadata for f in fields(target)}
        for key, value in body.items():
            full = f"{section}.{key}"
            if key not in hints:
                raise ConfigError(full, f"unknown key (known: {', '.join(hints)})")
            setattr(target, key, _check_value(full, value, hints[key], dict(metas[key])))
    _check_relations(cfg)
    return cfg


def _check_relations(cfg: Config) -> None:
    if cfg.exits.stop_min_pct > cfg.exits.stop_max_pct:
        raise ConfigError("exits.stop_min_pct", "must not exceed exits.stop_max_pct")
    if cfg.signal.entry_delay_min_s > cfg.signal.entry_delay_max_s:
        raise ConfigError("signal.entry_delay_min_s", "must not exceed signal.entry_delay_max_s")
    if cfg.score.size_floor_usd >= cfg.score.size_full_usd:
        raise ConfigError("score.size_floor_usd", "must be below score.size_full_usd")
    _check_playbook_markets(cfg)
    check_heatmap_relations(cfg.heatmap)
    for item in cfg.live.leverage:
        market, sep, lev = item.partition("=")
        try:
            ok = bool(sep and market) and 1 <= float(lev) <= 125
        except ValueError:
            ok = False
        if not ok:
            raise ConfigError("live.leverage", f"{item!r} must look like 'BTC-USDT-PERP=3' (1–125)")
    check_conflicts(cfg)
    s = cfg.score
    if s.w_speed + s.w_size + s.w_proximity + s.w_funding + s.w_oi <= 0:
        raise ConfigError("score.w_speed", "at least one score weight must be positive")


def _check_playbook_markets(cfg: Config) -> None:
    for item in cfg.playbook.markets:
        market, sep, pb = item.partition("=")
        if not sep or not market or pb not in PLAYBOOK_CHOICES:
            raise ConfigError(
                "playbook.markets", f"{item!r} must look like 'BTC-USDT-PERP=fade' ({', '.join(PLAYBOOK_CHOICES)})"
            )
