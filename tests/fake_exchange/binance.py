"""Fake Binance USDⓈ-M futures: /fapi order, algo-order, position and set-up endpoints."""

from __future__ import annotations

import itertools
import secrets
import time
from urllib.parse import parse_qsl, urlsplit

from tests.fake_exchange.hmac_check import hmac_sha256_hex
from tests.fake_exchange.ledger import Faults, Ledger
from tests.fake_exchange.server import DROP, Clock
from tests.fake_exchange.ws import WsHub

UNSIGNED = {"/fapi/v1/time", "/fapi/v1/exchangeInfo"}
KEY_ONLY = {"/fapi/v1/listenKey"}  # user-data stream management: API key header, no signature


def _err(status: int, code: int, msg: str, headers: dict | None = None):
    return status, {"code": code, "msg": msg}, headers or {}


class FakeBinance:
    def __init__(self, api_key: str, secret: str, symbols: dict[str, dict] | None = None) -> None:
        self.api_key, self.secret = api_key, secret
        self.clock = Clock()
        self.ledger = Ledger()
        self.faults = Faults()
        self.symbols = symbols or {
            "BTCUSDT": {
                "tick": "0.10",
                "step": "0.001",
                "min_qty": "0.001",
                "min_notional": "100",
                "max_qty": "120",
                "max_leverage": 125,
            }
        }
        for s in self.symbols:
            self.ledger.prices[s] = 60_000.0
        self.orders: dict[int, dict] = {}  # orderId -> order
        self.algos: dict[int, dict] = {}
        self.trades: list[dict] = []
        self.log: list[tuple[float, str, str, dict]] = []  # (when, method, path, params)
        self.used_weight = 0
        self.hedge_mode = False
        self._ids = itertools.count(1000)
        self.ws = WsHub()
        self.listen_key: str | None = None
        self.listen_keys_issued: list[str] = []
        self.stream_urls: list[str] = []  # request targets of the private connections that were served
        self.stream_silent = False  # fault: query-form connections are accepted but fed nothing
        self.query_lag_s = 0.0  # a filled order answers -2013 (GET order, missing from allOrders) this long
        self.trades_lag_s = 0.0  # ... and its fills are missing from userTrades this long
        self._born: dict[int, float] = {}  # orderId -> when it filled (monotonic)

    # -- test controls --------------------------------------------------------------------
    def set_price(self, symbol: str, price: float) -> None:
        """Move the mark; conditional orders whose trigger is crossed fire as market closes."""
        with self.ledger.lock:
            self.ledger.prices[symbol] = price
            for a in self.algos.values():
                if a["symbol"] != symbol or a["algoStatus"] != "NEW":
                    continue
                up = (a["orderType"] == "STOP_MARKET") == (a["side"] == "BUY")
                if (up and price >= a["trigger"]) or (not up and price <= a["trigger"]):
                    self._fire(a)

    def calls(self, method: str, path: str) -> list[dict]:
        return [p for _, m, pa, p in self.log if m == method and pa == path]

    def open_algos(self, symbol: str = "BTCUSDT") -> list[dict]:
        return [a for a in self.algos.values() if a["symbol"] == symbol and a["algoStatus"] == "NEW"]

    # -- plumbing ---------------------------------------------------------------------------
    def dispatch(self, method: str, path: str, query: str, body: str, headers: dict):
        params = dict(parse_qsl(query)) | dict(parse_qsl(body))
        fault = self.faults.take(method, path)
        self.log.append((time.monotonic(), method, path, params))
        self.used_weight += 1
        rl = {"X-MBX-USED-WEIGHT-1M": str(self.used_weight)}
        if fault == "429":
            return _err(429, -1003, "Too many requests; please use the websocket.", {"Retry-After": "0.3"} | rl)
        if fault == "418":
            return _err(418, -1003, "Way too many requests; IP banned.", {"Retry-After": "0.3"} | rl)
        if fault.startswith("ban:"):
            return _err(418, -1003, "IP banned", {"Retry-After": fault[4:]} | rl)
        if fault == "drop_before":
            return DROP
        if path in KEY_ONLY:
            if headers.get("x-mbx-apikey") != self.api_key:
                return _err(401, -2015, "Invalid API-key, IP, or permissions for action.")
        elif path not in UNSIGNED:
            bad = self._authenticate(query, body, headers, params)
            if bad:
                return bad
        handler = getattr(self, "h_" + method.lower() + path.replace("/", "_"), None)
        if handler is None:
            return _err(404, -5000, f"no route {method} {path}")
        with self.ledger.lock:
            if fault == "margin":
                return _err(400, -2019, "Margin is insufficient.")
            if fault == "reduce_only":
                return _err(400, -2022, "ReduceOnly Order is rejected.")
            result = handler(params)
        if fault == "drop_after":
            return DROP
        if fault == "503_after":
            return _err(503, -1000, "Unknown error, please check your request or try again later.")
        if fault == "1007_after":
            return _err(
                408,
                -1007,
                "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
            )
        status, payload, extra = result if len(result) == 3 else (*result, {})
        return status, payload, extra | rl

    def _authenticate(self, query: str, body: str, headers: dict, params: dict):
        if headers.get("x-mbx-apikey") != self.api_key:
            return _err(401, -2015, "Invalid API-key, IP, or permissions for action.")
        # totalParams = query string concatenated with body, without the signature itself
        sig = None
        parts = []
        for raw in (query, body):
            kept = []
            for item in raw.split("&") if raw else []:
                if item.startswith("signature="):
                    sig = item[len("signature=") :]
                else:
                    kept.append(item)
            parts.append("&".join(kept))
        total = parts[0] + parts[1] if parts[0] and parts[1] else parts[0] or parts[1]
        if sig is None or hmac_sha256_hex(self.secret.encode(), total.encode()) != sig.lower():
            return _err(400, -1022, "Signature for this request is not valid.")
        now = self.clock.ms()
        ts = int(params.get("timestamp", 0))
        window = int(params.get("recvWindow", 5000))
        if not (ts < now + 1000 and now - ts <= window):
            return _err(400, -1021, "Timestamp for this request is outside of the recvWindow.")
        return None

    # -- public -----------------------------------------------------------------------------
    def h_get_fapi_v1_time(self, p):
        return 200, {"serverTime": self.clock.ms()}

    def h_get_fapi_v1_exchangeInfo(self, p):
        syms = []
        for s, f in self.symbols.items():
            syms.append(
                {
                    "symbol": s,
                    "status": "TRADING",
                    "contractType": "PERPETUAL",
                    "pricePrecision": 2,
                    "quantityPrecision": 3,
                    "filters": [
                        {"filterType": "PRICE_FILTER", "tickSize": f["tick"], "minPrice": "0.1", "maxPrice": "1000000"},
                        {"filterType": "LOT_SIZE", "stepSize": f["step"], "minQty": f["min_qty"], "maxQty": "1000"},
                        {
                            "filterType": "MARKET_LOT_SIZE",
                            "stepSize": f["step"],
                            "minQty": f["min_qty"],
                            "maxQty": f["max_qty"],
                        },
                        {"filterType": "MIN_NOTIONAL", "notional": f["min_notional"]},
                    ],
                }
            )
        return 200, {"timezone": "UTC", "serverTime": self.clock.ms(), "symbols": syms}

    # -- account set-up ---------------------------------------------------------------------
    def h_get_fapi_v1_positionSide_dual(self, p):
        return 200, {"dualSidePosition": self.hedge_mode}

    def h_get_fapi_v1_leverageBracket(self, p):
        f = self.symbols[p["symbol"]]
        return 200, [{"symbol": p["symbol"], "brackets": [{"bracket": 1, "initialLeverage": f["max_leverage"]}]}]

    def h_post_fapi_v1_marginType(self, p):
        if self.ledger.margin_mode.get(p["symbol"]) == p["marginType"]:
            return _err(400, -4046, "No need to change margin type.")
        self.ledger.margin_mode[p["symbol"]] = p["marginType"]
        return 200, {"code": 200, "msg": "success"}

    def h_post_fapi_v1_leverage(self, p):
        lev = int(p["leverage"])
        if lev > self.symbols[p["symbol"]]["max_leverage"]:
            return _err(400, -4028, f"Leverage {lev} is not valid")
        self.ledger.leverage[p["symbol"]] = lev
        return 200, {"symbol": p["symbol"], "leverage": lev, "maxNotionalValue": "1000000"}

    # -- orders -----------------------------------------------------------------------------
    def _check_step(self, symbol: str, qty: str):
        f = self.symbols[symbol]
        q, step = float(qty), float(f["step"])
        if abs(q / step - round(q / step)) > 1e-9:
            return _err(400, -1111, "Precision is over the maximum defined for this asset.")
        if q < float(f["min_qty"]):
            return _err(400, -4003, "Quantity less than or equal to zero.")
        return None

    def _new_order(self, symbol, side, qty, reduce_only, client_id, order_type="MARKET", push=True):
        sign = 1 if side == "BUY" else -1
        res = self.ledger.execute(symbol, sign, qty, reduce_only)
        oid = next(self._ids)
        o = {
            "orderId": oid,
            "symbol": symbol,
            "clientOrderId": client_id,
            "side": side,
            "type": order_type,
            "origQty": str(qty),
            "reduceOnly": reduce_only,
            "updateTime": self.clock.ms(),
        }
        if isinstance(res, str):
            return None, res
        o |= {"status": "FILLED", "executedQty": str(res.qty), "avgPrice": str(res.price)}
        self.orders[oid] = o
        self._born[oid] = time.monotonic()
        self.trades.append(
            {
                "symbol": symbol,
                "orderId": oid,
                "price": str(res.price),
                "qty": str(res.qty),
                "commission": f"{res.fee:.8f}",
                "commissionAsset": "USDT",
                "side": side,
                "time": self.clock.ms(),
            }
        )
        if push:
            self._push_order(o, res.fee)
        return o, ""

    def h_post_fapi_v1_order(self, p):
        if p.get("type") != "MARKET":
            if p.get("type") in ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"):
                return _err(
                    400,
                    -4120,
                    "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
                )
            return _err(400, -1116, "Invalid orderType.")
        cid = p.get("newClientOrderId", "")
        if any(o["clientOrderId"] == cid and o["status"] == "NEW" for o in self.orders.values()):
            return _err(400, -4116, "ClientOrderId is duplicated.")
        bad = self._check_step(p["symbol"], p["quantity"])
        if bad:
            return bad
        sym = p["symbol"]
        if p.get("reduceOnly") != "true" and float(p["quantity"]) * self.ledger.prices[sym] < float(
            self.symbols[sym]["min_notional"]
        ):
            return _err(400, -4164, "Order's notional must be no smaller than 100 (unless you choose reduce only).")
        o, why = self._new_order(sym, p["side"], float(p["quantity"]), p.get("reduceOnly") == "true", cid)
        if why == "reduce_only":
            return _err(400, -2022, "ReduceOnly Order is rejected.")
        if why == "margin":
            return _err(400, -2019, "Margin is insufficient.")
        return 200, o

    def _visible(self, o: dict) -> bool:
        """Orders become queryable `query_lag_s` after they filled (the venue's order store lags
        its matching engine); fills (userTrades) after `trades_lag_s`."""
        return time.monotonic() >= self._born[o["orderId"]] + self.query_lag_s

    def h_get_fapi_v1_allOrders(self, p):
        since = int(p.get("startTime", 0))
        rows = [
            o
            for o in self.orders.values()
            if o["symbol"] == p["symbol"] and o["updateTime"] >= since and self._visible(o)
        ]
        return 200, rows[-int(p.get("limit", 500)) :]

    def h_get_fapi_v1_order(self, p):
        for o in self.orders.values():
            if not self._visible(o):
                continue
            if o["symbol"] == p["symbol"] and (
                str(o["orderId"]) == p.get("orderId")
                or (p.get("origClientOrderId") and o["clientOrderId"] == p["origClientOrderId"])
            ):
                return 200, o
        return _err(400, -2013, "Order does not exist.")

    def h_get_fapi_v1_userTrades(self, p):
        now = time.monotonic()
        rows = [
            t
            for t in self.trades
            if t["symbol"] == p["symbol"]
            and now >= self._born[t["orderId"]] + self.trades_lag_s
            and (str(t["orderId"]) == p["orderId"] if "orderId" in p else t["time"] >= int(p.get("startTime", 0)))
        ]
        return 200, rows[-int(p.get("limit", 500)) :]

    # -- algo (conditional) orders ------------------------------------------------------------
    def h_post_fapi_v1_algoOrder(self, p):
        if p.get("algoType") != "CONDITIONAL":
            return _err(400, -1102, "algoType must be CONDITIONAL")
        if p.get("closePosition") == "true" and ("quantity" in p or "reduceOnly" in p):
            return _err(400, -4137, "quantity and reduceOnly must not be sent with closePosition")
        sym, side, typ = p["symbol"], p["side"], p["type"]
        trig = float(p["triggerPrice"])
        tick = float(self.symbols[sym]["tick"])
        if abs(trig / tick - round(trig / tick)) > 1e-9:
            return _err(400, -1111, "Precision is over the maximum defined for this asset.")
        px = self.ledger.prices[sym]
        up = (typ == "STOP_MARKET") == (side == "BUY")
        if (up and px >= trig) or (not up and px <= trig):
            return _err(400, -2021, "Order would immediately trigger.")
        if any(a["clientAlgoId"] == p.get("clientAlgoId") for a in self.algos.values()):
            return _err(400, -4116, "ClientOrderId is duplicated.")
        aid = next(self._ids)
        a = {
            "algoId": aid,
            "clientAlgoId": p.get("clientAlgoId", f"auto{aid}"),
            "algoType": "CONDITIONAL",
            "orderType": typ,
            "symbol": sym,
            "side": side,
            "positionSide": "BOTH",
            "algoStatus": "NEW",
            "triggerPrice": p["triggerPrice"],
            "trigger": trig,
            "workingType": p.get("workingType", "CONTRACT_PRICE"),
            "closePosition": p.get("closePosition") == "true",
            "quantity": p.get("quantity", ""),
            "reduceOnly": p.get("reduceOnly") == "true",
            "actualOrderId": "",
            "createTime": self.clock.ms(),
        }
        self.algos[aid] = a
        return 200, {k: v for k, v in a.items() if k != "trigger"}

    def _fire(self, a: dict) -> None:
        pos = self.ledger.position(a["symbol"])
        qty = abs(pos) if a["closePosition"] else float(a["quantity"] or 0)
        if qty <= 0:
            a["algoStatus"] = "EXPIRED"
            return
        o, why = self._new_order(a["symbol"], a["side"], qty, True, f"algo-{a['algoId']}", a["orderType"], push=False)
        if o is None:
            a["algoStatus"] = "REJECTED"
            self._push_algo(a)
            return
        # the stream tells the story in order: triggered (naming the new order), filled, finished
        a["algoStatus"], a["actualOrderId"] = "TRIGGERED", str(o["orderId"])
        self._push_algo(a)
        self._push_order(o, float(self.trades[-1]["commission"]), closing=a["closePosition"])
        a["algoStatus"] = "FINISHED"
        self._push_algo(a)

    def _find_algo(self, p):
        for a in self.algos.values():
            if str(a["algoId"]) == p.get("algoId") or (
                p.get("clientAlgoId") and a["clientAlgoId"] == p["clientAlgoId"]
            ):
                return a
        return None

    def h_get_fapi_v1_algoOrder(self, p):
        a = self._find_algo(p)
        if a is None:
            return _err(400, -2013, "Order does not exist.")
        return 200, {k: v for k, v in a.items() if k != "trigger"}

    def h_delete_fapi_v1_algoOrder(self, p):
        a = self._find_algo(p)
        if a is None or a["algoStatus"] != "NEW":
            return _err(400, -2011, "Unknown order sent.")
        a["algoStatus"] = "CANCELED"
        self._push_algo(a)
        return 200, {"algoId": a["algoId"], "clientAlgoId": a["clientAlgoId"], "code": "200", "msg": "success"}

    def h_delete_fapi_v1_allOpenOrders(self, p):
        for o in self.orders.values():  # market orders are never resting here; limit orders would be
            if o["symbol"] == p["symbol"] and o["status"] == "NEW":
                o["status"] = "CANCELED"
        return 200, {"code": 200, "msg": "The operation of cancel all open order is done."}

    def h_delete_fapi_v1_algoOpenOrders(self, p):
        for a in self.algos.values():
            if a["symbol"] == p["symbol"] and a["algoStatus"] == "NEW":
                a["algoStatus"] = "CANCELED"
        return 200, {"code": 200, "msg": "The operation of cancel all open order is done."}

    # -- positions and balance ----------------------------------------------------------------
    def h_get_fapi_v3_positionRisk(self, p):
        out = []
        for sym, (qty, entry) in self.ledger.positions.items():
            if qty:
                mark = self.ledger.prices[sym]
                out.append(
                    {
                        "symbol": sym,
                        "positionSide": "BOTH",
                        "positionAmt": f"{qty:.3f}",
                        "entryPrice": str(entry),
                        "markPrice": str(mark),
                        "notional": str(qty * mark),
                        "liquidationPrice": "0",
                    }
                )
        return 200, out

    def h_get_fapi_v2_balance(self, p):
        b = self.ledger.balance
        return 200, [{"asset": "USDT", "balance": f"{b:.4f}", "availableBalance": f"{b:.4f}"}]

    # -- user data stream -----------------------------------------------------------------------
    def h_post_fapi_v1_listenKey(self, p):
        if self.listen_key is None:
            self.listen_key = secrets.token_urlsafe(48)
            self.listen_keys_issued.append(self.listen_key)
        return 200, {"listenKey": self.listen_key}

    def h_put_fapi_v1_listenKey(self, p):
        if self.listen_key is None:
            return _err(400, -1125, "This listenKey does not exist.")
        return 200, {"listenKey": self.listen_key}

    def h_delete_fapi_v1_listenKey(self, p):
        self.listen_key = None
        return 200, {}

    def expire_listen_key(self) -> None:
        """The venue lets the key lapse: listenKeyExpired on the stream, then the stream closes."""
        with self.ledger.lock:
            self.listen_key = None
        self.ws.push({"e": "listenKeyExpired", "E": self.clock.ms(), "listenKey": "gone"}, record=False)
        self.ws.drop_all()

    def ws_session(self, conn, hub: WsHub) -> None:
        """Like the venue since the 2026 route split: user data only on the query form
        /private/ws?listenKey=<key>&events=A/B/C (only the events named, all when none are).
        The old path form /private/ws/<key> is accepted and then stays silent for good."""
        parts = urlsplit(conn.request.path)
        query = dict(parse_qsl(parts.query))
        if parts.path.startswith("/private/ws/") or parts.path.startswith("/ws/"):
            hub.silent_accepted += 1
            for _ in conn:  # connected, acknowledged by nothing, fed nothing
                pass
            return
        if parts.path != "/private/ws" or query.get("listenKey") != self.listen_key or self.listen_key is None:
            conn.close(1008, "invalid listenKey")
            return
        self.stream_urls.append(conn.request.path)
        if self.stream_silent:  # the fault: a query-form connection that never gets its events
            hub.silent_accepted += 1
            for _ in conn:
                pass
            return
        events = set(query["events"].split("/")) if query.get("events") else None
        hub.add(conn, events)
        for _ in conn:  # user-data streams take no requests; just hold the connection open
            pass

    def _push_order(self, o: dict, fee: float, closing: bool = False) -> None:
        ms = self.clock.ms()
        orig_type = o["type"]
        self.ws.push(
            topic="ORDER_TRADE_UPDATE",
            msg={
                "e": "ORDER_TRADE_UPDATE",
                "E": ms,
                "T": ms,
                "o": {
                    "s": o["symbol"],
                    "c": o["clientOrderId"],
                    "S": o["side"],
                    "o": "MARKET",
                    "f": "GTC",
                    "q": o["executedQty"],
                    "p": "0",
                    "ap": o["avgPrice"],
                    "sp": "0",
                    "x": "TRADE",
                    "X": "FILLED",
                    "i": o["orderId"],
                    "l": o["executedQty"],
                    "z": o["executedQty"],
                    "L": o["avgPrice"],
                    "N": "USDT",
                    "n": f"{fee:.8f}",
                    "T": ms,
                    "t": next(self._ids),
                    "b": "0",
                    "a": "0",
                    "m": False,
                    "R": o["reduceOnly"],
                    "wt": "MARK_PRICE",
                    "ot": orig_type,
                    "ps": "BOTH",
                    "cp": closing,
                    "rp": "0",
                    "pP": False,
                    "si": 0,
                    "ss": 0,
                    "V": "EXPIRE_TAKER",
                    "pm": "NONE",
                    "gtd": 0,
                },
            },
        )
        self.push_account_update(o["symbol"])

    def push_account_update(self, symbol: str, reason: str = "ORDER") -> None:
        """ACCOUNT_UPDATE with the symbol's position as the ledger has it (also for changes made
        behind the broker's back, e.g. a manual close on the website)."""
        ms = self.clock.ms()
        qty, entry = self.ledger.positions.get(symbol, [0.0, 0.0])
        self.ws.push(
            {
                "e": "ACCOUNT_UPDATE",
                "E": ms,
                "T": ms,
                "a": {
                    "m": reason,
                    "B": [],
                    "P": [
                        {
                            "s": symbol,
                            "pa": f"{qty:.3f}",
                            "ep": str(entry),
                            "cr": "0",
                            "up": "0",
                            "mt": "isolated",
                            "iw": "0",
                            "ps": "BOTH",
                        }
                    ],
                },
            },
            "ACCOUNT_UPDATE",
        )

    def _push_algo(self, a: dict) -> None:
        ms = self.clock.ms()
        self.ws.push(
            topic="ALGO_UPDATE",
            msg={
                "e": "ALGO_UPDATE",
                "T": ms,
                "E": ms,
                "o": {
                    "caid": a["clientAlgoId"],
                    "aid": a["algoId"],
                    "at": "CONDITIONAL",
                    "o": a["orderType"],
                    "s": a["symbol"],
                    "S": a["side"],
                    "ps": "BOTH",
                    "f": "GTC",
                    "q": a["quantity"],
                    "X": a["algoStatus"],
                    "ai": a["actualOrderId"],
                    "tp": a["triggerPrice"],
                    "wt": a["workingType"],
                    "cp": a["closePosition"],
                },
            },
        )
