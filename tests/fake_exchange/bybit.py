"""Fake Bybit v5 (linear): order create/query/cancel, conditional orders, positions, set-up."""

from __future__ import annotations

import itertools
import json
import time
from urllib.parse import parse_qsl

from tests.fake_exchange.hmac_check import hmac_sha256_hex
from tests.fake_exchange.ledger import Faults, Ledger
from tests.fake_exchange.server import DROP, Clock
from tests.fake_exchange.ws import WsHub

UNSIGNED = {"/v5/market/time", "/v5/market/instruments-info"}


def _ret(code: int, msg: str = "OK", result: dict | None = None, headers: dict | None = None, status: int = 200):
    return (
        status,
        {"retCode": code, "retMsg": msg, "result": result or {}, "retExtInfo": {}, "time": int(time.time() * 1000)},
        headers or {},
    )


class FakeBybit:
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
                "min_notional": "5",
                "max_qty": "120",
                "max_leverage": "100.00",
            }
        }
        for s in self.symbols:
            self.ledger.prices[s] = 60_000.0
        self.orders: dict[str, dict] = {}  # orderId -> order
        self.log: list[tuple[float, str, str, dict]] = []
        self._ids = itertools.count(5000)
        self.ws = WsHub()
        self.ws_secret = secret  # what the private stream verifies auth signatures with (a test can break it)
        self.stream_silent = False  # fault: subscriptions are acknowledged but nothing is ever pushed
        # GET /v5/account/info: 1 classic, 3/4 UTA 1.0, 5/6 UTA 2.0; the margin mode is then account-wide
        self.unified_margin_status = 5
        self.account_margin_mode = "ISOLATED_MARGIN"
        self.query_lag_s = 0.0  # a filled order is unknown to realtime and history this long (executions are not)
        self.executions: list[dict] = []
        self.executions_hidden = False  # fault: GET /v5/execution/list lags too (returns nothing)
        self._born: dict[str, float] = {}  # orderId -> when it was created (monotonic)
        self._forgotten: set[str] = set()  # closed orders realtime lost in a venue restart

    # -- test controls --------------------------------------------------------------------
    def set_price(self, symbol: str, price: float) -> None:
        with self.ledger.lock:
            self.ledger.prices[symbol] = price
            for o in list(self.orders.values()):
                if o["symbol"] != symbol or o["orderStatus"] != "Untriggered":
                    continue
                trig = float(o["triggerPrice"])
                if (o["triggerDirection"] == 1 and price >= trig) or (o["triggerDirection"] == 2 and price <= trig):
                    self._fire(o)

    def calls(self, method: str, path: str) -> list[dict]:
        return [p for _, m, pa, p in self.log if m == method and pa == path]

    def open_conditionals(self, symbol: str = "BTCUSDT") -> list[dict]:
        return [o for o in self.orders.values() if o["symbol"] == symbol and o["orderStatus"] == "Untriggered"]

    # -- plumbing ---------------------------------------------------------------------------
    def dispatch(self, method: str, path: str, query: str, body: str, headers: dict):
        try:
            params = dict(parse_qsl(query)) if method == "GET" else (json.loads(body) if body else {})
        except ValueError:
            return _ret(10001, "request body is not valid JSON")
        fault = self.faults.take(method, path)
        self.log.append((time.monotonic(), method, path, params))
        limit = {
            "X-Bapi-Limit": "10",
            "X-Bapi-Limit-Status": "9",
            "X-Bapi-Limit-Reset-Timestamp": str(int(time.time() * 1000) + 1000),
        }
        if fault == "rate_limit":
            reset = {"X-Bapi-Limit-Status": "0", "X-Bapi-Limit-Reset-Timestamp": str(self.clock.ms() + 300)}
            return _ret(10006, "Too many visits. Exceeded the API Rate Limit.", headers=limit | reset)
        if fault == "drop_before":
            return DROP
        if fault == "403":  # a geo-blocked IP: refused before anything happens
            return 403, {}, {}
        if path not in UNSIGNED:
            bad = self._authenticate(query if method == "GET" else body, headers)
            if bad:
                return bad
        handler = getattr(self, "h_" + method.lower() + path.replace("/", "_").replace("-", "_"), None)
        if handler is None:
            return _ret(10001, f"no route {path}", status=404)
        with self.ledger.lock:
            if fault == "margin":
                return _ret(110007, "ab not enough for new order")
            if fault == "reduce_only":
                return _ret(110017, "Reduce-only rule not satisfied")
            status, payload, extra = handler(params)
        if fault == "drop_after":
            return DROP
        if fault == "503_after":
            return 503, {"retCode": 10016, "retMsg": "Internal server error."}, {}

        return status, payload, extra | limit

    def _authenticate(self, payload: str, headers: dict):
        if headers.get("x-bapi-api-key") != self.api_key:
            return _ret(10003, "API key is invalid.")
        ts, recv = headers.get("x-bapi-timestamp", ""), headers.get("x-bapi-recv-window", "5000")
        origin = f"{ts}{self.api_key}{recv}{payload}"
        expected = hmac_sha256_hex(self.secret.encode(), origin.encode())
        if headers.get("x-bapi-sign", "") != expected:
            # like the real venue, the reply echoes the signed string — API key included
            return _ret(10004, f"error sign! origin_string[{origin}]")
        now = self.clock.ms()
        if not (ts.isdigit() and now - int(recv) <= int(ts) < now + 1000):
            return _ret(
                10002,
                f"invalid request, please check your server timestamp or recv_window param. "
                f"req_timestamp[{ts}],server_timestamp[{now}],recv_window[{recv}]",
            )
        return None

    # -- public -----------------------------------------------------------------------------
    def h_get_v5_market_time(self, p):
        now = self.clock.ms()
        return _ret(0, "OK", {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)})

    def h_get_v5_market_instruments_info(self, p):
        rows = [
            {
                "symbol": s,
                "contractType": "LinearPerpetual",
                "status": "Trading",
                "leverageFilter": {"minLeverage": "1", "maxLeverage": f["max_leverage"], "leverageStep": "0.01"},
                "priceFilter": {"tickSize": f["tick"]},
                "lotSizeFilter": {
                    "qtyStep": f["step"],
                    "minOrderQty": f["min_qty"],
                    "maxOrderQty": "1000",
                    "maxMktOrderQty": f["max_qty"],
                    "minNotionalValue": f["min_notional"],
                },
            }
            for s, f in self.symbols.items()
        ]
        return _ret(0, "OK", {"category": "linear", "list": rows, "nextPageCursor": ""})

    def restart(self) -> None:
        """A Bybit service restart: realtime forgets closed orders; order history keeps them."""
        with self.ledger.lock:
            self._forgotten |= {oid for oid, o in self.orders.items() if o["orderStatus"] not in ("New", "Untriggered")}

    # -- set-up -----------------------------------------------------------------------------
    def h_get_v5_account_info(self, p):
        return _ret(
            0,
            "OK",
            {
                "marginMode": self.account_margin_mode,
                "updatedTime": str(self.clock.ms()),
                "unifiedMarginStatus": self.unified_margin_status,
                "isMasterTrader": False,
                "spotHedgingStatus": "OFF",
                "dcpStatus": "OFF",
                "timeWindow": 0,
                "smpGroup": 0,
            },
        )

    def h_post_v5_account_set_margin_mode(self, p):
        self.account_margin_mode = p["setMarginMode"]  # the whole account: every symbol, every position
        return _ret(0, "Request accepted", {"reasons": []})

    def h_post_v5_position_switch_isolated(self, p):
        if self.unified_margin_status != 1:
            return _ret(100028, "The current interface does not support unified account")
        mode = "isolated" if p.get("tradeMode") == 1 else "cross"
        if self.ledger.margin_mode.get(p["symbol"]) == mode:
            return _ret(110026, "Cross/isolated margin mode is not modified")
        self.ledger.margin_mode[p["symbol"]] = mode
        return _ret(0)

    def h_post_v5_position_set_leverage(self, p):
        lev = float(p["buyLeverage"])
        if self.ledger.leverage.get(p["symbol"]) == lev:
            return _ret(110043, "Set leverage not modified")
        self.ledger.leverage[p["symbol"]] = lev
        return _ret(0)

    # -- orders -----------------------------------------------------------------------------
    def h_post_v5_order_create(self, p):
        sym = p["symbol"]
        f = self.symbols[sym]
        if p.get("orderType") != "Market":
            return _ret(10001, "only market orders in the fake")
        link = p.get("orderLinkId", "")
        if link and any(o["orderLinkId"] == link for o in self.orders.values()):
            return _ret(110072, "OrderLinkedID is duplicate")
        q, step = float(p["qty"]), float(f["step"])
        if abs(q / step - round(q / step)) > 1e-9 or q < float(f["min_qty"]):
            return _ret(10001, "Qty invalid")
        oid = f"b{next(self._ids)}"
        self._born[oid] = time.monotonic()
        o = {
            "orderId": oid,
            "orderLinkId": link,
            "symbol": sym,
            "side": p["side"],
            "orderType": "Market",
            "qty": p["qty"],
            "reduceOnly": bool(p.get("reduceOnly")),
            "closeOnTrigger": bool(p.get("closeOnTrigger")),
            "triggerPrice": p.get("triggerPrice", ""),
            "triggerDirection": p.get("triggerDirection", 0),
            "triggerBy": p.get("triggerBy", ""),
            "avgPrice": "",
            "cumExecQty": "0",
            "cumExecFee": "0",
            "orderStatus": "New",
            "createdTime": str(self.clock.ms()),
        }
        if p.get("triggerPrice"):
            trig = float(p["triggerPrice"])
            tick = float(f["tick"])
            if abs(trig / tick - round(trig / tick)) > 1e-9:
                return _ret(10001, "price precision")
            px = self.ledger.prices[sym]
            if (o["triggerDirection"] == 1 and px >= trig) or (o["triggerDirection"] == 2 and px <= trig):
                return _ret(
                    110092 if o["triggerDirection"] == 1 else 110093,
                    "expect Rising/Falling, but trigger_price is on the wrong side",
                )
            o["orderStatus"] = "Untriggered"
            self.orders[oid] = o
            return _ret(0, "OK", {"orderId": oid, "orderLinkId": link})
        if not o["reduceOnly"] and q * self.ledger.prices[sym] < float(f["min_notional"]):
            return _ret(110094, "Order does not meet minimum order value")
        err = self._execute(o)
        if err == "reduce_only":
            return _ret(110017, "current position is zero, cannot fix reduce-only order qty")
        if err == "margin":
            return _ret(110007, "ab not enough for new order")
        return _ret(0, "OK", {"orderId": oid, "orderLinkId": link})

    def _execute(self, o: dict) -> str:
        res = self.ledger.execute(o["symbol"], 1 if o["side"] == "Buy" else -1, float(o["qty"]), o["reduceOnly"])
        if isinstance(res, str):
            return res
        # linear: cumExecFee is deprecated (left stale here), the fee is in cumFeeDetail
        o |= {
            "orderStatus": "Filled",
            "avgPrice": str(res.price),
            "cumExecQty": str(res.qty),
            "cumExecFee": "0",
            "cumFeeDetail": {"USDT": f"{res.fee:.8f}"},
        }
        self.orders[o["orderId"]] = o
        self.executions.append(
            {
                "symbol": o["symbol"],
                "orderId": o["orderId"],
                "orderLinkId": o["orderLinkId"],
                "side": o["side"],
                "execQty": str(res.qty),
                "execPrice": str(res.price),
                "execFee": f"{res.fee:.8f}",
                "feeCurrency": "USDT",
                "execType": "Trade",
                "execId": f"e{next(self._ids)}",
                "execTime": str(self.clock.ms()),
            }
        )
        self._push_fill(o, res)
        return ""

    def _fire(self, o: dict) -> None:
        o["orderStatus"] = "Triggered"
        pos = abs(self.ledger.position(o["symbol"]))
        if o["closeOnTrigger"]:
            o["qty"] = str(min(float(o["qty"]), pos) if float(o["qty"]) else pos)
        if pos == 0 or self._execute(o):
            o["orderStatus"] = "Deactivated"

    def _matching(self, p):
        now = time.monotonic()
        return [
            o
            for o in self.orders.values()
            if o["symbol"] == p.get("symbol", o["symbol"])
            and (not p.get("orderLinkId") or o["orderLinkId"] == p["orderLinkId"])
            and (not p.get("orderId") or o["orderId"] == p["orderId"])
            and now >= self._born[o["orderId"]] + self.query_lag_s
        ]

    def h_get_v5_order_realtime(self, p):
        rows = [o for o in self._matching(p) if o["orderId"] not in self._forgotten]
        return _ret(0, "OK", {"category": "linear", "list": rows, "nextPageCursor": ""})

    def h_get_v5_order_history(self, p):
        rows = [o for o in self._matching(p) if o["orderStatus"] not in ("New", "Untriggered")]
        return _ret(0, "OK", {"category": "linear", "list": rows, "nextPageCursor": ""})

    def h_get_v5_execution_list(self, p):
        if self.executions_hidden:
            return _ret(0, "OK", {"category": "linear", "list": [], "nextPageCursor": ""})
        since = int(p.get("startTime", 0))
        rows = [
            x
            for x in self.executions
            if x["symbol"] == p.get("symbol", x["symbol"])
            and int(x["execTime"]) >= since
            and (not p.get("orderLinkId") or x["orderLinkId"] == p["orderLinkId"])
        ]
        return _ret(0, "OK", {"category": "linear", "list": rows[-int(p.get("limit", 50)) :], "nextPageCursor": ""})

    def h_post_v5_order_cancel(self, p):
        for o in self.orders.values():
            if o["symbol"] == p["symbol"] and (
                o["orderLinkId"] == p.get("orderLinkId") or o["orderId"] == p.get("orderId")
            ):
                if o["orderStatus"] not in ("New", "Untriggered"):
                    break
                o["orderStatus"] = "Deactivated" if o["triggerPrice"] else "Cancelled"
                return _ret(0, "OK", {"orderId": o["orderId"], "orderLinkId": o["orderLinkId"]})
        return _ret(110001, "order not exists or too late to cancel")

    def h_post_v5_order_cancel_all(self, p):
        done = []
        for o in self.orders.values():
            if o["symbol"] == p.get("symbol") and o["orderStatus"] in ("New", "Untriggered"):
                o["orderStatus"] = "Deactivated" if o["triggerPrice"] else "Cancelled"
                done.append({"orderId": o["orderId"], "orderLinkId": o["orderLinkId"]})
        return _ret(0, "OK", {"list": done, "success": "1"})

    # -- positions and balance ----------------------------------------------------------------
    def h_get_v5_position_list(self, p):
        rows = []
        for sym, (qty, entry) in self.ledger.positions.items():
            if qty:
                rows.append(
                    {
                        "positionIdx": 0,
                        "symbol": sym,
                        "side": "Buy" if qty > 0 else "Sell",
                        "size": f"{abs(qty):.3f}",
                        "avgPrice": str(entry),
                        "markPrice": str(self.ledger.prices[sym]),
                        "liqPrice": "",
                        "stopLoss": "",
                        "takeProfit": "",
                    }
                )
        return _ret(0, "OK", {"category": "linear", "list": rows, "nextPageCursor": ""})

    def h_get_v5_account_wallet_balance(self, p):
        b = self.ledger.balance
        return _ret(
            0,
            "OK",
            {"list": [{"accountType": "UNIFIED", "totalEquity": f"{b:.4f}", "totalAvailableBalance": f"{b:.4f}"}]},
        )

    # -- private websocket (v5/private) ---------------------------------------------------------
    def ws_session(self, conn, hub: WsHub) -> None:
        if conn.request.path != "/v5/private":
            conn.close(1008, "unknown path")
            return
        authed = False
        conn_id = f"fake-{next(self._ids)}"
        for raw in conn:
            try:
                req = json.loads(raw)
            except ValueError:
                continue
            op, args, req_id = req.get("op"), req.get("args") or [], req.get("req_id", "")
            if op == "ping":
                conn.send(
                    json.dumps({"req_id": req_id, "op": "pong", "args": [str(self.clock.ms())], "conn_id": conn_id})
                )
            elif op == "auth":
                ok, why = self._ws_auth_ok(args)
                conn.send(
                    json.dumps(
                        {
                            "req_id": req_id,
                            "success": ok,
                            "ret_msg": "" if ok else why,
                            "op": "auth",
                            "conn_id": conn_id,
                        }
                    )
                )
                if not ok:
                    hub.auth_failures += 1
                    conn.close(1008, "auth failed")
                    return
                authed = True
                hub.add(conn, set())
            elif op == "subscribe":
                if not authed:
                    conn.send(
                        json.dumps(
                            {
                                "req_id": req_id,
                                "success": False,
                                "ret_msg": "Request not authorized",
                                "op": "subscribe",
                                "conn_id": conn_id,
                            }
                        )
                    )
                    continue
                if not self.stream_silent:
                    hub.subscribe(conn, set(args))
                conn.send(
                    json.dumps(
                        {"req_id": req_id, "success": True, "ret_msg": "", "op": "subscribe", "conn_id": conn_id}
                    )
                )

    def _ws_auth_ok(self, args: list) -> tuple[bool, str]:
        if len(args) != 3:
            return False, "Params Error"
        key, expires, sig = args
        if key != self.api_key:
            return False, "API key is invalid."
        if not str(expires).isdigit() or int(expires) <= self.clock.ms():
            return False, "Params Error: expires is in the past"
        want = hmac_sha256_hex(self.ws_secret.encode(), f"GET/realtime{expires}".encode())
        if sig != want:
            # echoes the key like the REST error does, so the broker's redaction is exercised
            return False, f"Invalid sign for api_key {key}"
        return True, ""

    def push_position(self, symbol: str) -> None:
        """The `position` topic with the symbol's position as the ledger has it."""
        qty, entry = self.ledger.positions.get(symbol, [0.0, 0.0])
        self.ws.push(
            {
                "id": f"p{next(self._ids)}",
                "topic": "position",
                "creationTime": self.clock.ms(),
                "data": [
                    {
                        "category": "linear",
                        "symbol": symbol,
                        "positionIdx": 0,
                        "side": "Buy" if qty > 0 else "Sell" if qty < 0 else "",
                        "size": f"{abs(qty):.3f}",
                        "entryPrice": str(entry),
                        "markPrice": str(self.ledger.prices[symbol]),
                        "updatedTime": str(self.clock.ms()),
                    }
                ],
            },
            "position",
        )

    def _push_fill(self, o: dict, res) -> None:
        ms = str(self.clock.ms())
        stop_type = "Stop" if o["triggerPrice"] else ""
        common = {
            "category": "linear",
            "symbol": o["symbol"],
            "orderId": o["orderId"],
            "orderLinkId": o["orderLinkId"],
            "side": o["side"],
            "orderType": "Market",
            "stopOrderType": stop_type,
        }
        self.ws.push(
            {
                "id": f"x{next(self._ids)}",
                "topic": "execution",
                "creationTime": int(ms),
                "data": [
                    common
                    | {
                        "execId": f"e{next(self._ids)}",
                        "execPrice": str(res.price),
                        "execQty": str(res.qty),
                        "execFee": f"{res.fee:.8f}",
                        "execType": "Trade",
                        "execTime": ms,
                        "orderQty": o["qty"],
                        "leavesQty": "0",
                        "orderPrice": "0",
                        "markPrice": str(self.ledger.prices[o["symbol"]]),
                        "isMaker": False,
                        "closedSize": str(res.qty) if o["reduceOnly"] else "0",
                        "feeRate": str(self.ledger.fee_rate),
                    }
                ],
            },
            "execution",
        )
        self.ws.push(
            {
                "id": f"o{next(self._ids)}",
                "topic": "order",
                "creationTime": int(ms),
                "data": [
                    common
                    | {
                        "orderStatus": "Filled",
                        "qty": o["qty"],
                        "cumExecQty": o["cumExecQty"],
                        "avgPrice": o["avgPrice"],
                        "cumExecFee": o["cumExecFee"],
                        "cumFeeDetail": o["cumFeeDetail"],
                        "cumExecValue": str(res.qty * res.price),
                        "leavesQty": "0",
                        "reduceOnly": o["reduceOnly"],
                        "closeOnTrigger": o["closeOnTrigger"],
                        "triggerPrice": o["triggerPrice"],
                        "triggerDirection": o["triggerDirection"],
                        "triggerBy": o["triggerBy"],
                        "positionIdx": 0,
                        "createdTime": o["createdTime"],
                        "updatedTime": ms,
                    }
                ],
            },
            "order",
        )
