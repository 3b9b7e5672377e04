"""core/ has no import cycles: the modules form a graph that can be read (and changed) bottom-up.

Read from the source with `ast`, nothing is imported. An edge is any import statement in a module:
at module level, under `if TYPE_CHECKING:` and inside functions too, since a function-level import
is how a cycle hides (the broker's watcher used one to reach the reconciliation, which imported
the broker).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "core"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in (ROOT / PACKAGE).rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # `from pkg import name`: the submodule when `name` is one, else the package itself
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            else:
                continue
            for t in targets:
                while t and t not in files and "." in t:
                    t = t.rsplit(".", 1)[0]  # `import core.x.y` as an attribute path: its module
                if t in files and t != mod:
                    graph[mod].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return out


def test_the_cycle_finder_sees_a_cycle_and_a_clean_chain():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_graph_sees_the_brokers_load_time_imports():
    graph = import_graph()
    assert "core.brokers.exchange_exits" in graph["core.brokers.live_base"]
    assert "core.brokers.reconcile" in graph["core.brokers.reconcile_loop"]


def test_core_has_no_import_cycles_not_even_through_function_level_imports():
    assert cycles(import_graph()) == []


def test_live_broker_never_reaches_reconciliation():
    """The broker does not know the engine or the reconciliation: the composition root's
    ReconcileLoop drives it (live_base → exchange_exits → reconcile → live_base was a cycle)."""
    graph = import_graph()
    seen, todo = set(), ["core.brokers.live_base"]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(graph[m])
    assert not seen & {"core.brokers.reconcile", "core.brokers.reconcile_loop", "core.engine"}
