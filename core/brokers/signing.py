"""Request signing for the live venues, as pure functions so the documented test vectors can pin them.

Binance USDⓈ-M: signature = hex HMAC-SHA256(secret, totalParams), where totalParams is the query
string followed by the form body, exactly as sent (order preserved, `signature` appended last).
Bybit v5: signature = hex HMAC-SHA256(secret, timestamp + apiKey + recvWindow + payload), where
payload is the raw query string (GET) or the exact JSON body bytes (POST).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from urllib.parse import urlencode


def hmac_sha256_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def encode_params(params: Mapping[str, object]) -> str:
    """`k=v&k=v` in insertion order. Both venues sign the string as sent, so the order we build is
    the order we sign; booleans are lower-case words because that is what both venues expect."""

    def text(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    return urlencode([(k, text(v)) for k, v in params.items() if v is not None])


def binance_signature(secret: str, total_params: str) -> str:
    return hmac_sha256_hex(secret, total_params)


def binance_signed_query(secret: str, params: Mapping[str, object], timestamp_ms: int, recv_window_ms: int) -> str:
    """The full query (or body) to send: params, recvWindow, timestamp, then signature last."""
    q = encode_params({**params, "recvWindow": recv_window_ms, "timestamp": timestamp_ms})
    return f"{q}&signature={binance_signature(secret, q)}"


def bybit_signature(secret: str, timestamp_ms: int | str, api_key: str, recv_window_ms: int | str, payload: str) -> str:
    return hmac_sha256_hex(secret, f"{timestamp_ms}{api_key}{recv_window_ms}{payload}")


def bybit_json_body(body: Mapping[str, object]) -> str:
    """Compact JSON; the exact string is both signed and sent, so it must never be re-serialised."""
    return json.dumps(body, separators=(",", ":"))


def bybit_headers(api_key: str, secret: str, timestamp_ms: int, recv_window_ms: int, payload: str) -> dict[str, str]:
    return {
        "X-BAPI-API-KEY": api_key,
        "X-BAPI-TIMESTAMP": str(timestamp_ms),
        "X-BAPI-RECV-WINDOW": str(recv_window_ms),
        "X-BAPI-SIGN": bybit_signature(secret, timestamp_ms, api_key, recv_window_ms, payload),
    }
