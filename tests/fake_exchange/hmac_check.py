"""HMAC-SHA256 written out from RFC 2104 over hashlib.sha256, deliberately not using the `hmac`
module the broker signs with, so the fake verifies signatures independently."""

from __future__ import annotations

import hashlib

_BLOCK = 64


def hmac_sha256_hex(key: bytes, msg: bytes) -> str:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + msg).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in key) + inner).hexdigest()
