"""docs/console.md's keys and glyphs are generated from the console's own help; they must not drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.console_doc import END, START, keys_markdown, with_keys
from tui.views import HELP_KEYS

DOC = Path(__file__).resolve().parent.parent / "docs" / "console.md"


def test_console_doc_keys_match_the_help_screen():
    text = DOC.read_text(encoding="utf-8")
    assert text == with_keys(text), "docs/console.md keys are stale: run `python -m tui.console_doc docs/console.md`"


def test_every_help_key_is_in_the_generated_section():
    section = keys_markdown()
    for _title, keys in HELP_KEYS:
        for key, _what in keys:
            assert f"| `{key}` |" in section, key


def test_a_doc_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="markers"):
        with_keys("# The console\n")
    assert with_keys(f"a\n{START}\nold\n{END}\nb\n") == f"a\n{START}\n{keys_markdown()}{END}\nb\n"
