"""The ledger: what happened at a venue (fills, cash, positions) and the state of its orders.

Both simulated venues keep their books here, so idempotent submits, order states and money are
handled once: cash moves by the signed notional of every fill and its fee, positions carry their
average cost, and the first acknowledgement of every client order id is kept.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import pandas as pd

from alphafactory.execution.orders import Ack, Fill, Order, OrderStatus, OrderType, Position

__all__ = ["Ledger", "OrderRecord"]


@dataclasses.dataclass(kw_only=True, slots=True)
class OrderRecord:
    """Mutable state of one order inside a venue (the venue hands out :class:`Ack` snapshots)."""

    order: Order
    venue_order_id: str
    status: OrderStatus
    filled: float = 0.0
    cost: float = 0.0  # sum of price * quantity of its fills
    reason: str | None = None
    first_ack: Ack | None = None

    def ack(self, ts: pd.Timestamp) -> Ack:
        average = self.cost / self.filled if self.filled > 0 else None
        return Ack(order=self.order, venue_order_id=self.venue_order_id, status=self.status,
                   filled_quantity=self.filled, average_price=average, ts=ts, reason=self.reason)


class Ledger:
    """Cash, positions, fills and orders of one account at one venue."""

    def __init__(self, cash: float) -> None:
        if not math.isfinite(cash):
            raise ValueError(f"cash must be a finite amount, got {cash}.")
        self.cash = float(cash)
        self._positions: dict[str, list[float]] = {}  # symbol -> [shares, average cost]
        self._fills: list[Fill] = []
        self.orders: dict[str, OrderRecord] = {}

    # ---- orders ---------------------------------------------------------------------------
    def seen(self, order: Order) -> Ack | None:
        """The first ack of ``order.client_order_id`` if it was submitted before, else None.

        Raises ValueError when the id was used for a different order.
        """
        record = self.orders.get(order.client_order_id)
        if record is None:
            return None
        if record.first_ack is None or record.first_ack.order != order:
            raise ValueError(
                f"client order id {order.client_order_id!r} was already used for another order."
            )
        return record.first_ack

    def open(self, order: Order, venue_order_id: str, ts: pd.Timestamp,
             status: OrderStatus = OrderStatus.ACCEPTED, reason: str | None = None) -> OrderRecord:
        """Register a new order."""
        record = OrderRecord(order=order, venue_order_id=venue_order_id, status=status,
                             reason=reason)
        self.orders[order.client_order_id] = record
        return record

    def record(self, client_order_id: str) -> OrderRecord:
        """The order with this client id (KeyError naming it when unknown)."""
        try:
            return self.orders[client_order_id]
        except KeyError:
            raise KeyError(f"no order with client order id {client_order_id!r}.") from None

    def open_acks(self, ts: pd.Timestamp) -> tuple[Ack, ...]:
        """Snapshots of every open order."""
        return tuple(r.ack(ts) for r in self.orders.values() if r.status.is_open)

    def cancel_refusal(self, record: OrderRecord, ts: pd.Timestamp) -> Ack | None:
        """The ack refusing a cancel of a closed order, or None when it can be cancelled."""
        if record.status.is_open:
            return None
        return dataclasses.replace(
            record.ack(ts), reason=f"order is {record.status.value}; nothing to cancel")

    @staticmethod
    def mark_cancelled(record: OrderRecord) -> None:
        """Close ``record`` as cancelled by the client."""
        record.status, record.reason = OrderStatus.CANCELLED, "cancelled by the client"

    @staticmethod
    def replacement(
        record: OrderRecord, ts: pd.Timestamp, *, quantity: float | None,
        limit_price: float | None,
    ) -> Order | Ack:
        """The order a replace asks for, or the ack refusing it (only an open LIMIT order,
        and never down to or below what has filled)."""
        order = record.order
        if not record.status.is_open or order.type != OrderType.LIMIT:
            return dataclasses.replace(
                record.ack(ts), reason="only an open LIMIT order can be replaced")
        new = dataclasses.replace(
            order, quantity=order.quantity if quantity is None else quantity,
            limit_price=order.limit_price if limit_price is None else limit_price)
        if new.quantity <= record.filled:
            return dataclasses.replace(
                record.ack(ts), reason=f"replace refused: new quantity {new.quantity} is not "
                                       f"above the filled {record.filled}")
        return new

    # ---- fills and money ------------------------------------------------------------------
    @property
    def next_sequence(self) -> int:
        return len(self._fills) + 1

    def book(self, fill: Fill) -> None:
        """Apply a fill: cash, position, and the order's filled quantity and status."""
        if fill.sequence != self.next_sequence:
            raise ValueError(f"fill sequence {fill.sequence} out of order.")
        signed = fill.side.value * fill.quantity
        self.cash -= signed * fill.price + fill.fee
        held, cost = self._positions.get(fill.symbol, [0.0, 0.0])
        new = held + signed
        if abs(new) < 1e-12 * max(1.0, abs(held)):
            new, cost = 0.0, 0.0
        elif held == 0 or (held > 0) != (new > 0):
            cost = fill.price  # opened, or flipped through zero: the rest is at this price
        elif (held > 0) == (signed > 0):
            cost = (held * cost + signed * fill.price) / new  # added to the position
        self._positions[fill.symbol] = [new, cost]
        self._fills.append(fill)
        record = self.orders.get(fill.client_order_id)
        if record is not None:
            record.filled += fill.quantity
            record.cost += fill.price * fill.quantity
            done = record.filled >= record.order.quantity * (1 - 1e-12)
            record.status = OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED

    def fills(self, since: int = 0) -> tuple[Fill, ...]:
        """Fills with ``sequence > since``."""
        return tuple(self._fills[max(int(since), 0):])

    def positions(self) -> dict[str, Position]:
        return {s: Position(symbol=s, quantity=q, average_cost=c)
                for s, (q, c) in self._positions.items() if q != 0}

    def equity(self, marks: Mapping[str, float]) -> float:
        """Cash plus every position at its mark."""
        return self.cash + sum(q * marks[s] for s, (q, _) in self._positions.items() if q != 0)

    def gross_exposure(self, marks: Mapping[str, float]) -> float:
        return sum(abs(q) * marks[s] for s, (q, _) in self._positions.items() if q != 0)
