"""The order manager: sends a decision's planned orders, follows every order through its
states, collects fills, and reconciles the store with the venue after a restart.

The store is the bot's memory and the venue the truth: an order is written (state NEW) before
it is sent, its state moves only along legal transitions
(:func:`~alphafactory.live.orders.check_transition`), and fills are taken from the venue's
sequence cursor, so none is missed or counted twice. An order the store thinks open but the
venue no longer lists has closed there: FILLED when its fills cover it, else CANCELLED.
"""

from __future__ import annotations

import logging

import pandas as pd

from alphafactory.execution import Ack, Order, OrderStatus, OrderType, Side, TimeInForce, Venue
from alphafactory.live.orders import reachable
from alphafactory.live.store import TradingStore

__all__ = ["OrderManager"]

log = logging.getLogger("alphafactory.live")
_UNSENT = (OrderStatus.NEW.value, OrderStatus.SUBMITTED.value)


class OrderManager:
    """Orders of one bot at one venue, mirrored in a store."""

    def __init__(self, bot: str, venue: Venue, store: TradingStore) -> None:
        self.bot, self.venue, self.store = bot, venue, store

    def send_planned(self, decision_ts: pd.Timestamp) -> tuple[Order, ...]:
        """Send the orders of a decision that have not been acknowledged yet (a resend after a
        crash reuses their client order ids, so the venue answers with the original ack)."""
        sent = []
        frame = self.store.orders(self.bot, decision_ts=decision_ts)
        for row in frame.itertuples(index=False):
            if row.status not in _UNSENT:
                continue
            order = _order(row)
            now = self.venue.now()
            if row.status == OrderStatus.NEW.value:
                self.store.transition(self.bot, order.client_order_id, OrderStatus.SUBMITTED, now)
            self.apply_ack(self.venue.submit(order))
            sent.append(order)
        return tuple(sent)

    def apply_ack(self, ack: Ack) -> None:
        """Move the stored order to the state of ``ack`` (a stale ack changes nothing)."""
        current = self.store.order_status(ack.client_order_id)
        if current is None:
            log.warning("venue reports order %s that bot %s never sent", ack.client_order_id,
                        self.bot)
            return
        if ack.status != current and ack.status not in reachable(current):
            return
        self.store.transition(self.bot, ack.client_order_id, ack.status, ack.ts,
                              filled=ack.filled_quantity, average_price=ack.average_price,
                              venue_order_id=ack.venue_order_id, reason=ack.reason)

    def collect(self) -> int:
        """Store the venue's new fills and update the states of open orders; new fills."""
        new = self.venue.fills(self.store.fill_cursor(self.bot))
        added = self.store.add_fills(self.bot, new)
        open_now = {a.client_order_id: a for a in self.venue.open_orders()}
        stored = self.store.orders(self.bot, open_only=True)
        if stored.empty:
            return added
        done = self.store.filled(self.bot, stored["client_order_id"])
        for row in stored.itertuples(index=False):
            if row.status in _UNSENT:
                # never acknowledged: it may not have reached the venue (a kill between the
                # SUBMITTED write and the send), so its absence there says nothing; the planned
                # decision resends it and the venue answers a known id with its original ack
                continue
            cid = row.client_order_id
            if cid in open_now:
                self.apply_ack(open_now[cid])
                continue
            filled, notional = done.get(cid, (0.0, 0.0))
            status = (OrderStatus.FILLED if filled >= row.quantity * (1 - 1e-12)
                      else OrderStatus.CANCELLED)
            current = OrderStatus(row.status)
            if status == current or status in reachable(current):
                self.store.transition(self.bot, cid, status, self.venue.now(), filled=filled,
                                      average_price=notional / filled if filled > 0 else None,
                                      reason=None if status == OrderStatus.FILLED
                                      else "closed at the venue without a complete fill")
        return added

    def reconcile(self) -> dict[str, int]:
        """After a (re)start: fills missed while down, order states, orders the venue has that
        the store lacks (logged). A summary of counts."""
        before = self.store.fill_cursor(self.bot)
        added = self.collect()
        known = set(self.store.orders(self.bot)["client_order_id"])
        foreign = [a.client_order_id for a in self.venue.open_orders()
                   if a.client_order_id not in known]
        for cid in foreign:
            log.warning("bot %s: the venue has open order %s that the store lacks", self.bot, cid)
        return {"fills_recovered": added, "fill_cursor": before + added,
                "open_orders": len(self.store.orders(self.bot, open_only=True)),
                "foreign_orders": len(foreign)}

    def cancel_all(self) -> int:
        """Cancel every open order at the venue (the kill switch); how many were asked."""
        asked = 0
        for ack in self.venue.open_orders():
            self.apply_ack(self.venue.cancel(ack.client_order_id))
            asked += 1
        self.collect()
        return asked


def _order(row) -> Order:
    return Order(symbol=row.symbol, side=Side(int(row.side)), quantity=float(row.quantity),
                 client_order_id=row.client_order_id, type=OrderType(row.order_type),
                 limit_price=None if pd.isna(row.limit_price) else float(row.limit_price),
                 time_in_force=TimeInForce(row.time_in_force))
