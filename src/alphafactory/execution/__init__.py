"""Parent -> child order execution (TWAP, VWAP, POV) against the C++ book with Poisson flow."""

from alphafactory.execution.book import BookConfig
from alphafactory.execution.executor import (
    ExecutionReport,
    ParentOrder,
    execute_parent,
    execution_throughput,
)
from alphafactory.execution.schedule import (
    intraday_volume_profile,
    pov_child_quantity,
    twap_schedule,
    vwap_schedule,
)

__all__ = [
    "BookConfig",
    "ExecutionReport",
    "ParentOrder",
    "execute_parent",
    "execution_throughput",
    "intraday_volume_profile",
    "pov_child_quantity",
    "twap_schedule",
    "vwap_schedule",
]
