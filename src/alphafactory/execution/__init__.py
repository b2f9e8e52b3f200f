"""Orders to venues: the Venue protocol, simulated venues (C++ book, bars), TWAP/VWAP/POV
parents, their cost attribution, and the book backtest."""

from alphafactory.execution.attribution import CostAttribution, attribute
from alphafactory.execution.bar_venue import BarVenue
from alphafactory.execution.book import BookConfig
from alphafactory.execution.calibration import ImpactFit, calibrate_square_root
from alphafactory.execution.executor import (
    ExecutionReport,
    ParentOrder,
    execute_parent,
    execution_throughput,
)
from alphafactory.execution.ledger import Ledger
from alphafactory.execution.lob_backtest import LobBacktestResult, lob_backtest
from alphafactory.execution.orders import (
    Account,
    Ack,
    Fill,
    Liquidity,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Quote,
    Side,
    TimeInForce,
)
from alphafactory.execution.schedule import (
    intraday_volume_profile,
    pov_child_quantity,
    twap_schedule,
    vwap_schedule,
)
from alphafactory.execution.simulated_venue import SimulatedVenue
from alphafactory.execution.venue import SimulatedClockVenue, Venue

__all__ = [
    "Account",
    "Ack",
    "BarVenue",
    "BookConfig",
    "CostAttribution",
    "ExecutionReport",
    "Fill",
    "ImpactFit",
    "Ledger",
    "Liquidity",
    "LobBacktestResult",
    "Order",
    "OrderStatus",
    "OrderType",
    "ParentOrder",
    "Position",
    "Quote",
    "Side",
    "SimulatedClockVenue",
    "SimulatedVenue",
    "TimeInForce",
    "Venue",
    "attribute",
    "calibrate_square_root",
    "execute_parent",
    "execution_throughput",
    "intraday_volume_profile",
    "lob_backtest",
    "pov_child_quantity",
    "twap_schedule",
    "vwap_schedule",
]
