"""Record dtypes and enums of the engine, mirrored from the compiled layouts.

The numpy dtypes are built from the byte offsets that ``alphafactory._engine`` reports, so the
C++ structs are the single source of truth: ``ORDER_DTYPE`` (48 bytes), ``TRADE_DTYPE``
(64 bytes, one cache line), ``EVENT_DTYPE`` (32 bytes). Prices are int64 ticks and quantities
int64 lots.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from alphafactory import _engine

__all__ = [
    "BOOK_CHANGE_DTYPE",
    "EVENT_DTYPE",
    "ORDER_DTYPE",
    "TRADE_DTYPE",
    "EventType",
    "OrderType",
    "Reason",
    "Side",
    "StpMode",
]


def _dtype(name: str) -> np.dtype:
    itemsize, fields = _engine.record_layouts()[name]
    return np.dtype(
        {
            "names": list(fields),
            "formats": [spec["format"] for spec in fields.values()],
            "offsets": [spec["offset"] for spec in fields.values()],
            "itemsize": itemsize,
        }
    )


ORDER_DTYPE = _dtype("order")
TRADE_DTYPE = _dtype("trade")
EVENT_DTYPE = _dtype("event")
BOOK_CHANGE_DTYPE = _dtype("book_change")


class Side(IntEnum):
    """Order side as stored in ``side`` fields."""

    BUY = 1
    SELL = -1


class OrderType(IntEnum):
    """Message types of ``ORDER_DTYPE['type']``."""

    LIMIT = 1
    MARKET = 2
    IOC = 3
    FOK = 4
    POST_ONLY = 5
    CANCEL = 6
    MODIFY = 7


class EventType(IntEnum):
    """Order events of ``EVENT_DTYPE['event']``."""

    ACCEPTED = 1
    REJECTED = 2
    CANCELED = 3
    MODIFIED = 4
    FILLED = 5


class Reason(IntEnum):
    """Why an order was rejected (1-18) or cancelled (17, 20-23); ``NONE`` otherwise.

    ``QTY_OVERFLOW``: the order would take its price level's total quantity, or its account's
    position, beyond int64 lots (the book is left unchanged).
    """

    NONE = 0
    DUPLICATE_ID = 1
    NON_POSITIVE_QTY = 2
    NON_POSITIVE_PRICE = 3
    UNKNOWN_ID = 4
    INVALID_SIDE = 5
    INVALID_TYPE = 6
    UNKNOWN_INSTRUMENT = 7
    QTY_OUT_OF_RANGE = 8
    PRICE_OUT_OF_RANGE = 9
    WOULD_CROSS = 10
    RISK_MAX_QTY = 11
    RISK_MAX_NOTIONAL = 12
    RISK_MAX_POSITION = 13
    RISK_MAX_OPEN_ORDERS = 14
    RISK_PRICE_COLLAR = 15
    RISK_KILL_SWITCH = 16
    SELF_TRADE = 17
    QTY_OVERFLOW = 18
    USER = 20
    IOC_REMAINDER = 21
    MARKET_NO_LIQUIDITY = 22
    FOK_UNFILLED = 23


class StpMode(IntEnum):
    """Self-trade prevention: what happens when a taker meets a resting order of its account."""

    NONE = 0
    CANCEL_TAKER = 1
    CANCEL_MAKER = 2
    CANCEL_BOTH = 3
