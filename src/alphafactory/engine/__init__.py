"""The C++ matching engine from Python: exact price-time book, risk checks, batch API,
CSV simulator, LOBSTER replay and Poisson order flow."""

from __future__ import annotations

from alphafactory.engine._records import (
    EVENT_DTYPE,
    ORDER_DTYPE,
    TRADE_DTYPE,
    EventType,
    OrderType,
    Reason,
    Side,
    StpMode,
)
from alphafactory.engine.lobster import (
    LobsterReplay,
    read_lobster_messages,
    replay_lobster,
    to_lobster,
)
from alphafactory.engine.matching_engine import MatchingEngine, RiskLimits
from alphafactory.engine.order_flow import FlowStep, PoissonOrderFlow
from alphafactory.engine.results import OrderEvent, OrderResult, Trade
from alphafactory.engine.simulate import SimulationSummary, simulate_csv, write_orders_csv

__all__ = [
    "EVENT_DTYPE",
    "ORDER_DTYPE",
    "TRADE_DTYPE",
    "EventType",
    "FlowStep",
    "LobsterReplay",
    "MatchingEngine",
    "OrderEvent",
    "OrderResult",
    "OrderType",
    "PoissonOrderFlow",
    "Reason",
    "RiskLimits",
    "Side",
    "SimulationSummary",
    "StpMode",
    "Trade",
    "read_lobster_messages",
    "replay_lobster",
    "simulate_csv",
    "to_lobster",
    "write_orders_csv",
]
