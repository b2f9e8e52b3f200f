"""A fake Alpaca on 127.0.0.1 for offline tests: the trading REST API, the market-data
snapshot endpoint and the ``trade_updates`` WebSocket, answering from the recordings in
``recordings/`` (each checked against alpaca-py's models by ``test_recordings.py``).

The fake keeps one paper account (cash, positions, orders, FILL activities) and a quote per
symbol. Tests drive the market in Python: :meth:`FakeAlpaca.execute` fills (part of) an order,
:meth:`FakeAlpaca.match` fills every marketable open order at the touch (``auto_match`` does it
as each order arrives), :meth:`inject` queues an error response, :meth:`drop_stream` cuts the
WebSocket (executions while it is down are lost, as they are at Alpaca, and must be caught up
from the activities).

Loaded by path (the test suite runs with ``--import-mode=importlib``): see ``load_fake``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from alphafactory.live.brokers import AlpacaBroker, AlpacaCredentials

RECORDINGS = Path(__file__).with_name("recordings")
KEY = AlpacaCredentials("PKFAKEKEY0000000", "fake-secret-do-not-log-8f3a1c")
OPEN = {"accepted", "new", "partially_filled", "pending_new", "pending_cancel", "pending_replace"}
NY = "America/New_York"


def recording(name: str) -> dict:
    """A recorded response body, a fresh copy."""
    return json.loads((RECORDINGS / f"{name}.json").read_text())


def _num(value: float) -> str:
    return repr(float(value))


class FakeAlpaca:
    """The fake server (see the module doc); ``close()`` stops it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run_ws, args=(ready,), daemon=True).start()
        ready.wait(10)
        port = self._http.server_address[1]
        self.trading_url = self.data_url = f"http://127.0.0.1:{port}"
        self.stream_url = f"ws://127.0.0.1:{self._ws_port}/stream"

    # -- state --------------------------------------------------------------------------
    def reset(self, *, cash: float = 1e6, now: str = "2024-01-02T15:00:00Z",
              market_open: bool = True, quotes: dict | None = None) -> None:
        """A fresh account and market (streams already connected stay connected)."""
        with self.lock:
            self.cash = cash
            self.positions: dict[str, list[float]] = {}  # symbol -> [qty, average cost]
            self.orders: dict[str, dict] = {}
            self.by_cid: dict[str, str] = {}
            self.activities: list[dict] = []
            self.quotes = dict(quotes or {"AAA": (99.95, 100.05), "BBB": (49.95, 50.05),
                                          "AAPL": (185.45, 185.55)})
            self.volume = {s: 0.0 for s in self.quotes}
            self.now = pd.Timestamp(now)
            self.market_open = market_open
            self.errors: deque[tuple[str, str, int, str, dict]] = deque()
            self.requests: list[tuple[str, str, dict]] = []
            self.accepting = getattr(self, "accepting", True)
            self.auto_match = False  # fill marketable orders as they arrive (a session test)
            self.clients: list[asyncio.Queue] = getattr(self, "clients", [])
            self.connections = getattr(self, "connections", 0)

    def inject(self, method: str, path: str, status: int, name: str, *, times: int = 1,
               headers: dict | None = None) -> None:
        """Answer the next ``times`` requests ``method path...`` with recording ``name``."""
        with self.lock:
            for _ in range(times):
                self.errors.append((method, path, status, name, headers or {}))

    @property
    def executions(self) -> int:
        with self.lock:
            return len(self.activities)

    def mid(self, symbol: str) -> float:
        bid, ask = self.quotes[symbol]
        return (bid + ask) / 2

    def equity(self) -> float:
        return self.cash + sum(q * self.mid(s) for s, (q, _) in self.positions.items())

    # -- market -------------------------------------------------------------------------
    def execute(self, order_id: str, quantity: float | None = None,
                price: float | None = None) -> None:
        """Fill ``quantity`` (default: the rest) of an open order at ``price`` (the touch)."""
        with self.lock:
            order = self.orders[order_id]
            total, filled = float(order["qty"]), float(order["filled_qty"])
            qty = total - filled if quantity is None else quantity
            bid, ask = self.quotes[order["symbol"]]
            price = (ask if order["side"] == "buy" else bid) if price is None else price
            sign = 1.0 if order["side"] == "buy" else -1.0
            cum = filled + qty
            average = float(order["filled_avg_price"] or 0.0)
            order["filled_avg_price"] = _num((average * filled + price * qty) / cum)
            order["filled_qty"] = _num(cum)
            done = cum >= total
            order["status"] = "filled" if done else "partially_filled"
            stamp = self.now.isoformat().replace("+00:00", "Z")
            order["updated_at"] = stamp
            if done:
                order["filled_at"] = stamp
            self.cash -= sign * qty * price
            self.volume[order["symbol"]] += qty
            held, cost = self.positions.get(order["symbol"], [0.0, 0.0])
            new = held + sign * qty
            if new == 0:
                self.positions.pop(order["symbol"], None)
            else:
                if held == 0 or (held > 0) != (new > 0):
                    cost = price
                elif abs(new) > abs(held):
                    cost = (cost * abs(held) + price * qty) / abs(new)
                self.positions[order["symbol"]] = [new, cost]
            activity = recording("activity_fill")
            activity.update(id=f"{self.now:%Y%m%d%H%M%S%f}::{uuid.uuid4()}",
                            transaction_time=stamp, type="fill" if done else "partial_fill",
                            price=_num(price), qty=_num(qty), side=order["side"],
                            symbol=order["symbol"], leaves_qty=_num(total - cum),
                            order_id=order_id, cum_qty=_num(cum), order_status=order["status"])
            self.activities.append(activity)
            self._emit(activity["type"], order, price=_num(price), qty=_num(qty),
                       position_qty=_num(new), execution_id=str(uuid.uuid4()))

    def match(self) -> None:
        """Fill every open order that is marketable at the current quotes, at the touch."""
        with self.lock:
            for order_id, order in list(self.orders.items()):
                if order["status"] not in OPEN:
                    continue
                bid, ask = self.quotes[order["symbol"]]
                limit = float(order["limit_price"]) if order["limit_price"] else None
                buy = order["side"] == "buy"
                if limit is None or (buy and limit >= ask) or (not buy and limit <= bid):
                    self.execute(order_id)

    def drop_stream(self, *, refuse: bool = True) -> None:
        """Close every trade stream; with ``refuse``, refuse reconnections until
        :meth:`allow_stream`."""
        with self.lock:
            self.accepting = not refuse
            clients, self.clients = self.clients, []
        for queue in clients:
            self._loop.call_soon_threadsafe(queue.put_nowait, None)

    def allow_stream(self) -> None:
        with self.lock:
            self.accepting = True

    def close(self) -> None:
        self.drop_stream()
        self._http.shutdown()
        self._http.server_close()
        self._loop.call_soon_threadsafe(self._loop.stop)

    # -- REST ---------------------------------------------------------------------------
    def handle(self, method: str, url: str, headers: dict, body: dict | None
               ) -> tuple[int, object, dict]:
        parts = urlsplit(url)
        path, query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.requests.append((method, path, dict(headers)))
            if (headers.get("APCA-API-KEY-ID") != KEY.key_id
                    or headers.get("APCA-API-SECRET-KEY") != KEY.secret_key):
                return 401, recording("error_401"), {}
            for k, (m, prefix, status, name, extra) in enumerate(self.errors):
                if m == method and path.startswith(prefix):
                    del self.errors[k]
                    return status, recording(name), extra
            return self._route(method, path, query, body or {})

    def _route(self, method: str, path: str, query: dict, body: dict
               ) -> tuple[int, object, dict]:
        if path == "/v2/clock":
            clock = recording("clock")
            clock.update(timestamp=self.now.tz_convert(NY).isoformat(),
                         is_open=self.market_open)
            return 200, clock, {}
        if path == "/v2/account":
            account = recording("account")
            equity = self.equity()
            longs = sum(q * self.mid(s) for s, (q, _) in self.positions.items() if q > 0)
            shorts = sum(q * self.mid(s) for s, (q, _) in self.positions.items() if q < 0)
            account.update(cash=_num(self.cash), equity=_num(equity),
                           portfolio_value=_num(equity), buying_power=_num(2 * equity),
                           long_market_value=_num(longs), short_market_value=_num(shorts))
            return 200, account, {}
        if path == "/v2/positions":
            return 200, [self._position(s) for s in sorted(self.positions)], {}
        if path == "/v2/stocks/snapshots":
            return 200, {s: self._snapshot(s) for s in query["symbols"].split(",")
                         if s in self.quotes}, {}
        if path == "/v2/account/activities/FILL":
            return 200, self._activities(query), {}
        if path == "/v2/orders:by_client_order_id":
            order_id = self.by_cid.get(query["client_order_id"])
            return (200, self.orders[order_id], {}) if order_id else (
                404, recording("error_404_order"), {})
        if path == "/v2/orders" and method == "POST":
            return self._submit(body)
        if path == "/v2/orders" and method == "GET":
            found = [o for o in self.orders.values() if o["status"] in OPEN]
            return 200, found if query.get("direction") == "asc" else found[::-1], {}
        if path.startswith("/v2/orders/"):
            order = self.orders.get(path.rsplit("/", 1)[1])
            if order is None:
                return 404, recording("error_404_order"), {}
            if method == "GET":
                return 200, order, {}
            if method == "DELETE":
                if order["status"] not in OPEN:
                    return 422, recording("error_422_not_cancelable"), {}
                order.update(status="canceled", canceled_at=order["updated_at"])
                self._emit("canceled", order)
                return 204, None, {}
            if method == "PATCH":
                return self._replace(order, body)
        return 404, {"code": 40410000, "message": f"no route {method} {path}"}, {}

    def _submit(self, body: dict) -> tuple[int, object, dict]:
        cid = body.get("client_order_id") or str(uuid.uuid4())
        if cid in self.by_cid:
            return 422, recording("error_422_duplicate"), {}
        symbol = body["symbol"]
        if symbol not in self.quotes:
            error = recording("error_422_asset")
            error["message"] = f'asset "{symbol}" not found'
            return 422, error, {}
        local = self.now.tz_convert(NY).time()
        if body["time_in_force"] == "opg" and pd.Timestamp("09:28").time() <= local < \
                pd.Timestamp("19:00").time():
            return 422, recording("error_422_opg_window"), {}
        qty = float(body["qty"])
        price = float(body.get("limit_price") or self.quotes[symbol][1])
        if body["side"] == "buy" and qty * price > 2 * self.equity() - self._committed():
            return 403, recording("error_403_buying_power"), {}
        order = self._new_order(cid, body)
        self._emit("new", order)
        if self.auto_match and self.market_open:
            self.match()
        return 200, order, {}

    def _new_order(self, cid: str, body: dict, *, replaces: str | None = None) -> dict:
        order = recording("order")
        stamp = self.now.isoformat().replace("+00:00", "Z")
        order_id = str(uuid.UUID(int=len(self.orders) + 1))
        order.update(id=order_id, client_order_id=cid, created_at=stamp, updated_at=stamp,
                     submitted_at=stamp, symbol=body["symbol"], qty=_num(float(body["qty"])),
                     type=body["type"], order_type=body["type"], side=body["side"],
                     time_in_force=body["time_in_force"], replaces=replaces,
                     limit_price=body.get("limit_price") and _num(float(body["limit_price"])),
                     extended_hours=bool(body.get("extended_hours")), status="accepted",
                     position_intent=None, expires_at=None)
        self.orders[order_id] = order
        self.by_cid[cid] = order_id
        return order

    def _replace(self, order: dict, body: dict) -> tuple[int, object, dict]:
        if order["status"] not in OPEN:
            return 422, recording("error_422_not_cancelable"), {}
        if body.get("client_order_id") in self.by_cid:
            return 422, recording("error_422_duplicate"), {}
        merged = {**order, "qty": body.get("qty", order["qty"]),
                  "limit_price": body.get("limit_price", order["limit_price"])}
        new = self._new_order(body.get("client_order_id") or str(uuid.uuid4()), merged,
                              replaces=order["id"])
        order.update(status="replaced", replaced_by=new["id"], replaced_at=new["created_at"])
        self._emit("replaced", order)
        return 200, new, {}

    def _committed(self) -> float:
        return sum((float(o["qty"]) - float(o["filled_qty"])) * float(o["limit_price"] or 0)
                   for o in self.orders.values() if o["status"] in OPEN and o["side"] == "buy")

    def _position(self, symbol: str) -> dict:
        qty, cost = self.positions[symbol]
        position = recording("position_short" if qty < 0 else "position")
        mark = self.mid(symbol)
        position.update(symbol=symbol, qty=_num(qty), qty_available=_num(qty),
                        avg_entry_price=_num(cost), cost_basis=_num(qty * cost),
                        market_value=_num(qty * mark), current_price=_num(mark))
        return position

    def _snapshot(self, symbol: str) -> dict:
        snap = recording("snapshot")["AAPL"]
        bid, ask = self.quotes[symbol]
        stamp = self.now.isoformat().replace("+00:00", "Z")
        snap["latestQuote"].update(t=stamp, bp=bid, ap=ask)
        snap["latestTrade"].update(t=stamp, p=self.mid(symbol))
        snap["dailyBar"].update(v=self.volume[symbol])
        return snap

    def _activities(self, query: dict) -> list[dict]:
        after = pd.Timestamp(query["after"]) if "after" in query else None
        found = [a for a in self.activities
                 if after is None or pd.Timestamp(a["transaction_time"]) >= after]
        if "page_token" in query:
            ids = [a["id"] for a in found]
            found = found[ids.index(query["page_token"]) + 1:]
        return found[:int(query.get("page_size", 100))]

    # -- stream -------------------------------------------------------------------------
    def _emit(self, event: str, order: dict, **extra: str) -> None:
        frame = recording("stream_trade_update_partial_fill")
        frame["data"] = {"event": event, "order": copy.deepcopy(order),
                         "timestamp": self.now.isoformat().replace("+00:00", "Z"), **extra}
        text = json.dumps(frame)
        for queue in self.clients:
            self._loop.call_soon_threadsafe(queue.put_nowait, text)

    def _run_ws(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            server = await serve(self._session, "127.0.0.1", 0)
            self._ws_port = next(iter(server.sockets)).getsockname()[1]

        self._loop.run_until_complete(start())
        ready.set()
        self._loop.run_forever()

    async def _session(self, ws) -> None:
        with self.lock:
            accepting = self.accepting
        if not accepting:
            await ws.close()
            return
        queue: asyncio.Queue | None = None
        try:
            auth = json.loads(await ws.recv())["data"]
            if (auth.get("key_id"), auth.get("secret_key")) != (KEY.key_id, KEY.secret_key):
                await ws.send(json.dumps(recording("stream_unauthorized")))
                return
            await ws.send(json.dumps(recording("stream_authorized")))
            listen = json.loads(await ws.recv())
            assert listen["action"] == "listen"
            queue = asyncio.Queue()
            with self.lock:
                self.clients.append(queue)
                self.connections += 1
            await ws.send(json.dumps(recording("stream_listening")))
            while (frame := await queue.get()) is not None:
                await ws.send(frame)
        except ConnectionClosed:
            pass
        finally:
            with self.lock:
                self.clients = [q for q in self.clients if q is not queue]
            await ws.close()


def _handler(fake: FakeAlpaca) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            status, payload, extra = fake.handle(self.command, self.path, dict(self.headers),
                                                 body)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class FakeMarketBroker(AlpacaBroker):
    """:class:`AlpacaBroker` on the fake, plus the simulated venues' ``advance``: move the
    fake's clock, match marketable orders and wait until the stream delivered the fills."""

    def __init__(self, fake: FakeAlpaca, **kwargs: object) -> None:
        options = dict(trading_url=fake.trading_url, stream_url=fake.stream_url,
                       data_url=fake.data_url, fills_after=fake.now, reconnect_s=0.05)
        super().__init__(KEY, **{**options, **kwargs})
        self.fake = fake

    def advance(self, until: pd.Timestamp) -> None:
        if until <= self.now():
            raise ValueError(f"the venue clock only moves forward: {until} <= {self.now()}.")
        with self.fake.lock:
            self.fake.now = pd.Timestamp(until).tz_convert("UTC")
        self.fake.match()
        self.wait_for_fills()

    def wait_for_fills(self, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.fills()) < self.fake.executions:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.fills())} of {self.fake.executions} fills "
                                   "arrived")
            time.sleep(0.005)


_SHARED: dict[str, object] = {}


def shared_fake() -> FakeAlpaca:
    """One fake per test session (reset it before use)."""
    if "fake" not in _SHARED:
        _SHARED["fake"] = FakeAlpaca()
    return _SHARED["fake"]


def fresh_broker(**kwargs: object) -> FakeMarketBroker:
    """Close the broker made by the previous call, reset the shared fake, start a new
    broker on it (at most one broker, hence one stream thread, alive at a time)."""
    previous = _SHARED.pop("broker", None)
    if previous is not None:
        previous.close()
    fake = shared_fake()
    fake.drop_stream(refuse=False)
    fake.reset()
    fake.allow_stream()
    broker = FakeMarketBroker(fake, **kwargs).start(timeout_s=10)
    _SHARED["broker"] = broker
    return broker


def close_shared() -> None:
    broker = _SHARED.pop("broker", None)
    if broker is not None:
        broker.close()
