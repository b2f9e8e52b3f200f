"""Cost models, the vectorized target-weight backtest and its report."""

from alphafactory.backtest.costs import (
    Commission,
    CompositeCost,
    CostBreakdown,
    CostModel,
    CostParameters,
    FixedBps,
    NoCost,
    evaluate_costs,
)
from alphafactory.backtest.market import Market, market_from
from alphafactory.backtest.result import BacktestResult
from alphafactory.backtest.run_record import record_backtest
from alphafactory.backtest.spread_impact import SpreadImpact, corwin_schultz_spread
from alphafactory.backtest.square_root_impact import SquareRootImpact
from alphafactory.backtest.vectorized import backtest

__all__ = [
    "BacktestResult",
    "Commission",
    "CompositeCost",
    "CostBreakdown",
    "CostModel",
    "CostParameters",
    "FixedBps",
    "Market",
    "NoCost",
    "SpreadImpact",
    "SquareRootImpact",
    "backtest",
    "corwin_schultz_spread",
    "evaluate_costs",
    "market_from",
    "record_backtest",
]
