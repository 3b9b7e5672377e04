"""`liqhunt doctor`: checks what a session depends on and says what to fix.

Each check gives OK, WARN or FAIL with a sentence and, when not OK, the fix. Nothing here changes
state: the journal check writes a probe file beside the journal and removes it; the key file is
checked for its mode and shape, its contents are never printed.
"""

from __future__ import annotations

import locale
import os
import shutil
import sqlite3
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

OK, WARN, FAIL = "OK", "WARN", "FAIL"

# where each venue says what time it is (public, no key); tests point these at 127.0.0.1
TIME_URLS = {
    "binance": "https://fapi.binance.com/fapi/v1/time",
    "bybit": "https://api.bybit.com/v5/market/time",
}
CLOCK_WARN_MS = 500.0  # live brokers resync, but signals and lag figures drift
CLOCK_FAIL_MS = 5000.0  # beyond the venues' default receive window: signed orders get rejected
MIN_SIZE = (80, 24)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # OK | WARN | FAIL
    detail: str
    fix: str = ""


def check_config(path: str | None) -> Check:
    from core.config import ConfigError
    from core.config_load import load_config

    if not path:
        return Check("config", OK, "no --config: built-in defaults (see `liqhunt config --defaults`)")
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        return Check(
            "config", FAIL, f"{exc.key}: {exc.reason}", f"edit {path}: fix {exc.key} (`liqhunt config --check {path}`)"
        )
    r = cfg.risk
    return Check(
        "config",
        OK,
        f"{path} valid (hash {cfg.digest()}); caps ${r.max_notional_per_trade_usd:,.0f}/trade, "
        f"${r.max_total_notional_usd:,.0f} total, daily loss ${r.daily_loss_limit_usd:,.0f}",
    )


def check_key_file(path: str | None, env: Mapping[str, str] | None = None) -> Check:
    from core.brokers.keys import ENV_PREFIX, KeyLoadError, check_private_file

    env = os.environ if env is None else env
    if not path:
        in_env = sorted({p for p in ENV_PREFIX.values() if env.get(f"{p}_API_KEY")})
        if in_env:
            return Check("key file", OK, f"no --key-file; keys in the environment for {', '.join(in_env)}")
        return Check("key file", OK, "no --key-file and no key variables: paper trading only")
    p = Path(path).expanduser()
    try:
        check_private_file(p)
    except KeyLoadError as exc:
        return Check(
            "key file",
            FAIL,
            str(exc),
            f"chmod 600 {p}" if "accessible" in str(exc) else "point --key-file at your key file",
        )
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return Check(
            "key file", FAIL, f"{p} is not valid TOML", "one [venue] table per venue with api_key and api_secret"
        )
    except OSError as exc:
        return Check("key file", FAIL, f"cannot read {p}: {exc.strerror}", f"check the owner of {p}")
    venues = sorted(
        v
        for v, t in data.items()
        if v in ENV_PREFIX and isinstance(t, dict) and t.get("api_key") and t.get("api_secret")
    )
    if not venues:
        return Check(
            "key file",
            WARN,
            f"{p} is private but has no complete [venue] table",
            f"add e.g. [binance-testnet] with api_key and api_secret (venues: {', '.join(ENV_PREFIX)})",
        )
    return Check("key file", OK, f"{p} mode 600, keys for {', '.join(venues)}")


def _server_ms(venue: str, body: object) -> float:
    if venue == "binance":
        return float(body["serverTime"])  # type: ignore[index]
    res = body.get("result") or {}  # type: ignore[attr-defined]
    if res.get("timeNano"):
        return int(res["timeNano"]) / 1e6
    return float(body["time"])  # type: ignore[index]


def check_clock(
    venues: list[str],
    urls: Mapping[str, str] | None = None,
    timeout: float = 3.0,
    now_ms: Callable[[], float] | None = None,
) -> list[Check]:
    """Our clock against each venue's server time (half the round trip corrected); unreachable is a WARN."""
    import httpx

    urls = {**TIME_URLS, **(urls or {})}
    now_ms = now_ms or (lambda: time.time() * 1000.0)
    out = []
    with httpx.Client(timeout=timeout) as client:
        for venue in venues:
            url = urls.get(venue)
            if url is None:
                out.append(Check(f"clock {venue}", OK, "no time endpoint for this venue; not checked"))
                continue
            try:
                t0 = now_ms()
                resp = client.get(url)
                t1 = now_ms()
                resp.raise_for_status()
                offset = _server_ms(venue, resp.json()) - (t0 + t1) / 2
            except (httpx.HTTPError, OSError) as exc:
                out.append(
                    Check(
                        f"clock {venue}",
                        WARN,
                        f"cannot reach {url} ({type(exc).__name__})",
                        "check the network; offline use needs no venue (demo, replay)",
                    )
                )
                continue
            except (ValueError, KeyError, TypeError, AttributeError):
                out.append(Check(f"clock {venue}", WARN, f"{url} answered something that is not its server time"))
                continue
            what = f"offset {offset:+.0f} ms (round trip {t1 - t0:.0f} ms)"
            if abs(offset) >= CLOCK_FAIL_MS:
                out.append(
                    Check(
                        f"clock {venue}",
                        FAIL,
                        what + ": signed orders would be rejected",
                        "sync the clock: `sudo timedatectl set-ntp true` or run chrony/ntpd",
                    )
                )
            elif abs(offset) >= CLOCK_WARN_MS:
                out.append(
                    Check(
                        f"clock {venue}", WARN, what, "enable NTP (timedatectl set-ntp true) so lag figures stay true"
                    )
                )
            else:
                out.append(Check(f"clock {venue}", OK, what))
    return out


