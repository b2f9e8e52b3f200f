"""``AlpacaBroker``: the :class:`~alphafactory.execution.venue.Venue` protocol on Alpaca.

Orders, cancels, replaces, positions and the account go through alpaca-py's ``TradingClient``
(REST); executions arrive on its ``TradingStream`` (the ``trade_updates`` WebSocket), run on a
daemon thread that appends to a fill list numbered in arrival order; quotes are read from the
market-data snapshot endpoint on each call (``StockHistoricalDataClient``; ``data_feed`` "iex"
for a free account, "sip" with a subscription). Paper trading by default: the live endpoint is
used only when the caller passes ``live=True`` (the CLI asks for ``--live --confirm
ACCOUNT_ID``).

Mapping (see :mod:`~alphafactory.live.brokers.alpaca_mapping`):

- Time in force: an ``IOC`` order stays IOC. A ``GTC`` order (the Order default) is sent DAY
  while the market is open; while it is closed it is sent OPG (the opening auction, matching
  the backtest's next-open fill) when Alpaca accepts OPG (19:00 to 09:28 New York time) and DAY
  otherwise, which Alpaca queues to the next open (``after_close="day"`` always sends DAY).
  The broker reads Alpaca's market clock before each submit to decide.
- Statuses: pending_new -> SUBMITTED, accepted/new -> ACCEPTED, pending_cancel ->
  CANCEL_REQUESTED, canceled/replaced -> CANCELLED, ... ``cancel`` answers what Alpaca reports
  right after the DELETE (CANCELLED, or CANCEL_REQUESTED while the exchange confirms).
- Replace: Alpaca replaces an order by a new one with a new id; its ``client_order_id`` is the
  caller's id with ``~r1``, ``~r2``, ... appended, so every order of a chain maps back. A
  partially filled order is not replaced (cancel it and send the rest).
- Refusals: HTTP 403 (buying power, a short Alpaca will not lend) and 422 (unknown asset, bad
  quantity) become a REJECTED ack with Alpaca's message. HTTP 429 is retried at most
  ``max_retries`` times, waiting what ``Retry-After`` says (else doubling from ``backoff_s``,
  capped at ``max_wait_s``); after that, or on a network error, :class:`ExecutionError`.
- Idempotence: a ``client_order_id`` already sent returns the ack stored for it; after a
  restart Alpaca's "client_order_id must be unique" makes the broker adopt the existing order.
- Fills: every (re)connection of the stream first polls the FILL activities since
  ``fills_after`` (default: when the broker was made), so fills missed while the stream was down
  are caught up; an execution is keyed by (Alpaca order id, cumulative filled quantity), so one
  seen on both paths is kept once. Fees are 0 (no commission; regulatory fees on sells post later
  as separate activities and are not in ``fills``).

Limits of Alpaca, not checked here (Alpaca refuses with a 403/422, which comes back as a
REJECTED ack): shorts only in easy-to-borrow symbols, in whole shares, on a margin account;
fractional quantities only for market (and, where enabled, limit) orders with time in force
DAY, never short, never replaced (``lot_size`` is 1); extended hours (pre- and post-market) only
for DAY limit orders, turned on for every limit order by ``extended_hours=True``. One trade
stream per account: a second broker on the same keys disconnects the first.

Keys come from :class:`AlpacaCredentials` (environment or a key file); the broker never logs
them and its ``repr`` omits the secret.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

import pandas as pd
import requests

from alphafactory.errors import ExecutionError
from alphafactory.execution.orders import (
    Account,
    Ack,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
)
from alphafactory.live.brokers._sdk import (
    AlpacaOrder,
    AlpacaSide,
    APIError,
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    QueryOrderStatus,
    ReplaceOrderRequest,
    StockHistoricalDataClient,
    StockSnapshotRequest,
    TradeUpdate,
    TradingClient,
    TradingStream,
)
from alphafactory.live.brokers.alpaca_fills import FillLog
from alphafactory.live.brokers.alpaca_mapping import (
    AfterClose,
    AlpacaCredentials,
    ack_from_alpaca,
    base_client_order_id,
    error_message,
    error_reason,
    order_from_alpaca,
    price_or_none,
    replacement_client_order_id,
    retry_after,
    time_in_force_for,
)

__all__ = ["AlpacaBroker"]

log = logging.getLogger(__name__)
# websockets logs every frame at DEBUG, the authentication frame (with the secret) included:
# the stream's connection logs to this logger, which never passes DEBUG records on.
FRAME_LOG = logging.getLogger(f"{__name__}.frames")
FRAME_LOG.setLevel(logging.INFO)
T = TypeVar("T")


@dataclasses.dataclass(slots=True)
class _Entry:
    """What the broker knows of one caller order: as first sent, as now (after replaces), the
    Alpaca order now carrying it, and the first ack (returned again on a resubmit)."""

    sent: Order
    current: Order
    alpaca_id: str
    first_ack: Ack


class _Stream(TradingStream):
    """alpaca-py's trade stream with a hook run after each (re)connection."""

    def __init__(self, *args: object, on_connect: Callable[[], None], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._on_connect = on_connect

    async def _start_ws(self) -> None:
        await super()._start_ws()
        await asyncio.to_thread(self._on_connect)


class AlpacaBroker:
    """A :class:`Venue` on an Alpaca account (paper unless ``live=True``); see the module doc.

    Use as a context manager, or call :meth:`start` (connects the trade stream) and
    :meth:`close`. The URL overrides point alpaca-py at another server (tests use a local fake).
    """

    def __init__(self, credentials: AlpacaCredentials, *, live: bool = False,
                 after_close: AfterClose = "opg", extended_hours: bool = False,
                 data_feed: str = "iex", fills_after: pd.Timestamp | None = None,
                 trading_url: str | None = None, stream_url: str | None = None,
                 data_url: str | None = None, max_retries: int = 5, backoff_s: float = 1.0,
                 max_wait_s: float = 60.0, reconnect_s: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if live is not True and live is not False:
            raise ExecutionError(f"live must be True or False, got {live!r}.")
        if after_close not in ("opg", "day"):
            raise ExecutionError(f"after_close must be 'opg' or 'day', got {after_close!r}.")
        self.live = live
        self.after_close = after_close
        self.extended_hours = extended_hours
        self.data_feed = data_feed
        self.max_retries, self.backoff_s, self.max_wait_s = max_retries, backoff_s, max_wait_s
        self._sleep = sleep
        self._key_id = credentials.key_id
        key, secret = credentials.key_id, credentials.secret_key
        self._trading = TradingClient(key, secret, paper=not live, url_override=trading_url)
        self._data = StockHistoricalDataClient(key, secret, url_override=data_url)
        for client in (self._trading, self._data):
            client._retry = 0  # 429 is retried here, honouring Retry-After
        self._stream = _Stream(key, secret, paper=not live, url_override=stream_url,
                               on_connect=self._on_connect, websocket_params=dict(
                                   ping_interval=10, ping_timeout=180, max_queue=1024,
                                   logger=FRAME_LOG))
        self._stream._reconnect_min_backoff = reconnect_s
        self._stream.subscribe_trade_updates(self._on_trade_update)
        self._fills_after = (pd.Timestamp.now(tz="UTC") if fills_after is None
                             else pd.Timestamp(fills_after).tz_convert("UTC"))
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self.fill_log = FillLog()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self.reconnections = 0

    def __repr__(self) -> str:
        mode = "live" if self.live else "paper"
        return f"AlpacaBroker({mode}, key_id={self._key_id[:4]}...)"

    # -- life cycle ------------------------------------------------------------------------
    def start(self, timeout_s: float = 30.0) -> AlpacaBroker:
        """Connect the trade stream (and catch up fills); return when it listens."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._stream.run, daemon=True,
                                            name="alpaca-trade-updates")
            self._thread.start()
        if not self._connected.wait(timeout_s):
            raise ExecutionError(f"the Alpaca trade stream did not connect in {timeout_s} s.")
        return self

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the trade stream and its thread."""
        loop = self._stream._loop
        if self._thread is not None and loop is not None and loop.is_running():
            for stop in (self._stream.stop_ws, self._stream.close):
                try:
                    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout_s)
                except RuntimeError:  # the loop ended in between
                    break
            self._thread.join(timeout_s)
        self._thread = None

    def __enter__(self) -> AlpacaBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- Venue -----------------------------------------------------------------------------
    def submit(self, order: Order) -> Ack:
        """Send ``order`` (see the module doc for time in force and refusals)."""
        with self._lock:
            known = self._entries.get(order.client_order_id)
        if known is not None:
            return self._resubmitted(known, order)
        clock = self._call(self._trading.get_clock)
        tif = time_in_force_for(order, market_open=clock.is_open,
                                now=pd.Timestamp(clock.timestamp).tz_convert("UTC"),
                                after_close=self.after_close,
                                extended_hours=self.extended_hours
                                and order.type == OrderType.LIMIT)
        fields = dict(symbol=order.symbol, qty=order.quantity, time_in_force=tif,
                      side=AlpacaSide.BUY if order.side == Side.BUY else AlpacaSide.SELL,
                      client_order_id=order.client_order_id)
        if order.type == OrderType.LIMIT:
            request = LimitOrderRequest(**fields, limit_price=order.limit_price,
                                        extended_hours=self.extended_hours or None)
        else:
            request = MarketOrderRequest(**fields)
        try:
            raw = self._call(self._trading.submit_order, request)
        except APIError as error:
            if "client_order_id must be unique" in error_message(error):
                return self._resubmitted(self._adopt(order.client_order_id), order)
            ack = Ack(order=order, venue_order_id="", status=OrderStatus.REJECTED,
                      filled_quantity=0.0, average_price=None,
                      ts=pd.Timestamp.now(tz="UTC"), reason=error_reason(error))
            log.info("alpaca refused %s: %s", order.client_order_id, ack.reason)
        else:
            ack = ack_from_alpaca(order, raw)
            self.fill_log.own(raw)
        with self._lock:
            self._entries[order.client_order_id] = _Entry(order, order, ack.venue_order_id, ack)
        return ack

    def cancel(self, client_order_id: str) -> Ack:
        """Cancel an open order: CANCELLED, or CANCEL_REQUESTED until Alpaca confirms."""
        entry = self._entry(client_order_id)
        ack = self._latest_ack(entry)
        if ack.status.is_open and ack.status != OrderStatus.CANCEL_REQUESTED:
            try:
                self._call(self._trading.cancel_order_by_id, ack.venue_order_id)
            except APIError as error:
                if error.status_code != 422:  # 422: no longer cancelable (filled meanwhile)
                    raise ExecutionError(
                        f"cancel {client_order_id}: {error_reason(error)}") from None
            ack = self._latest_ack(entry)
            if ack.status.is_open or ack.status == OrderStatus.CANCELLED:
                return ack
        return dataclasses.replace(ack, reason=f"nothing to cancel: the order is "
                                               f"{ack.status.value}")

    def replace(self, client_order_id: str, *, quantity: float | None = None,
                limit_price: float | None = None) -> Ack:
        """Replace an open, unfilled LIMIT order by one with a new quantity and/or price."""
        entry = self._entry(client_order_id)
        ack = self._latest_ack(entry)
        if not ack.status.is_open or entry.current.type != OrderType.LIMIT:
            return dataclasses.replace(ack, reason="only an open LIMIT order can be replaced")
        if ack.filled_quantity > 0:
            return dataclasses.replace(ack, reason="replace refused: the order is partially "
                                                   "filled; cancel it and send the rest")
        new = dataclasses.replace(
            entry.current, quantity=entry.current.quantity if quantity is None else quantity,
            limit_price=entry.current.limit_price if limit_price is None else limit_price)
        if new.quantity != int(new.quantity):
            return dataclasses.replace(ack, reason="replace refused: Alpaca replaces whole "
                                                   "share quantities only")
        current = self._call(self._trading.get_order_by_id, ack.venue_order_id)
        request = ReplaceOrderRequest(
            qty=int(new.quantity), limit_price=new.limit_price,
            client_order_id=replacement_client_order_id(current.client_order_id))
        try:
            raw = self._call(self._trading.replace_order_by_id, ack.venue_order_id, request)
        except APIError as error:
            return dataclasses.replace(ack, reason=f"replace refused: {error_reason(error)}")
        self.fill_log.own(raw)
        with self._lock:
            entry.current, entry.alpaca_id = new, str(raw.id)
        return ack_from_alpaca(new, raw)

    def open_orders(self) -> tuple[Ack, ...]:
        """Every open market or limit order of the account, oldest first."""
        raws = self._call(self._trading.get_orders, GetOrdersRequest(
            status=QueryOrderStatus.OPEN, limit=500, direction="asc"))
        acks = []
        for raw in raws:
            cid = base_client_order_id(raw.client_order_id)
            with self._lock:
                entry = self._entries.get(cid)
            order = entry.current if entry is not None else order_from_alpaca(raw)
            if order is not None:
                self.fill_log.own(raw)
                acks.append(ack_from_alpaca(order, raw))
        return tuple(acks)

    def positions(self) -> Mapping[str, Position]:
        """Non-zero positions by symbol (negative quantity: short)."""
        out = {}
        for raw in self._call(self._trading.get_all_positions):
            sign = -1.0 if raw.side.value == "short" else 1.0
            quantity = sign * abs(float(raw.qty))
            if quantity != 0:
                out[raw.symbol] = Position(symbol=raw.symbol, quantity=quantity,
                                           average_cost=float(raw.avg_entry_price))
        return out

    def account(self) -> Account:
        """Cash, equity (Alpaca's, positions at its marks) and buying power."""
        raw = self._call(self._trading.get_account)
        return Account(cash=float(raw.cash), equity=float(raw.equity),
                       buying_power=float(raw.buying_power), ts=pd.Timestamp.now(tz="UTC"))

    def account_identity(self) -> tuple[str, str]:
        """The account's number (as Alpaca's dashboard shows it) and id: what ``--live
        --confirm`` must name."""
        raw = self._call(self._trading.get_account)
        return str(raw.account_number), str(raw.id)

    def fills(self, since: int = 0) -> tuple[Fill, ...]:
        """Fills with ``sequence > since`` that the stream (or a catch-up poll) delivered."""
        return self.fill_log.since(since)

    def quote(self, symbol: str) -> Quote:
        """The latest quote, last trade and day volume of ``symbol`` (one snapshot request)."""
        snapshots = self._call(self._data.get_stock_snapshot, StockSnapshotRequest(
            symbol_or_symbols=symbol, feed=self.data_feed))
        snap = snapshots.get(symbol)
        quote = snap.latest_quote if snap is not None else None
        trade = snap.latest_trade if snap is not None else None
        bar = snap.daily_bar if snap is not None else None
        stamp = quote.timestamp if quote is not None else pd.Timestamp.now(tz="UTC")
        return Quote(symbol=symbol, bid=price_or_none(quote.bid_price if quote else None),
                     ask=price_or_none(quote.ask_price if quote else None),
                     last=price_or_none(trade.price if trade else None),
                     volume=float(bar.volume) if bar is not None else 0.0,
                     ts=pd.Timestamp(stamp).tz_convert("UTC"))

    def lot_size(self, symbol: str) -> float:
        """1 share (fractional shares are market/day only, so they are not offered here)."""
        return 1.0

    def now(self) -> pd.Timestamp:
        """Alpaca's market clock, UTC."""
        return pd.Timestamp(self._call(self._trading.get_clock).timestamp).tz_convert("UTC")

    def sync(self) -> int:
        """Poll the FILL activities now (as after a reconnection); the number of new fills."""
        before = len(self.fill_log)
        self._catch_up()
        return len(self.fill_log) - before

    # -- internals -------------------------------------------------------------------------
    def _call(self, method: Callable[..., T], *args: object) -> T:
        """``method(*args)``, retrying HTTP 429 with bounded backoff."""
        for attempt in range(self.max_retries + 1):
            try:
                return method(*args)
            except APIError as error:
                if error.status_code != 429:
                    raise
                if attempt == self.max_retries:
                    raise ExecutionError(f"Alpaca rate limit: still HTTP 429 after "
                                         f"{self.max_retries} retries.") from None
                wait = retry_after(error)
                if wait is None:
                    wait = self.backoff_s * 2 ** attempt
                wait = min(wait, self.max_wait_s)
                log.warning("alpaca rate limit (429); retrying in %.2f s", wait)
                self._sleep(wait)
            except requests.RequestException as error:
                raise ExecutionError(f"Alpaca unreachable: {type(error).__name__}.") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _entry(self, client_order_id: str) -> _Entry:
        with self._lock:
            entry = self._entries.get(client_order_id)
        return entry if entry is not None else self._adopt(client_order_id)

    def _adopt(self, client_order_id: str) -> _Entry:
        """Learn an order this broker did not send (after a restart) from Alpaca."""
        try:
            raw = self._call(self._trading.get_order_by_client_id, client_order_id)
        except APIError as error:
            if error.status_code == 404:
                raise KeyError(f"{client_order_id}: Alpaca has no order with this "
                               "client_order_id") from None
            raise
        order = order_from_alpaca(raw)
        if order is None:
            raise ExecutionError(f"{client_order_id}: Alpaca order type {raw.type} is not a "
                                 "market or limit order.")
        entry = _Entry(order, order, str(raw.id), ack_from_alpaca(order, raw))
        entry.current = order
        latest = self._latest(entry)
        if str(latest.id) != str(raw.id):
            entry.current = order_from_alpaca(latest) or order
            entry.first_ack = ack_from_alpaca(entry.current, latest)
        with self._lock:
            return self._entries.setdefault(client_order_id, entry)

    def _resubmitted(self, entry: _Entry, order: Order) -> Ack:
        if entry.sent != order:
            raise ValueError(f"client_order_id {order.client_order_id!r} already used for "
                             f"another order ({entry.sent}).")
        return entry.first_ack

    def _latest(self, entry: _Entry) -> AlpacaOrder:
        """The Alpaca order that carries ``entry`` now (following replacements)."""
        raw = self._call(self._trading.get_order_by_id, entry.alpaca_id)
        while raw.replaced_by is not None:
            raw = self._call(self._trading.get_order_by_id, str(raw.replaced_by))
        self.fill_log.own(raw)
        with self._lock:
            entry.alpaca_id = str(raw.id)
        return raw

    def _latest_ack(self, entry: _Entry) -> Ack:
        if not entry.alpaca_id:  # refused at submit
            return entry.first_ack
        return ack_from_alpaca(entry.current, self._latest(entry))

    async def _on_trade_update(self, update: TradeUpdate) -> None:
        self.fill_log.on_trade_update(update)

    def _on_connect(self) -> None:
        if self._connected.is_set():
            self.reconnections += 1
            log.info("alpaca trade stream reconnected; catching up fills")
        self._catch_up()
        self._connected.set()

    def _catch_up(self) -> None:
        """Record the FILL activities since ``fills_after`` that the stream did not deliver."""
        self.fill_log.catch_up(
            lambda params: self._call(self._trading.get, "/account/activities/FILL", params),
            lambda order_id: self._call(self._trading.get_order_by_id, order_id),
            self._fills_after)
