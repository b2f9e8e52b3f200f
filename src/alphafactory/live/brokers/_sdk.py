"""The alpaca-py names the broker uses, imported once with the deprecation warning of the
``websockets.legacy`` client (which alpaca-py's streams still use) silenced.

Importing this module needs the ``alpaca`` extra (``pip install 'alphafactory[alpaca]'``).
"""

from __future__ import annotations

import warnings

from alphafactory.errors import ConfigError

try:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="websockets")
        warnings.filterwarnings("ignore", message=".*websockets.legacy.*")
        from alpaca.common.exceptions import APIError
        from alpaca.data.historical import StockHistoricalDataClient
        from alpaca.data.requests import StockSnapshotRequest
        from alpaca.trading.client import TradingClient
        from alpaca.trading.enums import OrderSide as AlpacaSide
        from alpaca.trading.enums import OrderStatus as AlpacaOrderStatus
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.enums import TimeInForce as AlpacaTIF
        from alpaca.trading.models import Order as AlpacaOrder
        from alpaca.trading.models import TradeActivity, TradeUpdate
        from alpaca.trading.requests import (
            GetOrdersRequest,
            LimitOrderRequest,
            MarketOrderRequest,
            ReplaceOrderRequest,
        )
        from alpaca.trading.stream import TradingStream
except ImportError as error:  # pragma: no cover - depends on the installed extras
    raise ConfigError("the Alpaca broker needs alpaca-py: pip install 'alphafactory[alpaca]' "
                      f"({error}).") from error

__all__ = [
    "APIError",
    "AlpacaOrder",
    "AlpacaOrderStatus",
    "AlpacaSide",
    "AlpacaTIF",
    "GetOrdersRequest",
    "LimitOrderRequest",
    "MarketOrderRequest",
    "QueryOrderStatus",
    "ReplaceOrderRequest",
    "StockHistoricalDataClient",
    "StockSnapshotRequest",
    "TradeActivity",
    "TradeUpdate",
    "TradingClient",
    "TradingStream",
]
