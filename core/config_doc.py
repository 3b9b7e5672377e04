"""docs/configuration.md, generated from the config dataclasses so the reference cannot drift.

Regenerate with `liqhunt config --reference > docs/configuration.md`; a test fails when the
file and this output differ.
"""

from __future__ import annotations

from core.config import config_reference

_INTRO = """\
# Configuration

One TOML file; `liqhunt config --defaults` prints every key with its default and meaning,
`liqhunt config --check FILE` validates one. An unknown key, a wrong type or an out-of-range
value is an error naming the key and the reason, e.g. `risk.max_open_positions: must be ≥ 0, got -1`.
Pass it with `--config FILE` to any command.

This page is generated from the code (`liqhunt config --reference > docs/configuration.md`);
`tests/test_docs_config.py` fails when it drifts.
"""


def configuration_markdown() -> str:
    """The whole of docs/configuration.md: the intro, then one table row per key."""
    lines = [_INTRO, "| key | default | meaning |", "|---|---|---|"]
    for key, default, meaning in config_reference():
        cell = meaning.replace("|", r"\|")
        lines.append(f"| `{key}` | `{default}` | {cell} |")
    return "\n".join(lines) + "\n"
