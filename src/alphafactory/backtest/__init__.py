"""Cost models, the vectorized target-weight backtest, its report and strategy comparison."""

from alphafactory.backtest.benchmark import benchmark_returns, buy_and_hold
from alphafactory.backtest.comparison import Comparison, compare, equity_to_returns
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
from alphafactory.backtest.market import market_from
from alphafactory.backtest.report import report_tables
from alphafactory.backtest.report_tables import TearsheetTables, tearsheet_tables
from alphafactory.backtest.result import BacktestResult
from alphafactory.backtest.risk_managed import RiskManagedResult, risk_managed_backtest
from alphafactory.backtest.run_record import record_backtest
from alphafactory.backtest.spread_impact import SpreadImpact, corwin_schultz_spread
from alphafactory.backtest.square_root_impact import SquareRootImpact
from alphafactory.backtest.vectorized import BankruptcyWarning, GrossLeverageWarning, backtest

__all__ = [
    "BacktestResult",
    "BankruptcyWarning",
    "Commission",
    "Comparison",
    "CompositeCost",
    "CostBreakdown",
    "CostModel",
    "CostParameters",
    "FixedBps",
    "GrossLeverageWarning",
    "NoCost",
    "RiskManagedResult",
    "SpreadImpact",
    "SquareRootImpact",
    "TearsheetTables",
    "backtest",
    "benchmark_returns",
    "buy_and_hold",
    "compare",
    "corwin_schultz_spread",
    "equity_to_returns",
    "evaluate_costs",
    "market_from",
    "record_backtest",
    "report_tables",
    "risk_managed_backtest",
    "tearsheet_tables",
]
