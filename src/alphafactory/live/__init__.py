"""The trading loop: bot, order manager, store, persisted paper broker, sizing shared with the
backtest (brokers such as Alpaca live in :mod:`alphafactory.live.brokers`)."""

from alphafactory.live.bot import Bot, BotConfig, Decision
from alphafactory.live.manager import OrderManager
from alphafactory.live.orders import FINAL, IllegalTransition, check_transition, client_order_id
from alphafactory.live.paper import PaperBroker
from alphafactory.live.scorers import ModelScorer, MomentumScorer, Scorer
from alphafactory.live.sizing import RowCosts, size_orders
from alphafactory.live.store import TradingStore, default_store_url

__all__ = [
    "FINAL",
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
    "size_orders",
]
