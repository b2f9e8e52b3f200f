"""Results of the per-order API in units: trades and order events as small frozen values.

The batch API (:meth:`MatchingEngine.process`, :meth:`PoissonOrderFlow.drive`) returns numpy
records in integer ticks and lots; the per-order calls (``submit``, ``cancel``, ``modify``)
return an :class:`OrderResult` whose prices and quantities are in currency and units, like
``best_bid()`` and ``depth()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from alphafactory.engine._records import EventType, Reason, Side
from alphafactory.engine.convert import from_steps

__all__ = ["OrderEvent", "OrderResult", "Trade", "order_result"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Trade:
    """One trade: ``price`` in currency, ``qty`` in units, ``ts`` in ns."""

    ts: int
    trade_id: int
    instrument: int
    price: float
    qty: float
    aggressor_side: Side
    maker_order_id: int
    taker_order_id: int
    maker_account: int
    taker_account: int


@dataclass(frozen=True, kw_only=True, slots=True)
class OrderEvent:
    """One order event (accepted, rejected, cancelled, modified, filled) with its reason."""

    ts: int
    order_id: int
    instrument: int
    event: EventType
    reason: Reason
    remaining_qty: float


@dataclass(frozen=True, kw_only=True, slots=True)
class OrderResult:
    """What one per-order call did: its trades and events, in the engine's order."""

    trades: tuple[Trade, ...]
    events: tuple[OrderEvent, ...]

    @property
    def filled_qty(self) -> float:
        """Units traded by this call."""
        return float(sum(t.qty for t in self.trades))

    @property
    def rejected(self) -> OrderEvent | None:
        """The REJECTED event of this call, or None."""
        return next((e for e in self.events if e.event == EventType.REJECTED), None)


def order_result(
    trades: np.ndarray,
    events: np.ndarray,
    tick_size: Callable[[int], float],
    lot_size: Callable[[int], float],
) -> OrderResult:
    """Convert TRADE_DTYPE and EVENT_DTYPE records (ticks, lots) to an :class:`OrderResult`."""
    out_trades = []
    for t in trades:
        inst = int(t["instrument"])
        out_trades.append(Trade(
            ts=int(t["ts"]), trade_id=int(t["trade_id"]), instrument=inst,
            price=float(from_steps(t["price"], tick_size(inst))),
            qty=float(from_steps(t["qty"], lot_size(inst))),
            aggressor_side=Side(int(t["aggressor_side"])),
            maker_order_id=int(t["maker_order_id"]), taker_order_id=int(t["taker_order_id"]),
            maker_account=int(t["maker_account"]), taker_account=int(t["taker_account"]),
        ))  # fmt: skip
    out_events = []
    for e in events:
        inst = int(e["instrument"])
        try:
            remaining = float(from_steps(e["remaining_qty"], lot_size(inst)))
        except ValueError:  # unknown instrument: the event is its rejection
            remaining = float(e["remaining_qty"])
        out_events.append(OrderEvent(
            ts=int(e["ts"]), order_id=int(e["order_id"]), instrument=inst,
            event=EventType(int(e["event"])), reason=Reason(int(e["reason"])),
            remaining_qty=remaining,
        ))  # fmt: skip
    return OrderResult(trades=tuple(out_trades), events=tuple(out_events))
