"""``SimulatedVenue``: the :class:`Venue` protocol over the C++ matching engine.

One book per symbol: a :class:`MatchingEngine` fed by seeded :class:`PoissonOrderFlow`
background liquidity, calibrated by :class:`BookConfig`. Our orders are converted to ticks and
lots once, here, and sent through the engine's batch API; the flow runs only in ``advance``, so
between two ``advance`` calls the books hold still and a submit meets exactly the book that
``quote`` shows. Fees are ``fee_bps`` of notional on every fill (0 by default).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from alphafactory.engine import ORDER_DTYPE, EventType, MatchingEngine, OrderType, Reason
from alphafactory.engine.convert import decimals_of, to_step
from alphafactory.execution.book import BookConfig
from alphafactory.execution.ledger import Ledger, OrderRecord
from alphafactory.execution.orders import (
    Account,
    Ack,
    Fill,
    Liquidity,
    Order,
    OrderStatus,
    Position,
    Quote,
    Side,
    TimeInForce,
)
from alphafactory.execution.orders import OrderType as VenueOrderType

__all__ = ["SimulatedVenue"]

ACCOUNT = 1
_FIRST_ORDER_ID = 1 << 20
_EPOCH = pd.Timestamp("2000-01-03", tz="UTC")


@dataclasses.dataclass(slots=True)
class _Book:
    config: BookConfig
    engine: MatchingEngine
    flow: object
    last: float | None = None
    volume: float = 0.0
    decimals: int = 0

    def price(self, ticks: int | None) -> float | None:
        """Ticks to currency, rounded to the tick's decimals (the engine's own conversion)."""
        return None if ticks is None else round(int(ticks) * self.config.tick_size, self.decimals)

    def ticks(self, price: float) -> int:
        return to_step(price, self.config.tick_size)

    def lots(self, shares: float) -> int:
        return to_step(shares, self.config.shares_per_lot, what="qty")


class SimulatedVenue:
    """A venue of simulated books, one per symbol.

    Parameters
    ----------
    books : mapping of str to BookConfig
        Symbols and how each book is simulated.
    seed : int
        Book ``k`` (in the mapping's order) uses seed ``seed + k``; same seed, same market.
    cash : float
        Starting cash (currency).
    start : Timestamp
        What ``now()`` reads once the books are warmed up.
    leverage : float, optional
        Gross exposure allowed as a multiple of equity; orders beyond it are rejected. None:
        no limit (``buying_power`` is ``inf``).
    fee_bps : float
        Fee per fill in bps of its notional.
    """

    def __init__(
        self,
        books: Mapping[str, BookConfig],
        *,
        seed: int = 0,
        cash: float = 1e6,
        start: pd.Timestamp = _EPOCH,
        leverage: float | None = None,
        fee_bps: float = 0.0,
    ) -> None:
        if not books:
            raise ValueError("a SimulatedVenue needs at least one symbol's BookConfig.")
        if leverage is not None and not leverage > 0:
            raise ValueError(f"leverage must be positive or None, got {leverage}.")
        if not (math.isfinite(fee_bps) and fee_bps >= 0):
            raise ValueError(f"fee_bps must be finite and >= 0, got {fee_bps}.")
        self._books: dict[str, _Book] = {}
        self._ns = 0
        for k, (symbol, config) in enumerate(books.items()):
            engine, flow = config.open(seed + k)
            decimals = decimals_of(config.tick_size)
            self._books[symbol] = _Book(config, engine, flow, decimals=decimals)
            self._ns = max(self._ns, flow.now)
        for book in self._books.values():  # one clock: every flow at the latest warm-up end
            if book.flow.now < self._ns:
                self._drive(book, self._ns)
        self._origin = self._ns
        self._start = pd.Timestamp(start)
        self._now = self._start
        self._leverage = leverage
        self._fee = fee_bps * 1e-4
        self._ledger = Ledger(cash)
        self._next_id = _FIRST_ORDER_ID
        self._by_engine_id: dict[int, str] = {}

    # ---- clock ----------------------------------------------------------------------------
    def now(self) -> pd.Timestamp:
        return self._now

    def advance(self, until: pd.Timestamp) -> None:
        """Run every book's background flow until ``until``; resting orders fill here."""
        target = self._origin + int((pd.Timestamp(until) - self._start).value)
        if target < self._ns:
            raise ValueError(f"cannot advance to {until}: the venue's clock is at {self.now()}.")
        for symbol, book in self._books.items():
            trades = self._drive(book, target)
            ours = trades[trades["maker_account"] == ACCOUNT]
            for trade in ours:
                self._maker_fill(symbol, book, trade)
        self._ns = target
        self._now = self._start + pd.Timedelta(target - self._origin, unit="ns")

    def _drive(self, book: _Book, until: int):
        step = book.flow.drive(book.engine, until=until)
        trades = step.trades
        if len(trades):
            book.last = book.price(trades["price"][-1])
            book.volume += float(trades["qty"].sum()) * book.config.shares_per_lot
        return trades

    # ---- orders ---------------------------------------------------------------------------
    def submit(self, order: Order) -> Ack:
        original = self._ledger.seen(order)
        if original is not None:
            return original
        engine_id = self._next_id
        self._next_id += 1
        venue_id = str(engine_id)
        refusal = self._refusal(order)
        if refusal is not None:
            record = self._ledger.open(order, venue_id, self.now(), OrderStatus.REJECTED, refusal)
            record.first_ack = record.ack(self.now())
            return record.first_ack
        book = self._books[order.symbol]
        quote = self.quote(order.symbol)
        rec = np.zeros(1, dtype=ORDER_DTYPE)
        rec["ts"], rec["order_id"], rec["account"] = self._ns, engine_id, ACCOUNT
        rec["side"], rec["qty"] = int(order.side), book.lots(order.quantity)
        if order.type == VenueOrderType.MARKET:
            rec["type"] = int(OrderType.MARKET)
        else:
            rec["type"] = int(OrderType.IOC if order.time_in_force == TimeInForce.IOC
                              else OrderType.LIMIT)
            rec["price"] = book.ticks(order.limit_price)
        trades, events = book.engine.process(rec)
        record = self._ledger.open(order, venue_id, self.now())
        self._by_engine_id[engine_id] = order.client_order_id
        self._fills_of(order, book, trades, quote)
        self._settle(record, events, engine_id, book)
        record.first_ack = record.ack(self.now())
        return record.first_ack

    def cancel(self, client_order_id: str) -> Ack:
        record = self._ledger.record(client_order_id)
        refused = self._ledger.cancel_refusal(record, self.now())
        if refused is not None:
            return refused
        book = self._books[record.order.symbol]
        book.engine.cancel(int(record.venue_order_id), ts=self._ns)
        self._ledger.mark_cancelled(record)
        return record.ack(self.now())

    def replace(self, client_order_id: str, *, quantity: float | None = None,
                limit_price: float | None = None) -> Ack:
        record = self._ledger.record(client_order_id)
        new = self._ledger.replacement(record, self.now(), quantity=quantity,
                                       limit_price=limit_price)
        if isinstance(new, Ack):
            return new
        order = record.order
        book = self._books[order.symbol]
        refusal = self._refusal(new, check_money=False)
        if refusal is not None:
            return dataclasses.replace(record.ack(self.now()), reason=f"replace refused: {refusal}")
        quote = self.quote(order.symbol)
        open_lots = book.lots(new.quantity) - book.lots(record.filled)
        engine_id = int(record.venue_order_id)
        trades, events = book.engine.process(_modify(self._ns, engine_id, open_lots,
                                                     book.ticks(new.limit_price)))
        mine = events[events["order_id"] == engine_id]
        rejected = mine[mine["event"] == int(EventType.REJECTED)]
        if len(rejected):  # the engine kept the order as it was
            why = _words(Reason(int(rejected[0]["reason"])))
            return dataclasses.replace(record.ack(self.now()), reason=f"replace refused: {why}")
        record.order = new
        self._fills_of(new, book, trades, quote)
        self._settle(record, events, engine_id, book)
        return record.ack(self.now())

    def open_orders(self) -> tuple[Ack, ...]:
        return self._ledger.open_acks(self.now())

    # ---- state ----------------------------------------------------------------------------
    def positions(self) -> dict[str, Position]:
        return self._ledger.positions()

    def account(self) -> Account:
        marks = {s: self.quote(s).mid or 0.0 for s in self._books}
        equity = self._ledger.equity(marks)
        power = math.inf if self._leverage is None else max(
            0.0, self._leverage * equity - self._ledger.gross_exposure(marks))
        return Account(cash=self._ledger.cash, equity=equity, buying_power=power, ts=self.now())

    def fills(self, since: int = 0) -> tuple[Fill, ...]:
        return self._ledger.fills(since)

    def quote(self, symbol: str) -> Quote:
        book = self._book(symbol)
        bid, ask = book.engine.best_ticks()
        return Quote(symbol=symbol, bid=book.price(bid), ask=book.price(ask), last=book.last,
                     volume=book.volume, ts=self._now)

    def lot_size(self, symbol: str) -> float:
        return self._book(symbol).config.shares_per_lot

    def book_config(self, symbol: str) -> BookConfig:
        """How ``symbol``'s book is simulated."""
        return self._book(symbol).config

    # ---- internals ------------------------------------------------------------------------
    def _book(self, symbol: str) -> _Book:
        try:
            return self._books[symbol]
        except KeyError:
            raise KeyError(f"no book for symbol {symbol!r}; have {sorted(self._books)}.") from None

    def _refusal(self, order: Order, *, check_money: bool = True) -> str | None:
        book = self._books.get(order.symbol)
        if book is None:
            return f"unknown symbol {order.symbol!r}"
        try:
            book.lots(order.quantity)
            if order.limit_price is not None:
                book.ticks(order.limit_price)
        except ValueError as exc:
            return str(exc)
        if check_money and self._leverage is not None:
            quote = self.quote(order.symbol)
            price = order.limit_price or quote.touch(order.side) or quote.mid or 0.0
            power = self.account().buying_power
            if order.quantity * price > power:
                return (f"notional {order.quantity * price:,.2f} exceeds buying power "
                        f"{power:,.2f}")
        return None


    def _fills_of(self, order: Order, book: _Book, trades: np.ndarray, quote: Quote) -> None:
        for trade in trades:
            self._taker_fill(order, book, trade, quote)
            if int(trade["maker_account"]) == ACCOUNT:  # our own resting order was hit
                self._maker_fill(order.symbol, book, trade)

    def _taker_fill(self, order: Order, book: _Book, trade, quote: Quote) -> None:
        price = book.price(trade["price"])
        qty = float(trade["qty"]) * book.config.shares_per_lot
        book.last = price
        book.volume += qty
        touch = quote.touch(order.side)
        self._ledger.book(Fill(
            sequence=self._ledger.next_sequence, client_order_id=order.client_order_id,
            symbol=order.symbol, side=order.side, quantity=qty, price=price, ts=self.now(),
            liquidity=Liquidity.TAKER, fee=self._fee * price * qty,
            mid=math.nan if quote.mid is None else quote.mid,
            touch=math.nan if touch is None else touch,
        ))  # fmt: skip

    def _maker_fill(self, symbol: str, book: _Book, trade) -> None:
        client_id = self._by_engine_id[int(trade["maker_order_id"])]
        order = self._ledger.orders[client_id].order
        price = book.price(trade["price"])
        qty = float(trade["qty"]) * book.config.shares_per_lot
        ts = self._start + pd.Timedelta(int(trade["ts"]) - self._origin, unit="ns")
        self._ledger.book(Fill(
            sequence=self._ledger.next_sequence, client_order_id=client_id, symbol=symbol,
            side=order.side, quantity=qty, price=price, ts=ts, liquidity=Liquidity.MAKER,
            fee=self._fee * price * qty,
        ))  # fmt: skip

    def _settle(self, record: OrderRecord, events: np.ndarray, engine_id: int,
                book: _Book) -> None:
        """Set the order's status from the engine's events about it."""
        for event in events[events["order_id"] == engine_id]:
            kind, reason = EventType(int(event["event"])), Reason(int(event["reason"]))
            left = float(event["remaining_qty"]) * book.config.shares_per_lot
            if kind == EventType.REJECTED:
                record.status, record.reason = OrderStatus.REJECTED, _words(reason)
            elif kind == EventType.CANCELED and reason == Reason.IOC_REMAINDER:
                record.status = OrderStatus.EXPIRED
                record.reason = f"immediate-or-cancel: {left:g} shares expired unfilled"
            elif kind == EventType.CANCELED:
                record.status = OrderStatus.CANCELLED
                record.reason = f"{_words(reason)}: {left:g} shares cancelled"


def _modify(ts: int, order_id: int, lots: int, ticks: int) -> np.ndarray:
    rec = np.zeros(1, dtype=ORDER_DTYPE)
    rec["ts"], rec["order_id"], rec["type"] = ts, order_id, int(OrderType.MODIFY)
    rec["side"], rec["qty"], rec["price"], rec["account"] = int(Side.BUY), lots, ticks, ACCOUNT
    return rec


def _words(reason: Reason) -> str:
    return reason.name.lower().replace("_", " ")
