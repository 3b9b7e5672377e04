"""API keys for the live venues: from environment variables or an owner-only key file, never shown.

`ApiKeys` hides both halves in repr/str so a key can never leak through a log line, a traceback's
locals or an f-string by accident; code that signs asks for `.api_key` / `.secret` explicitly.
`redact()` scrubs both halves out of any text (exchange error bodies echo parameters back).
"""

from __future__ import annotations

import hashlib
import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path

# venue choice -> prefix of the environment variables holding its keys. Testnet and mainnet keys
# are different keys (the venues reject one on the other), so they never share a variable.
ENV_PREFIX = {
    "binance-testnet": "LIQHUNT_BINANCE_TESTNET",
    "binance": "LIQHUNT_BINANCE",
    "bybit-testnet": "LIQHUNT_BYBIT_TESTNET",
    "bybit": "LIQHUNT_BYBIT",
}


class KeyLoadError(Exception):
    """Keys missing or stored unsafely. Messages name variables and paths, never key material."""


class ApiKeys:
    __slots__ = ("_key", "_secret", "venue")

    def __init__(self, api_key: str, secret: str, venue: str = "") -> None:
        if not api_key or not secret:
            raise KeyLoadError(f"{venue or 'venue'}: api key and secret must both be set")
        self._key = api_key
        self._secret = secret
        self.venue = venue

    @property
    def api_key(self) -> str:
        return self._key

    @property
    def secret(self) -> str:
        return self._secret

    def fingerprint(self) -> str:
        """Enough to tell two keys apart on the confirmation screen without revealing any of either."""
        return "key#" + hashlib.sha256(self._key.encode()).hexdigest()[:8]

    def redact(self, text: str) -> str:
        for s in (self._secret, self._key):
            if s:
                text = text.replace(s, "***")
        return text

    def __repr__(self) -> str:
        return f"ApiKeys(venue={self.venue!r}, api_key=***, secret=***)"

    __str__ = __repr__

    def __reduce__(self):  # pickling would write the secret somewhere we do not control
        raise TypeError("ApiKeys cannot be pickled")


def check_private_file(path: Path) -> None:
    """Refuse a key file that anyone but its owner can read or write (the ssh rule)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise KeyLoadError(f"key file {path} does not exist") from None
    if not stat.S_ISREG(st.st_mode):
        raise KeyLoadError(f"key file {path} is not a regular file")
    if st.st_mode & 0o077:
        raise KeyLoadError(
            f"key file {path} is accessible by group/others (mode {stat.S_IMODE(st.st_mode):o}); run: chmod 600 {path}"
        )


def load_keys(venue: str, env: Mapping[str, str] | None = None, key_file: str | os.PathLike | None = None) -> ApiKeys:
    """Keys for `venue` (e.g. "binance-testnet"): environment variables `<PREFIX>_API_KEY` and
    `<PREFIX>_API_SECRET` first, otherwise a TOML key file with a `[venue]` table holding
    `api_key` and `api_secret`."""
    if venue not in ENV_PREFIX:
        raise KeyLoadError(f"no keys for venue {venue!r}")
    env = os.environ if env is None else env
    prefix = ENV_PREFIX[venue]
    key, secret = env.get(f"{prefix}_API_KEY", ""), env.get(f"{prefix}_API_SECRET", "")
    if key or secret:
        if not (key and secret):
            raise KeyLoadError(f"set both {prefix}_API_KEY and {prefix}_API_SECRET")
        return ApiKeys(key.strip(), secret.strip(), venue)
    if key_file is None:
        raise KeyLoadError(f"no keys for {venue}: set {prefix}_API_KEY and {prefix}_API_SECRET, or use a key file")
    path = Path(key_file).expanduser()
    check_private_file(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError:
        # the decoder's message quotes the offending line, which may hold key material
        raise KeyLoadError(f"key file {path} is not valid TOML") from None
    table = data.get(venue)
    if not isinstance(table, dict) or not table.get("api_key") or not table.get("api_secret"):
        raise KeyLoadError(f"key file {path} has no [{venue}] table with api_key and api_secret")
    return ApiKeys(str(table["api_key"]).strip(), str(table["api_secret"]).strip(), venue)
