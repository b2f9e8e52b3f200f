"""The trading loop: bot, order manager, store, persisted paper broker, sizing shared with the
backtest (brokers such as Alpaca live in :mod:`alphafactory.live.brokers`).

Names are imported on first use (PEP 562): the bot pulls in the models (and torch), which a
broker adapter or the store alone does not need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alphafactory.live.bot import Bot, BotConfig, Decision
    from alphafactory.live.brokers import AlpacaBroker, AlpacaCredentials
    from alphafactory.live.driver import drive_feed, run_feed
    from alphafactory.live.manager import OrderManager
    from alphafactory.live.orders import (
        FINAL,
        IllegalTransition,
        check_transition,
        client_order_id,
    )
    from alphafactory.live.paper import PaperBroker
    from alphafactory.live.scorers import ModelScorer, MomentumScorer, Scorer
    from alphafactory.live.sizing import RowCosts, size_orders
    from alphafactory.live.store import TradingStore, default_store_url

_WHERE = {
    "Bot": "bot", "BotConfig": "bot", "Decision": "bot",
    "AlpacaBroker": "brokers", "AlpacaCredentials": "brokers",
    "drive_feed": "driver", "run_feed": "driver",
    "OrderManager": "manager",
    "FINAL": "orders", "IllegalTransition": "orders", "check_transition": "orders",
    "client_order_id": "orders",
    "PaperBroker": "paper",
    "ModelScorer": "scorers", "MomentumScorer": "scorers", "Scorer": "scorers",
    "RowCosts": "sizing", "size_orders": "sizing",
    "TradingStore": "store", "default_store_url": "store",
}  # fmt: skip

__all__ = [
    "FINAL",
    "AlpacaBroker",
    "AlpacaCredentials",
    "Bot",
    "BotConfig",
    "Decision",
    "IllegalTransition",
    "ModelScorer",
    "MomentumScorer",
    "OrderManager",
    "PaperBroker",
    "RowCosts",
    "Scorer",
    "TradingStore",
    "check_transition",
    "client_order_id",
    "default_store_url",
    "drive_feed",
    "run_feed",
    "size_orders",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"alphafactory.live.{module}"), name)


def __dir__() -> list[str]:
    return __all__
