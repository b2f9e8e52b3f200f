"""The ``Venue`` protocol: where orders go, whatever is behind it.

A venue is synchronous: every call returns when the venue has answered. A broker adapter whose
executions arrive on a stream runs the stream on a thread that feeds a fill queue; ``fills`` and
``open_orders`` read what has arrived. Implementations: :class:`SimulatedVenue` (one C++ book
per symbol with Poisson background flow) and :class:`BarVenue` (fills from OHLCV bars and a
cost model); broker adapters are further implementations of the same calls.

Contract (checked for every implementation by ``tests/execution/test_venue_contract.py``):

- ``submit`` returns an :class:`Ack`. Business failures (unknown symbol, off-tick price, a
  quantity that is not a whole number of lots, not enough buying power) are a REJECTED ack with
  a reason, never an exception, and leave the venue as it was. Submitting a ``client_order_id``
  again with the same order returns the original ack; with a different order it raises
  ValueError (a programming error).
- ``cancel`` and ``replace`` take the client order id; an id the venue never saw raises
  KeyError. Cancelling an order that is no longer open returns its ack unchanged, with a reason.
- ``fills(since)`` returns the fills with ``sequence > since`` in order: a cursor that never
  misses or repeats a fill, unlike a timestamp.
- Money adds up: ``account().cash`` is the starting cash minus the signed notional of every
  fill and its fee; ``equity`` is cash plus positions marked at the mid.
- ``now()`` is the venue's clock; a simulated venue moves it only in ``advance(until)``.

For a broker adapter: its statuses map onto :class:`OrderStatus` (pending_new -> SUBMITTED,
pending_cancel -> CANCEL_REQUESTED, canceled -> CANCELLED, ...); ``cancel`` may answer
CANCEL_REQUESTED and the final state arrives later through ``open_orders`` and ``fills``; the
stream thread assigns fill sequence numbers in arrival order; ``lot_size`` is 1 (or the
fractional step) and ``quote`` reads the latest quote the stream delivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import pandas as pd

from alphafactory.execution.orders import Account, Ack, Fill, Order, Position, Quote

__all__ = ["SimulatedClockVenue", "Venue"]


@runtime_checkable
class Venue(Protocol):
    """Orders in, acknowledgements and fills out, in shares and currency."""

    def submit(self, order: Order) -> Ack:
        """Send ``order``; its acknowledgement (REJECTED with a reason when refused)."""
        ...

    def cancel(self, client_order_id: str) -> Ack:
        """Cancel an open order; the ack after the cancel."""
        ...

    def replace(
        self, client_order_id: str, *, quantity: float | None = None,
        limit_price: float | None = None,
    ) -> Ack:
        """Change an open LIMIT order's total quantity and/or limit price."""
        ...

    def open_orders(self) -> tuple[Ack, ...]:
        """The current ack of every open order."""
        ...

    def positions(self) -> Mapping[str, Position]:
        """Non-zero positions by symbol."""
        ...

    def account(self) -> Account:
        """Cash, equity and buying power now."""
        ...

    def fills(self, since: int = 0) -> tuple[Fill, ...]:
        """Fills with ``sequence > since``, oldest first."""
        ...

    def quote(self, symbol: str) -> Quote:
        """Best bid, best ask and last price of ``symbol`` now."""
        ...

    def lot_size(self, symbol: str) -> float:
        """The quantity step of ``symbol`` in shares (1 for a share-based broker)."""
        ...

    def now(self) -> pd.Timestamp:
        """The venue's clock (UTC)."""
        ...


@runtime_checkable
class SimulatedClockVenue(Venue, Protocol):
    """A venue whose clock the caller moves: time passes only in ``advance``."""

    def advance(self, until: pd.Timestamp) -> None:
        """Let the market run until ``until`` (fills of resting orders happen here)."""
        ...
