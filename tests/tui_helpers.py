"""Plain-text screen dumps for assertions (uses Textual's private compositor API, verified on 8.2.8)."""

from __future__ import annotations

import io

from rich.console import Console


def screen_text(app) -> str:
    c = Console(
        width=app.size.width,
        height=app.size.height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=None,
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    c.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return c.export_text()
