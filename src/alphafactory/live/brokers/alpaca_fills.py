"""The executions of an :class:`~alphafactory.live.brokers.alpaca.AlpacaBroker`'s orders.

Fills reach the broker two ways: the ``trade_updates`` stream, and the FILL activities polled
after each (re)connection (executions made while the stream was down). :class:`FillLog` keys an
execution by (Alpaca order id, cumulative filled quantity), so one seen on both paths is kept
once, and numbers the fills in arrival order (the Venue's ``fills(since)`` cursor). It also
remembers which caller order (client order id, order type) each Alpaca order carries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from alphafactory.execution.orders import Fill
from alphafactory.live.brokers._sdk import AlpacaOrder, TradeActivity, TradeUpdate
from alphafactory.live.brokers.alpaca_mapping import base_client_order_id, fill_from_alpaca

__all__ = ["FILL_EVENTS", "FillLog"]

FILL_EVENTS = frozenset({"fill", "partial_fill"})
PAGE_SIZE = 100


class FillLog:
    """Executions numbered in arrival order, each once (see the module doc); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: dict[str, tuple[str, str]] = {}  # alpaca id -> (client id, order type)
        self._fills: list[Fill] = []
        self._seen: set[tuple[str, float]] = set()

    def __len__(self) -> int:
        with self._lock:
            return len(self._fills)

    def since(self, since: int = 0) -> tuple[Fill, ...]:
        """Fills with ``sequence > since``."""
        with self._lock:
            return tuple(self._fills[since:])

    def own(self, raw: AlpacaOrder) -> None:
        """Remember the caller order an Alpaca order carries."""
        kind = getattr(raw.type or raw.order_type, "value", "market")
        with self._lock:
            self._owner[str(raw.id)] = (base_client_order_id(raw.client_order_id), kind)

    def record(self, *, order_id: str, cumulative: float, **fill: object) -> bool:
        """Append one execution unless already seen; True when new."""
        key = (order_id, round(float(cumulative), 9))
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            self._fills.append(fill_from_alpaca(sequence=len(self._fills) + 1, **fill))
        return True

    def on_trade_update(self, update: TradeUpdate) -> None:
        """Record the execution a trade update reports (other events change nothing)."""
        event = getattr(update.event, "value", update.event)
        if event not in FILL_EVENTS or update.qty is None or update.price is None:
            return
        raw = update.order
        self.own(raw)
        self.record(order_id=str(raw.id), cumulative=float(raw.filled_qty),
                    client_order_id=base_client_order_id(raw.client_order_id),
                    symbol=raw.symbol, side=raw.side.value, quantity=update.qty,
                    price=update.price, ts=update.timestamp,
                    order_type=getattr(raw.type or raw.order_type, "value", "market"))

    def catch_up(self, fetch_page: Callable[[Mapping[str, Any]], list[dict] | None],
                 fetch_order: Callable[[str], AlpacaOrder], after: pd.Timestamp) -> None:
        """Record the FILL activities since ``after`` that the stream did not deliver.

        ``fetch_page(params)`` returns one page of ``/account/activities/FILL``;
        ``fetch_order(id)`` an order this log has not seen (placed before a restart).
        """
        params: dict[str, object] = {"after": after.isoformat(), "direction": "asc",
                                     "page_size": PAGE_SIZE}
        while True:
            page = fetch_page(params)
            for raw in page or ():
                activity = TradeActivity(**raw)
                order_id = str(activity.order_id)
                with self._lock:
                    owner = self._owner.get(order_id)
                if owner is None:
                    self.own(fetch_order(order_id))
                    with self._lock:
                        owner = self._owner[order_id]
                self.record(order_id=order_id, cumulative=activity.cum_qty,
                            client_order_id=owner[0], symbol=activity.symbol,
                            side=activity.side.value, quantity=activity.qty,
                            price=activity.price, ts=activity.transaction_time,
                            order_type=owner[1])
            if not page or len(page) < PAGE_SIZE:
                return
            params["page_token"] = page[-1]["id"]
