"""Property tests for the config loader: whatever a file holds, the result is a valid Config or a
ConfigError naming the key and the reason. Never another exception, never a NaN let through."""

from __future__ import annotations

import math
from dataclasses import fields

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import Config, ConfigError, dump_config
from core.config_load import config_from_dict, load_config

FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
SECTIONS = {s.name: [f.name for f in fields(getattr(Config(), s.name))] for s in fields(Config())}

hostile_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["nan", "inf", "1e400", "ride", "fade", "both", "long", "short", "BTC-USDT-PERP=fade", "liq-dark"]),
)
values = st.recursive(
    hostile_scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=8), st.dictionaries(st.text(max_size=6), kids, max_size=3)),
    max_leaves=12,
)


@st.composite
def config_dicts(draw):
    data = {}
    for section in draw(st.lists(st.sampled_from(sorted(SECTIONS) + ["bogus"]), max_size=4, unique=True)):
        keys = SECTIONS.get(section, ["x"]) + ["unknown_key"]
        body = {k: draw(values) for k in draw(st.lists(st.sampled_from(keys), max_size=5, unique=True))}
        data[section] = body if draw(st.integers(0, 20)) else draw(values)  # now and then not a table at all
    return data


def assert_valid(cfg: Config) -> None:
    for sec in fields(cfg):
        obj = getattr(cfg, sec.name)
        for f in fields(obj):
            v = getattr(obj, f.name)
            items = v if isinstance(v, list) else [v]
            for x in items:
                if isinstance(x, float):
                    assert math.isfinite(x), f"{sec.name}.{f.name} = {x}"
            lo, hi = f.metadata.get("lo"), f.metadata.get("hi")
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                assert lo is None or v >= lo, f"{sec.name}.{f.name}"
                assert hi is None or v <= hi, f"{sec.name}.{f.name}"


@FUZZ
@given(config_dicts())
def test_any_config_dict_gives_a_valid_config_or_a_config_error_naming_the_key(data):
    try:
        cfg = config_from_dict(data)
    except ConfigError as exc:
        assert exc.key and exc.reason
        top = exc.key.split(".")[0]
        assert top in data or exc.key == "(top)" or top in SECTIONS, exc.key
        return
    assert_valid(cfg)


@FUZZ
@given(st.one_of(st.text(max_size=300), st.builds(lambda d: dump_config(Config()) + d, st.text(max_size=60))))
def test_any_file_text_loads_or_fails_with_a_config_error(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("cfg") / "liqhunt.toml"
    p.write_text(text, encoding="utf-8")
    try:
        assert_valid(load_config(p))
    except ConfigError as exc:
        assert exc.key and exc.reason


def test_huge_integers_and_nan_in_number_lists_are_config_errors():
    for data, key in [
        ({"risk": {"max_notional_per_trade_usd": 10**400}}, "risk.max_notional_per_trade_usd"),
        ({"heatmap": {"leverage_weights": [float("nan")] * 7}}, "heatmap.leverage_weights"),
        ({"heatmap": {"leverage_weights": [10**400] + [0.1] * 6}}, "heatmap.leverage_weights"),
    ]:
        try:
            config_from_dict(data)
        except ConfigError as exc:
            assert exc.key == key, exc
        else:
            raise AssertionError(f"{key} accepted {data}")
