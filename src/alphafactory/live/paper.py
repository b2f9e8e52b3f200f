"""The persisted paper broker: a simulated venue whose calls are journaled so it survives a
restart.

A simulated venue (:class:`~alphafactory.execution.BarVenue`, or
:class:`~alphafactory.execution.SimulatedVenue` with its seeded flow) is deterministic: the same
calls in the same order leave it in the same state (orders, resting orders, positions, cash,
fills). :class:`PaperBroker` writes each state-changing call (``submit``, ``cancel``,
``replace``, ``advance``) to the store's ``journal`` *before* applying it, and a new
:class:`PaperBroker` over the same store replays the journal into a fresh venue. A process
killed between the journal write and the call's return loses nothing: the replay applies the
call, and the caller's resubmit with the same client order id gets the original ack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from alphafactory.execution import (
    Account,
    Ack,
    Fill,
    Order,
    OrderType,
    Position,
    Quote,
    Side,
    SimulatedClockVenue,
    TimeInForce,
)
from alphafactory.live.store import TradingStore

__all__ = ["PaperBroker"]


def _order_payload(order: Order) -> dict[str, Any]:
    return {"symbol": order.symbol, "side": int(order.side.value), "quantity": order.quantity,
            "client_order_id": order.client_order_id, "type": order.type.value,
            "limit_price": order.limit_price, "time_in_force": order.time_in_force.value}


def _order(payload: Mapping[str, Any]) -> Order:
    return Order(symbol=payload["symbol"], side=Side(payload["side"]),
                 quantity=payload["quantity"], client_order_id=payload["client_order_id"],
                 type=OrderType(payload["type"]), limit_price=payload["limit_price"],
                 time_in_force=TimeInForce(payload["time_in_force"]))


class PaperBroker:
    """A simulated venue made restartable by a journal in a :class:`TradingStore`.

    Parameters
    ----------
    make_venue : callable
        Builds the fresh simulated venue (the same one every time: same bars, cash, seed).
    store : TradingStore
        Where the journal lives.
    name : str
        The journal's key (one paper account per name).
    """

    def __init__(self, make_venue: Callable[[], SimulatedClockVenue], store: TradingStore,
                 name: str) -> None:
        self._venue = make_venue()
        self._store, self.name = store, name
        entries = store.journal(name)
        for _, kind, payload in entries:
            try:
                self._apply(kind, payload)
            except (KeyError, ValueError):
                pass  # the call raised when made too, and changed nothing then

        self._seq = entries[-1][0] if entries else 0
        self.replayed = len(entries)

    # ---- journaled calls -------------------------------------------------------------------
    def submit(self, order: Order) -> Ack:
        return self._call("submit", {"order": _order_payload(order)})

    def cancel(self, client_order_id: str) -> Ack:
        return self._call("cancel", {"client_order_id": client_order_id})

    def replace(self, client_order_id: str, *, quantity: float | None = None,
                limit_price: float | None = None) -> Ack:
        return self._call("replace", {"client_order_id": client_order_id, "quantity": quantity,
                                      "limit_price": limit_price})

    def advance(self, until: pd.Timestamp) -> None:
        until = pd.Timestamp(until)
        if until <= self._venue.now():
            return
        self._call("advance", {"until": until.isoformat()})

    # ---- reads ------------------------------------------------------------------------------
    def open_orders(self) -> tuple[Ack, ...]:
        return self._venue.open_orders()

    def positions(self) -> Mapping[str, Position]:
        return self._venue.positions()

    def account(self) -> Account:
        return self._venue.account()

    def fills(self, since: int = 0) -> tuple[Fill, ...]:
        return self._venue.fills(since)

    def quote(self, symbol: str) -> Quote:
        return self._venue.quote(symbol)

    def lot_size(self, symbol: str) -> float:
        return self._venue.lot_size(symbol)

    def now(self) -> pd.Timestamp:
        return self._venue.now()

    @property
    def venue(self) -> SimulatedClockVenue:
        """The simulated venue behind the journal (read it, do not call it directly)."""
        return self._venue

    # ---- internals --------------------------------------------------------------------------
    def _call(self, kind: str, payload: dict[str, Any]) -> Any:
        self._seq += 1
        self._store.journal_append(self.name, self._seq, kind, payload)
        return self._apply(kind, payload)

    def _apply(self, kind: str, payload: Mapping[str, Any]) -> Any:
        if kind == "submit":
            return self._venue.submit(_order(payload["order"]))
        if kind == "cancel":
            return self._venue.cancel(payload["client_order_id"])
        if kind == "replace":
            return self._venue.replace(payload["client_order_id"], quantity=payload["quantity"],
                                       limit_price=payload["limit_price"])
        if kind == "advance":
            return self._venue.advance(pd.Timestamp(payload["until"]))
        raise ValueError(f"unknown journal entry {kind!r} in paper broker {self.name!r}.")
