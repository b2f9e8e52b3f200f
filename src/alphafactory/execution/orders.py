"""Orders, acknowledgements, fills and account state: the values a :class:`Venue` speaks.

Everything is in units: quantities in shares, prices in currency, timestamps as UTC
``pandas.Timestamp``. Values are frozen; a venue never hands out ticks, lots or tuples.
``Side`` is the engine's enum (``BUY = +1``, ``SELL = -1``; ``side.value`` is the sign).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import pandas as pd

from alphafactory.engine import Side

__all__ = [
    "Account",
    "Ack",
    "Fill",
    "Liquidity",
    "Order",
    "OrderStatus",
    "OrderType",
    "Position",
    "Quote",
    "Side",
    "TimeInForce",
]


class OrderType(str, Enum):
    """What an order asks for: ``MARKET`` (any price) or ``LIMIT`` (this price or better)."""

    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(str, Enum):
    """``GTC`` rests until filled or cancelled; ``IOC`` fills what it can at once, the rest
    expires."""

    GTC = "gtc"
    IOC = "ioc"


class OrderStatus(str, Enum):
    """Life cycle of an order at a venue (the names brokers use)."""

    NEW = "new"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        """True while the order may still fill."""
        return self in _OPEN


_OPEN = frozenset({OrderStatus.NEW, OrderStatus.SUBMITTED, OrderStatus.ACCEPTED,
                   OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCEL_REQUESTED})


class Liquidity(str, Enum):
    """Whether a fill took liquidity (``TAKER``) or was a resting order hit (``MAKER``)."""

    MAKER = "maker"
    TAKER = "taker"


@dataclass(frozen=True, kw_only=True, slots=True)
class Order:
    """An order as sent: ``quantity`` shares of ``symbol`` bought or sold.

    ``client_order_id`` is the caller's key: submitting it again returns the original
    acknowledgement (idempotent submits). ``limit_price`` is required for LIMIT orders and
    forbidden for MARKET orders.
    """

    symbol: str
    side: Side
    quantity: float
    client_order_id: str
    type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    time_in_force: TimeInForce = TimeInForce.GTC

    def __post_init__(self) -> None:
        if not isinstance(self.side, Side):
            raise TypeError(f"side must be a Side (Side.BUY or Side.SELL), got {self.side!r}.")
        if not (math.isfinite(self.quantity) and self.quantity > 0):
            raise ValueError(f"quantity must be a positive number of shares, got {self.quantity}.")
        if not self.client_order_id or not self.symbol:
            raise ValueError("an order needs a symbol and a client_order_id.")
        if self.type == OrderType.LIMIT:
            price = self.limit_price
            if price is None or not (math.isfinite(price) and price > 0):
                raise ValueError(f"a LIMIT order needs a positive limit_price, got {price}.")
        elif self.limit_price is not None:
            raise ValueError("a MARKET order takes no limit_price.")

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell."""
        return int(self.side.value)


@dataclass(frozen=True, kw_only=True, slots=True)
class Ack:
    """What the venue says about an order at ``ts``: its status, fills so far and, when it was
    rejected, cancelled by the venue or expired, the reason in words."""

    order: Order
    venue_order_id: str
    status: OrderStatus
    filled_quantity: float
    average_price: float | None
    ts: pd.Timestamp
    reason: str | None = None

    @property
    def client_order_id(self) -> str:
        return self.order.client_order_id

    @property
    def remaining(self) -> float:
        """Shares still open (0 once the order is done)."""
        return self.order.quantity - self.filled_quantity if self.status.is_open else 0.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Fill:
    """One execution of an order.

    ``sequence`` numbers a venue's fills from 1 (``Venue.fills(since=n)`` returns the later
    ones). ``mid`` and ``touch`` are the venue's quote just before the fill, before this order's
    own effect: the mid and the best price on the side a taker pays (the ask for a buy); NaN
    where the venue does not know them (a resting order hit inside a simulated step). ``fee``
    is in currency, never negative.
    """

    sequence: int
    client_order_id: str
    symbol: str
    side: Side
    quantity: float
    price: float
    ts: pd.Timestamp
    liquidity: Liquidity
    fee: float = 0.0
    mid: float = math.nan
    touch: float = math.nan

    @property
    def notional(self) -> float:
        """price * quantity, in currency."""
        return self.price * self.quantity


@dataclass(frozen=True, kw_only=True, slots=True)
class Position:
    """Shares held (negative: short) and their average cost in currency per share."""

    symbol: str
    quantity: float
    average_cost: float


@dataclass(frozen=True, kw_only=True, slots=True)
class Account:
    """Cash, equity (cash plus positions at the mid, else the last price) and buying power
    (``inf`` when the venue sets no limit), in currency."""

    cash: float
    equity: float
    buying_power: float
    ts: pd.Timestamp


@dataclass(frozen=True, kw_only=True, slots=True)
class Quote:
    """Best bid and ask (None for an empty side), the last trade price (None before any) and
    the shares traded in the symbol since the venue opened (ours included)."""

    symbol: str
    bid: float | None
    ask: float | None
    last: float | None
    volume: float
    ts: pd.Timestamp

    @property
    def mid(self) -> float | None:
        """(bid + ask) / 2, or the one side there is, or the last price."""
        if self.bid is not None and self.ask is not None:
            return (self.bid + self.ask) / 2
        for value in (self.bid, self.ask, self.last):
            if value is not None:
                return value
        return None

    def touch(self, side: Side) -> float | None:
        """The price a taker on ``side`` meets first: the ask for a buy, the bid for a sell."""
        return self.ask if side == Side.BUY else self.bid
