"""Every test the docs cite as proof (`tests/x.py::test_y`, `::test_y` after it, or a bare
`test_y` in a table) exists, so a renamed test cannot leave a rail without its proof."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITATION = re.compile(r"(tests/[\w/]+\.py)?::(test_\w+)|`(test_\w+)`")
NOT_TESTS = {"test_request"}  # Deribit's heartbeat method, named in docs/venues.md


def _tests_by_file() -> dict[str, set[str]]:
    out = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        out[path.relative_to(ROOT).as_posix()] = {
            n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
    return out


def test_every_test_the_docs_cite_exists():
    tests = _tests_by_file()
    anywhere = set().union(*tests.values())
    missing = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        current = None  # `::test_y` cites a test in the file named last
        for m in CITATION.finditer(doc.read_text(encoding="utf-8")):
            path, name = m.group(1), m.group(2) or m.group(3)
            current = path or current
            if path and path not in tests:
                missing.append(f"{doc.name}: {path}")
            elif m.group(2) and current and name not in tests.get(current, set()):
                missing.append(f"{doc.name}: {current}::{name}")
            elif m.group(3) and name not in anywhere and name not in NOT_TESTS:
                missing.append(f"{doc.name}: {name}")
    assert not missing, "\n".join(missing)


def test_every_relative_link_in_the_docs_points_at_a_file():
    link = re.compile(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)")  # ](path) or ](path#anchor); URLs have a scheme
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in link.findall(doc.read_text(encoding="utf-8")):
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert not broken, "\n".join(broken)
