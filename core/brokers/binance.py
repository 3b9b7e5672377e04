"""Binance USDⓈ-M futures broker (one-way position mode, USDT-margined perpetuals).

Orders go to POST /fapi/v1/order; since 2025-12-09 stop and take-profit orders are algo orders
(POST /fapi/v1/algoOrder, algoType=CONDITIONAL) — the old endpoint rejects them with -4120 — so
cancelling everything takes DELETE /fapi/v1/allOpenOrders *and* DELETE /fapi/v1/algoOpenOrders.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from core.brokers.filters import SymbolFilters, parse_binance_exchange_info, venue_float
from core.brokers.live_base import LiveBroker
from core.brokers.live_errors import AUTH, CLOCK, DUPLICATE, NOT_FOUND, RATE_LIMITED, REJECTED, UNKNOWN, VenueError
from core.brokers.live_types import GATE_BUDGET_S, ExchangePosition, ExecReport, ExitKind, TrackedExits
from core.brokers.ratelimit import retry_after_s
from core.brokers.signing import binance_signed_query, encode_params
from core.feeds.symbols import binance_market

MAINNET_URL = "https://fapi.binance.com"
TESTNET_URL = "https://testnet.binancefuture.com"  # Futures Testnet: its own keys
DEMO_URL = "https://demo-fapi.binance.com"  # Demo Trading: its own keys again
# user-data websockets: since the 2026 route split user data lives on the /private route, and the
# listenKey (with the events wanted) goes in the query: …/private/ws?listenKey=<key>&events=…
# (Binance "Important WebSocket Change Notice"); the path form …/private/ws/<key> receives nothing
MAINNET_STREAM_URL = "wss://fstream.binance.com/private/ws"
TESTNET_STREAM_URL = "wss://fstream.binancefuture.com/private/ws"  # testnet "Private Data url path"
LISTEN_KEY_PATH = "/fapi/v1/listenKey"

_STATUS = {
    "NEW": "new",
    "PARTIALLY_FILLED": "partially_filled",
    "FILLED": "filled",
    "CANCELED": "cancelled",
    "REJECTED": "rejected",
    "EXPIRED": "expired",
    "EXPIRED_IN_MATCH": "expired",
}
_ALGO_STATUS = {
    "NEW": "untriggered",
    "TRIGGERING": "triggered",
    "TRIGGERED": "triggered",
    "CANCELED": "cancelled",
    "EXPIRED": "expired",
    "REJECTED": "rejected",
}
_CODE_KIND = {
    -1021: CLOCK,
    -1022: AUTH,
    -2014: AUTH,
    -2015: AUTH,
    -1003: RATE_LIMITED,
    -2013: NOT_FOUND,
    -2011: NOT_FOUND,
    -4116: DUPLICATE,
    -1007: UNKNOWN,
    -1006: UNKNOWN,
}


class BinanceFuturesBroker(LiveBroker):
    name = "binance"
    venue = "binance"
    REDUCE_ONLY_CODES = (-2022,)

    STREAM_URLS = {MAINNET_URL: MAINNET_STREAM_URL, TESTNET_URL: TESTNET_STREAM_URL}

    async def _call(
        self, method: str, path: str, params: dict | None = None, signed: bool = True, key_only: bool = False
    ) -> Any:
        if not await self.gate.acquire(GATE_BUDGET_S.get()):
            raise VenueError(
                RATE_LIMITED, f"rate limited for another {self.gate.wait_s():.0f} s", retry_after_s=self.gate.wait_s()
            )
        params = params or {}
        s = self.settings
        query = (
            binance_signed_query(self._keys.secret, params, self.timestamp_ms(), s.recv_window_ms)
            if signed and not key_only
            else encode_params(params)
        )
        headers = {"X-MBX-APIKEY": self._keys.api_key} if signed or key_only else {}
        try:
            if method == "POST":
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                r = await self._client().request(method, path, content=query.encode(), headers=headers)
            else:
                r = await self._client().request(method, f"{path}?{query}" if query else path, headers=headers)
        except httpx.TimeoutException:
            raise VenueError(UNKNOWN, f"{method} {path}: timed out") from None
        except httpx.HTTPError as e:
            raise VenueError(UNKNOWN, f"{method} {path}: {type(e).__name__}") from None
        hdrs = {k.lower(): v for k, v in r.headers.items()}
        self.gate.note_binance(hdrs)
        if r.status_code in (429, 418):
            wait = retry_after_s(hdrs, 60.0 if r.status_code == 429 else 120.0)
            self.gate.block_for(wait, banned=r.status_code == 418)
            what = "IP banned" if r.status_code == 418 else "too many requests"
            raise VenueError(RATE_LIMITED, f"{what}; retry after {wait:.0f} s", -1003, r.status_code, wait)
        try:
            data = orjson.loads(r.content) if r.content else None
        except orjson.JSONDecodeError:
            data = None
        if r.status_code >= 500 or (data is None and r.status_code != 200):
            # 503 "Unknown error, please check your request or try again later": execution status unknown
            raise VenueError(UNKNOWN, f"{method} {path}: HTTP {r.status_code}", http_status=r.status_code)
        if isinstance(data, dict) and isinstance(data.get("code"), int) and data["code"] < 0:
            code = data["code"]
            raise VenueError(
                _CODE_KIND.get(code, REJECTED), self._keys.redact(str(data.get("msg", ""))), code, r.status_code
            )
        if r.status_code >= 400:
            raise VenueError(REJECTED, f"{method} {path}: HTTP {r.status_code}", http_status=r.status_code)
        return data

    def _is_reduce_only_reject(self, err: VenueError) -> bool:
        return err.code in self.REDUCE_ONLY_CODES

    # -- set-up -------------------------------------------------------------------------------
    async def _server_time_ms(self) -> int:
        return int((await self._call("GET", "/fapi/v1/time", signed=False))["serverTime"])

    async def _load_filters(self) -> dict[str, SymbolFilters]:
        return parse_binance_exchange_info(
            await self._call("GET", "/fapi/v1/exchangeInfo", signed=False), binance_market
        )

    async def _prepare_symbol(self, symbol: str, leverage: float) -> None:
        dual = await self._call("GET", "/fapi/v1/positionSide/dual")
        if dual.get("dualSidePosition"):
            raise VenueError(REJECTED, "account is in hedge mode; liqhunt needs one-way mode")
        brackets = await self._call("GET", "/fapi/v1/leverageBracket", {"symbol": symbol})
        entry = brackets[0] if isinstance(brackets, list) and brackets else brackets
        max_lev = max((venue_float(b.get("initialLeverage")) for b in entry.get("brackets", [])), default=0.0)
        if max_lev and leverage > max_lev:
            raise VenueError(REJECTED, f"leverage {leverage:g} above the maximum {max_lev:g}")
        mode = "ISOLATED" if self.settings.margin_mode == "isolated" else "CROSSED"
        try:
            await self._call("POST", "/fapi/v1/marginType", {"symbol": symbol, "marginType": mode})
        except VenueError as e:
            if e.code != -4046:  # "No need to change margin type."
                raise
        await self._call("POST", "/fapi/v1/leverage", {"symbol": symbol, "leverage": int(leverage)})

    # -- orders -------------------------------------------------------------------------------
    @staticmethod
    def _report(d: dict, client_key: str = "clientOrderId") -> ExecReport:
        return ExecReport(
            str(d.get(client_key, "")),
            _STATUS.get(str(d.get("status")), "new"),
            venue_float(d.get("executedQty")),
            venue_float(d.get("avgPrice")),
            None,
            str(d.get("orderId", "")),
        )

    async def _send_market(self, symbol, side, qty, reduce_only, client_id) -> ExecReport:
        params = {
            "symbol": symbol,
            "side": side.upper(),
            "type": "MARKET",
            "quantity": qty,
            "reduceOnly": True if reduce_only else None,
            "newClientOrderId": client_id,
            "newOrderRespType": "RESULT",
        }
        return self._report(await self._call("POST", "/fapi/v1/order", params))

    async def _query_order(self, symbol, client_id) -> ExecReport:
        return self._report(
            await self._call("GET", "/fapi/v1/order", {"symbol": symbol, "origClientOrderId": client_id})
        )

    async def _find_unqueryable(self, symbol: str, client_id: str, sent_ms: int) -> ExecReport | bool:
        """GET /fapi/v1/order said -2013. The account's recent orders (allOrders) may list it all the
        same; and a fill (userTrades) of an order that is not among them means the order lists are
        lagging behind the matching engine: in doubt, never absent."""
        since = sent_ms - 5_000
        orders = await self._call("GET", "/fapi/v1/allOrders", {"symbol": symbol, "startTime": since, "limit": 100})
        for o in orders or []:
            if o.get("clientOrderId") == client_id:
                return self._report(o)
        listed = {str(o.get("orderId")) for o in orders or []}
        trades = await self._call("GET", "/fapi/v1/userTrades", {"symbol": symbol, "startTime": since, "limit": 100})
        return not any(str(t.get("orderId")) not in listed for t in trades or [])

    async def _finalise(self, symbol: str, rep: ExecReport) -> ExecReport:
        """Wait for a terminal status, then take the fee from the venue's own trade records."""
        for _ in range(self.settings.status_queries):
            if rep.done:
                break
            rep = self._report(
                await self._call("GET", "/fapi/v1/order", {"symbol": symbol, "orderId": rep.exchange_id})
            )
        if rep.filled_qty <= 0 or not rep.exchange_id:
            return rep
        trades = await self._call("GET", "/fapi/v1/userTrades", {"symbol": symbol, "orderId": rep.exchange_id})
        fee = sum(venue_float(t.get("commission")) for t in trades) if trades else None
        return ExecReport(rep.client_id, rep.status, rep.filled_qty, rep.avg_price, fee, rep.exchange_id)

    async def _place_exit(self, t: TrackedExits, kind: ExitKind, trigger: str, qty: str, client_id: str) -> ExecReport:
        params = {
            "algoType": "CONDITIONAL",
            "symbol": t.symbol,
            "side": "SELL" if t.side == "long" else "BUY",
            "type": "STOP_MARKET" if kind == "stop" else "TAKE_PROFIT_MARKET",
            "triggerPrice": trigger,
            # mark price, as the engine's own exits use; the venue default is the last trade price
            "workingType": "MARK_PRICE",
            # closes whatever the position is when it fires; quantity/reduceOnly must then be absent
            "closePosition": True,
            "clientAlgoId": client_id,
        }
        d = await self._call("POST", "/fapi/v1/algoOrder", params)
        return ExecReport(str(d.get("clientAlgoId", client_id)), "untriggered", exchange_id=str(d.get("algoId", "")))

    async def _query_exit(self, symbol, client_id) -> ExecReport:
        d = await self._call("GET", "/fapi/v1/algoOrder", {"clientAlgoId": client_id})
        status = str(d.get("algoStatus"))
        actual = str(d.get("actualOrderId") or "")
        if status in ("FINISHED", "TRIGGERED") and actual:
            o = self._report(await self._call("GET", "/fapi/v1/order", {"symbol": symbol, "orderId": actual}))
            return ExecReport(client_id, o.status, o.filled_qty, o.avg_price, None, o.exchange_id)
        return ExecReport(
            client_id,
            _ALGO_STATUS.get(status, "cancelled" if status == "FINISHED" else "untriggered"),
            exchange_id=str(d.get("algoId", "")),
        )

    async def _cancel_exit(self, symbol, client_id) -> None:
        await self._call("DELETE", "/fapi/v1/algoOrder", {"clientAlgoId": client_id})

    async def _cancel_all_symbol(self, symbol: str) -> None:
        # stops live only in the algo book: both calls, every time
        await self._call("DELETE", "/fapi/v1/allOpenOrders", {"symbol": symbol})
        await self._call("DELETE", "/fapi/v1/algoOpenOrders", {"symbol": symbol})

    async def fetch_positions(self) -> list[ExchangePosition]:
        out = []
        for p in await self._call("GET", "/fapi/v3/positionRisk"):
            amt = venue_float(p.get("positionAmt"))
            if amt == 0:
                continue
            sym = str(p.get("symbol"))
            out.append(
                ExchangePosition(
                    binance_market(sym),
                    sym,
                    "long" if amt > 0 else "short",
                    abs(amt),
                    venue_float(p.get("entryPrice")),
                    venue_float(p.get("markPrice")),
                )
            )
        return out

    async def account_summary(self) -> dict:
        bal = {b.get("asset"): b for b in await self._call("GET", "/fapi/v2/balance")}
        usdt = bal.get("USDT", {})
        return {
            "venue": self.name,
            "url": self.base_url,
            "key": self._keys.fingerprint(),
            "wallet_usdt": venue_float(usdt.get("balance")),
            "available_usdt": venue_float(usdt.get("availableBalance")),
        }

    # -- private stream -----------------------------------------------------------------------
    async def _listen_key(self) -> str:
        """POST returns the account's active listenKey (extending it) or a new one."""
        d = await self._call("POST", LISTEN_KEY_PATH, signed=False, key_only=True)
        key = str((d or {}).get("listenKey") or "")
        if not key:
            raise VenueError(REJECTED, "no listenKey in the reply")
        return key

    async def _keepalive_listen_key(self, key: str) -> None:
        await self._call("PUT", LISTEN_KEY_PATH, signed=False, key_only=True)

    def _make_user_stream(self, url: str):
        from core.brokers.user_stream import BinanceSession, UserStream

        s = self.settings
        session = BinanceSession(url, self._listen_key, self._keepalive_listen_key, s.stream_heartbeat_s or 1800.0)

        def redact(text: str) -> str:
            text = self._keys.redact(text)
            return text.replace(session.listen_key, "<listenKey>") if session.listen_key else text

        return UserStream(
            session,
            self.on_stream_fill,
            self.alert,
            backoff=(s.stream_retry_base_s, s.stream_retry_max_s),
            redact=redact,
            on_gone=self.on_stream_exit_gone,
            on_position=self.on_stream_position,
        )
