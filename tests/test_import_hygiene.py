"""core/ never imports the screen or, in the engine modules, the network."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import core

ENGINE_MODULES = [
    "core.engine",
    "core.rolling_window",
    "core.cascade_score",
    "core.signals",
    "core.sizing",
    "core.risk",
    "core.positions",
    "core.brokers.paper",
    "core.config",
    "core.events",
]


def _loaded_after_import(mods: list[str]) -> set[str]:
    # httpx imports its command-line tool (rich, pygments) whenever click is installed, which
    # import-linter brings; blocking that one module keeps the check about core's own imports
    code = (
        "import sys\nsys.modules['httpx._main'] = None\n"
        + "".join(f"import {m}\n" for m in mods)
        + "print('\\n'.join(k for k, v in sys.modules.items() if v is not None))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_core_never_imports_textual_rich_or_tui():
    mods = [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
    loaded = _loaded_after_import(mods)
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "rich", "tui", "bench")}


def test_engine_modules_never_import_network_libraries():
    loaded = _loaded_after_import(ENGINE_MODULES)
    assert not {m for m in loaded if m.split(".")[0] in ("websockets", "httpx", "textual", "tui")}


def test_core_and_tui_have_no_import_cycles():
    """Not even through TYPE_CHECKING imports: each module can be read knowing only what it imports."""
    import grimp  # import-linter's graph library (dev extra)

    graph = grimp.build_graph("core", "tui", exclude_type_checking_imports=False, cache_dir=None)
    edges = {m: {w for w in graph.find_modules_directly_imported_by(m) if w in graph.modules} for m in graph.modules}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        path.append(module)
        for nxt in sorted(edges[module]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[module] = 2

    for module in sorted(graph.modules):
        if module not in state:
            visit(module, [])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)
