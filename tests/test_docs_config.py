"""docs/configuration.md is generated from the config dataclasses; it must not drift from them."""

from __future__ import annotations

from pathlib import Path

from core.commands import config_cmd
from core.config import config_reference
from core.config_doc import configuration_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_configuration_doc_matches_the_code():
    assert DOC.read_text(encoding="utf-8") == configuration_markdown(), (
        "docs/configuration.md is stale: run `liqhunt config --reference > docs/configuration.md`"
    )


def test_reference_lists_every_key_once_with_its_default():
    text = configuration_markdown()
    for key, default, _meaning in config_reference():
        assert text.count(f"| `{key}` | `{default}` |") == 1, key


def test_config_reference_command_prints_the_doc(capsys):
    parser_args = config_cmd.argparse.Namespace(defaults=False, reference=True, check=None)
    assert config_cmd.run(parser_args) == 0
    assert capsys.readouterr().out == configuration_markdown()
