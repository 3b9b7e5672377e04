"""core/ never imports the screen or, in the engine modules, the network."""
from __future__ import annotations

import pkgutil
import subprocess
import sys

import core

ENGINE_MODULES = ["core.engine", "core.rolling_window", "core.cascade_score", "core.signals", "core.sizing",
                  "core.risk", "core.positions", "core.brokers.paper", "core.config", "core.events"]


def _loaded_after_import(mods: list[str]) -> set[str]:
    # httpx imports its command-line tool (rich, pygments) whenever click is installed, which
    # import-linter brings; blocking that one module keeps the check about core's own imports
    code = ("import sys\nsys.modules['httpx._main'] = None\n" + "".join(f"import {m}\n" for m in mods)
            + "print('\\n'.join(k for k, v in sys.modules.items() if v is not None))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_core_never_imports_textual_or_tui():
    # rich is left out on purpose: httpx imports it (with click) for its own CLI when both are
    # installed, which says nothing about core; core's own imports of rich are for progress bars
    mods = [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
    loaded = _loaded_after_import(mods)
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "tui", "bench")}


def test_engine_modules_never_import_network_libraries():
    loaded = _loaded_after_import(ENGINE_MODULES)
    assert not {m for m in loaded if m.split(".")[0] in ("websockets", "httpx", "textual", "tui")}
