"""Bybit v5 linear (USDT perpetual) broker, one-way position mode (positionIdx 0).

Exchange-side exits are conditional market orders (triggerPrice + triggerDirection, reduceOnly +
closeOnTrigger), so they can be queried and cancelled one by one by orderLinkId; POST
/v5/order/cancel-all without orderFilter cancels them along with ordinary orders.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from core.brokers.filters import SymbolFilters, parse_bybit_instruments, venue_float
from core.brokers.live_base import LiveBroker
from core.brokers.live_errors import (
    AUTH,
    BLOCKED,
    CLOCK,
    DUPLICATE,
    NOT_FOUND,
    RATE_LIMITED,
    REJECTED,
    UNKNOWN,
    VenueError,
)
from core.brokers.live_types import GATE_BUDGET_S, ExchangePosition, ExecReport, ExitKind, TrackedExits
from core.brokers.ratelimit import retry_after_s
from core.brokers.signing import bybit_headers, bybit_json_body, encode_params
from core.brokers.user_stream import bybit_fee
from core.feeds.symbols import bybit_market

MAINNET_URL = "https://api.bybit.com"
TESTNET_URL = "https://api-testnet.bybit.com"
DEMO_URL = "https://api-demo.bybit.com"
MAINNET_STREAM_URL = "wss://stream.bybit.com/v5/private"
TESTNET_STREAM_URL = "wss://stream-testnet.bybit.com/v5/private"
DEMO_STREAM_URL = "wss://stream-demo.bybit.com/v5/private"

_STATUS = {
    "New": "new",
    "PartiallyFilled": "partially_filled",
    "Filled": "filled",
    "Cancelled": "cancelled",
    "PartiallyFilledCanceled": "cancelled",
    "Rejected": "rejected",
    "Untriggered": "untriggered",
    "Triggered": "triggered",
    "Deactivated": "cancelled",
}
_CODE_KIND = {
    10002: CLOCK,
    10003: AUTH,
    10004: AUTH,
    10005: AUTH,
    10006: RATE_LIMITED,
    10016: UNKNOWN,
    110001: NOT_FOUND,
    110072: DUPLICATE,
}


class BybitLinearBroker(LiveBroker):
    _account_mode: tuple[int, str] | None = None

    name = "bybit"
    venue = "bybit"
    # 110017: reduce-only order would increase / qty truncated to zero; 110018-ish codes vary by
    # account type, so the position check after the reject is what really decides
    REDUCE_ONLY_CODES = (110017,)
    STREAM_URLS = {MAINNET_URL: MAINNET_STREAM_URL, TESTNET_URL: TESTNET_STREAM_URL, DEMO_URL: DEMO_STREAM_URL}

    async def _call(self, method: str, path: str, params: dict | None = None, signed: bool = True) -> Any:
        if not await self.gate.acquire(GATE_BUDGET_S.get()):
            raise VenueError(
                RATE_LIMITED, f"rate limited for another {self.gate.wait_s():.0f} s", retry_after_s=self.gate.wait_s()
            )
        params = params or {}
        s = self.settings
        if method == "GET":
            payload = encode_params(params)
            url, content = (f"{path}?{payload}" if payload else path), None
        else:
            payload = bybit_json_body(params)
            url, content = path, payload.encode()  # the exact bytes that were signed
        headers = {"Content-Type": "application/json"}
        if signed:
            headers |= bybit_headers(
                self._keys.api_key, self._keys.secret, self.timestamp_ms(), s.recv_window_ms, payload
            )
        try:
            r = await self._client().request(method, url, content=content, headers=headers)
        except httpx.TimeoutException:
            raise VenueError(UNKNOWN, f"{method} {path}: timed out") from None
        except httpx.HTTPError as e:
            raise VenueError(UNKNOWN, f"{method} {path}: {type(e).__name__}") from None
        hdrs = {k.lower(): v for k, v in r.headers.items()}
        self.gate.note_bybit(hdrs)
        if r.status_code == 403:
            # Bybit answers 403 to IPs in restricted regions (US, mainland China), to an IP not on the
            # key's whitelist, and to an IP over its request limit ("access too frequent", lifted
            # after 10 min). None of these is fixed by retrying soon: refuse, say which it may be.
            raise VenueError(
                BLOCKED,
                f"{method} {path}: HTTP 403 Forbidden — Bybit refuses this IP: a geo-block "
                "(US and mainland China IPs are restricted), an IP not whitelisted for this "
                "key, or the IP request limit (wait 10 min); not retried",
                http_status=403,
            )
        if r.status_code == 429:
            wait = retry_after_s(hdrs, 600.0)
            self.gate.block_for(wait, banned=True)
            raise VenueError(
                RATE_LIMITED,
                f"HTTP {r.status_code} rate limit; retry after {wait:.0f} s",
                http_status=r.status_code,
                retry_after_s=wait,
            )
        if r.status_code >= 500:
            raise VenueError(UNKNOWN, f"{method} {path}: HTTP {r.status_code}", http_status=r.status_code)
        try:
            data = orjson.loads(r.content)
        except orjson.JSONDecodeError:
            raise VenueError(UNKNOWN if r.status_code != 200 else REJECTED, f"{method} {path}: bad response") from None
        code = data.get("retCode", -1)
        if code != 0:
            kind = _CODE_KIND.get(code, REJECTED)
            wait = 0.0
            if kind == RATE_LIMITED:
                reset = hdrs.get("x-bapi-limit-reset-timestamp", "")
                wait = max(0.0, int(reset) / 1000 - self.timestamp_ms() / 1000) if reset.isdigit() else 1.0
                self.gate.block_for(wait)
            raise VenueError(kind, self._keys.redact(str(data.get("retMsg", ""))), code, r.status_code, wait)
        if "time" in data and path == "/v5/market/time":
            return data
        return data.get("result", {})

    def _is_reduce_only_reject(self, err: VenueError) -> bool:
        return err.code in self.REDUCE_ONLY_CODES

    # -- set-up -------------------------------------------------------------------------------
    async def _server_time_ms(self) -> int:
        d = await self._call("GET", "/v5/market/time", signed=False)
        nano = d.get("result", {}).get("timeNano")
        return int(nano) // 1_000_000 if nano else int(d["time"])

    async def _load_filters(self) -> dict[str, SymbolFilters]:
        out: dict[str, SymbolFilters] = {}
        cursor = ""
        for _ in range(50):  # paging guard
            params = {"category": "linear", "limit": 1000, "cursor": cursor or None}
            res = await self._call("GET", "/v5/market/instruments-info", params, signed=False)
            out.update(parse_bybit_instruments(res, bybit_market))
            cursor = res.get("nextPageCursor") or ""
            if not cursor:
                break
        return out

    async def account_mode(self) -> tuple[int, str]:
        """(unifiedMarginStatus, marginMode) from GET /v5/account/info, read once per run:
        1 = classic account; 3-6 = unified trading account (UTA 1.0/2.0, pro), whose margin mode
        (ISOLATED_MARGIN, REGULAR_MARGIN = cross, PORTFOLIO_MARGIN) is one setting for the whole account."""
        if self._account_mode is None:
            res = await self._call("GET", "/v5/account/info")
            self._account_mode = (int(res.get("unifiedMarginStatus") or 0), str(res.get("marginMode") or ""))
        return self._account_mode

    async def _prepare_symbol(self, symbol: str, leverage: float) -> None:
        lev = f"{leverage:g}"
        isolated = self.settings.margin_mode == "isolated"
        status, mode = await self.account_mode()
        if status == 1:  # classic account: margin mode per symbol, as it always was
            try:
                await self._call(
                    "POST",
                    "/v5/position/switch-isolated",
                    {
                        "category": "linear",
                        "symbol": symbol,
                        "tradeMode": 1 if isolated else 0,
                        "buyLeverage": lev,
                        "sellLeverage": lev,
                    },
                )
            except VenueError as e:
                if e.code != 110026:  # margin mode not modified
                    raise
        else:
            # unified account: the margin mode is the account's, shared by everything it trades;
            # switch-isolated is not supported and set-margin-mode would change the user's whole
            # account. Never switch it unasked: trade only if it already is what the config says.
            ok = mode == "ISOLATED_MARGIN" if isolated else mode in ("REGULAR_MARGIN", "PORTFOLIO_MARGIN")
            if not ok:
                raise VenueError(
                    REJECTED,
                    f"the Bybit unified account is in {mode or 'an unknown'} margin mode for the "
                    f"whole account and [live] margin_mode is {self.settings.margin_mode}; "
                    "liqhunt does not switch an account's margin mode. Set [live] margin_mode = "
                    f'"{"cross" if isolated else "isolated"}" or change the account\'s margin '
                    "mode on Bybit yourself",
                )
        try:
            await self._call(
                "POST",
                "/v5/position/set-leverage",
                {"category": "linear", "symbol": symbol, "buyLeverage": lev, "sellLeverage": lev},
            )
        except VenueError as e:
            if e.code != 110043:  # leverage not modified
                raise

    # -- orders -------------------------------------------------------------------------------
    @staticmethod
    def _report(d: dict) -> ExecReport:
        qty = venue_float(d.get("cumExecQty"))
        status = _STATUS.get(str(d.get("orderStatus")), "new")
        if status == "cancelled" and qty > 0:
            status = "filled"  # PartiallyFilledCanceled: a market order that filled what it could
        return ExecReport(
            str(d.get("orderLinkId", "")),
            status,
            qty,
            venue_float(d.get("avgPrice")),
            bybit_fee(d),
            str(d.get("orderId", "")),
        )

    async def _send_market(self, symbol, side, qty, reduce_only, client_id) -> ExecReport:
        body = {
            "category": "linear",
            "symbol": symbol,
            "side": "Buy" if side == "buy" else "Sell",
            "orderType": "Market",
            "qty": qty,
            "positionIdx": 0,
            "orderLinkId": client_id,
        }
        if reduce_only:
            body["reduceOnly"] = True
        d = await self._call("POST", "/v5/order/create", body)
        return ExecReport(str(d.get("orderLinkId", client_id)), "new", exchange_id=str(d.get("orderId", "")))

    async def _query_order(self, symbol, client_id) -> ExecReport:
        """Realtime first; a closed order it no longer knows (its store is cleared when Bybit
        restarts) is still in the order history."""
        params = {"category": "linear", "symbol": symbol, "orderLinkId": client_id}
        rows = (await self._call("GET", "/v5/order/realtime", params)).get("list") or []
        if not rows:
            rows = (await self._call("GET", "/v5/order/history", params)).get("list") or []
        if not rows:
            raise VenueError(NOT_FOUND, f"no order {client_id}")
        return self._report(rows[0])

    async def _find_unqueryable(self, symbol: str, client_id: str, sent_ms: int) -> ExecReport | bool:
        """Neither realtime nor history knows the orderLinkId: an execution carrying it means the
        order exists and its records lag (in doubt); none at all since the send = absent."""
        res = await self._call(
            "GET",
            "/v5/execution/list",
            {"category": "linear", "symbol": symbol, "startTime": sent_ms - 5_000, "limit": 100},
        )
        return not any(x.get("orderLinkId") == client_id for x in res.get("list") or [])

    async def _finalise(self, symbol: str, rep: ExecReport) -> ExecReport:
        """Create returns ids only: read fill price, quantity and fee from the order itself."""
        for _ in range(self.settings.status_queries):
            if rep.done and rep.fee is not None:
                return rep
            rep = await self._query_order(symbol, rep.client_id)
        return rep

    async def _place_exit(self, t: TrackedExits, kind: ExitKind, trigger: str, qty: str, client_id: str) -> ExecReport:
        long = t.side == "long"
        # 1 = fires when the mark rises to the trigger, 2 = when it falls to it
        rises = (kind == "take_profit") == long
        body = {
            "category": "linear",
            "symbol": t.symbol,
            "side": "Sell" if long else "Buy",
            "orderType": "Market",
            "qty": qty,
            "triggerPrice": trigger,
            "triggerDirection": 1 if rises else 2,
            "triggerBy": "MarkPrice",
            "reduceOnly": True,
            "closeOnTrigger": True,
            "positionIdx": 0,
            "orderLinkId": client_id,
        }
        d = await self._call("POST", "/v5/order/create", body)
        return ExecReport(str(d.get("orderLinkId", client_id)), "untriggered", exchange_id=str(d.get("orderId", "")))

    async def _query_exit(self, symbol, client_id) -> ExecReport:
        return await self._query_order(symbol, client_id)

    async def _cancel_exit(self, symbol, client_id) -> None:
        await self._call("POST", "/v5/order/cancel", {"category": "linear", "symbol": symbol, "orderLinkId": client_id})

    async def _cancel_all_symbol(self, symbol: str) -> None:
        await self._call("POST", "/v5/order/cancel-all", {"category": "linear", "symbol": symbol})

    async def fetch_positions(self) -> list[ExchangePosition]:
        res = await self._call("GET", "/v5/position/list", {"category": "linear", "settleCoin": "USDT"})
        out = []
        for p in res.get("list", []):
            size = venue_float(p.get("size"))
            if size == 0 or p.get("side") not in ("Buy", "Sell"):
                continue
            sym = str(p.get("symbol"))
            out.append(
                ExchangePosition(
                    bybit_market(sym),
                    sym,
                    "long" if p["side"] == "Buy" else "short",
                    size,
                    venue_float(p.get("avgPrice")),
                    venue_float(p.get("markPrice")),
                )
            )
        return out

    async def account_summary(self) -> dict:
        res = await self._call("GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
        acct = (res.get("list") or [{}])[0]
        return {
            "venue": self.name,
            "url": self.base_url,
            "key": self._keys.fingerprint(),
            "wallet_usdt": venue_float(acct.get("totalEquity")),
            "available_usdt": venue_float(acct.get("totalAvailableBalance")),
        }

    # -- private stream -----------------------------------------------------------------------
    def _make_user_stream(self, url: str):
        from core.brokers.user_stream import BybitSession, UserStream

        s = self.settings
        session = BybitSession(
            url, self._keys.api_key, self._keys.secret, self.timestamp_ms, s.stream_heartbeat_s or 20.0
        )
        return UserStream(
            session,
            self.on_stream_fill,
            self.alert,
            backoff=(s.stream_retry_base_s, s.stream_retry_max_s),
            redact=self._keys.redact,
            on_gone=self.on_stream_exit_gone,
            on_position=self.on_stream_position,
        )