def check_journal(path: str | None = None) -> Check:
    """The journal's directory is writable and SQLite can open a WAL database there."""
    from core.journal.paths import MEMORY, default_journal_path

    if path == MEMORY:
        return Check(
            "journal",
            WARN,
            "in memory: nothing survives a restart",
            "pass --journal PATH to keep positions across restarts",
        )
    p = Path(path).expanduser() if path else default_journal_path()
    d = p.parent
    existing = next((a for a in (d, *d.parents) if a.exists()), None)
    if existing is None or not existing.is_dir():
        return Check(
            "journal", FAIL, f"{d} cannot be a directory ({existing} is not one)", "choose another --journal path"
        )
    if not d.exists():
        if not os.access(existing, os.W_OK | os.X_OK):
            return Check(
                "journal",
                FAIL,
                f"{d} does not exist and {existing} is not writable",
                f"mkdir -p {d} (as a user who can)",
            )
        return Check("journal", OK, f"{p} (directory will be created)")
    probe = d / f".liqhunt-doctor-{os.getpid()}.sqlite"
    try:
        db = sqlite3.connect(probe, timeout=2.0)
        try:
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            db.execute("CREATE TABLE t (x)")
            db.execute("INSERT INTO t VALUES (1)")
            db.commit()
        finally:
            db.close()
        if p.exists():  # the journal itself: can we take its write lock?
            db = sqlite3.connect(p, timeout=2.0, isolation_level=None)
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
            finally:
                db.close()
    except sqlite3.Error as exc:
        return Check(
            "journal",
            FAIL,
            f"cannot write a SQLite database in {d}: {exc}",
            "free disk space, remount read-write, or choose another --journal path",
        )
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{probe}{suffix}").unlink(missing_ok=True)
    if mode.lower() != "wal":
        return Check(
            "journal",
            WARN,
            f"{d}: SQLite refused WAL (journal_mode={mode}); network filesystem?",
            "keep the journal on a local disk",
        )
    return Check("journal", OK, f"{p} writable, WAL ok" + ("" if p.exists() else " (new file)"))


def check_terminal(
    env: Mapping[str, str] | None = None, size: tuple[int, int] | None = None, encoding: str | None = None
) -> list[Check]:
    env = os.environ if env is None else env
    cols, rows = size or tuple(shutil.get_terminal_size((0, 0)))
    encoding = encoding or locale.getpreferredencoding(False)
    term = env.get("TERM", "")
    out = []
    if not term or term == "dumb":
        out.append(
            Check(
                "terminal",
                WARN,
                f"TERM={term or '(unset)'}: no full-screen console here",
                "run in a real terminal (TERM=xterm-256color), or use the headless commands",
            )
        )
    else:
        out.append(Check("terminal", OK, f"TERM={term}"))
    colorterm = env.get("COLORTERM", "").lower()
    if "NO_COLOR" in env:
        out.append(Check("colours", OK, "NO_COLOR set: the ansi theme, long/short shown by ▲/▼ and words"))
    elif colorterm in ("truecolor", "24bit"):
        out.append(Check("colours", OK, "truecolor"))
    elif "256" in term:
        out.append(
            Check(
                "colours",
                OK,
                "256 colours (themes are approximated)",
                "set COLORTERM=truecolor if your terminal supports it",
            )
        )
    else:
        out.append(
            Check(
                "colours",
                WARN,
                "16 colours at most",
                "use --theme ansi-dark, or a terminal with 256 colours / truecolor",
            )
        )
    if cols <= 0 or rows <= 0:
        out.append(
            Check(
                "size", WARN, "not a terminal: size unknown", f"the console needs at least {MIN_SIZE[0]}×{MIN_SIZE[1]}"
            )
        )
    elif cols < MIN_SIZE[0] or rows < MIN_SIZE[1]:
        out.append(
            Check(
                "size",
                WARN,
                f"{cols}×{rows}, below {MIN_SIZE[0]}×{MIN_SIZE[1]}",
                "enlarge the window or reduce the font size",
            )
        )
    else:
        out.append(Check("size", OK, f"{cols}×{rows}"))
    if encoding.replace("-", "").lower() != "utf8":
        out.append(
            Check(
                "locale",
                WARN,
                f"encoding {encoding}: the ▼/▲ glyphs may not show",
                "export LANG=C.UTF-8 (or en_US.UTF-8)",
            )
        )
    else:
        out.append(Check("locale", OK, "UTF-8"))
    return out


def run_checks(
    config: str | None = None,
    key_file: str | None = None,
    journal: str | None = None,
    venues: list[str] | None = None,
    offline: bool = False,
    time_urls: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    size: tuple[int, int] | None = None,
    encoding: str | None = None,
) -> list[Check]:
    checks = [check_config(config), check_key_file(key_file, env)]
    if offline:
        checks.append(Check("clock", OK, "--offline: venue clocks not checked"))
    else:
        checks.extend(check_clock(venues or ["binance", "bybit"], time_urls))
    checks.append(check_journal(journal))
    checks.extend(check_terminal(env, size, encoding))
    return checks


def report(checks: list[Check]) -> list[str]:
    lines = []
    for c in checks:
        lines.append(f"{c.status:<4}  {c.name:<14} {c.detail}")
        if c.fix and c.status != OK:
            lines.append(f"      {'':<14} fix: {c.fix}")
    fails, warns = sum(c.status == FAIL for c in checks), sum(c.status == WARN for c in checks)
    lines.append(f"{fails} failed, {warns} warning(s), {len(checks) - fails - warns} ok")
    return lines


def exit_code(checks: list[Check]) -> int:
    return 1 if any(c.status == FAIL for c in checks) else 0
