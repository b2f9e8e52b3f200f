"""Evaluation: performance metrics, the IC family, classification metrics, deflated Sharpe,
PBO, bootstrap intervals.

Pure functions of pandas/numpy inputs, each documenting its formula.
"""

from alphafactory.evaluation.benchmark import (
    BenchmarkStats,
    aligned_returns,
    alpha,
    benchmark_stats,
    beta,
    information_ratio,
    tracking_error,
)
from alphafactory.evaluation.bootstrap import BootstrapCI, block_bootstrap_ci
from alphafactory.evaluation.calendar_returns import monthly_returns, yearly_returns
from alphafactory.evaluation.classification import (
    accuracy,
    balanced_accuracy,
    brier_score,
    classification_report,
    expectancy,
    log_loss,
    precision_long,
    predicted_class,
    profit_factor,
    recall_long,
    trade_returns,
    win_loss_ratio,
    win_rate,
)
from alphafactory.evaluation.drawdowns import DRAWDOWN_COLUMNS, drawdown_table
from alphafactory.evaluation.ic import ICSummary, ic_summary, icir, information_coefficient
from alphafactory.evaluation.pbo import PBOResult, probability_of_backtest_overfitting
from alphafactory.evaluation.performance import (
    Drawdown,
    annual_volatility,
    cagr,
    calmar_ratio,
    drawdown_series,
    hit_rate,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
)
from alphafactory.evaluation.periods import infer_periods_per_year
from alphafactory.evaluation.rolling import rolling_sharpe
from alphafactory.evaluation.sharpe_inference import (
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
    psr_from_moments,
)
from alphafactory.evaluation.signal_quality import (
    directional_accuracy,
    forward_compounded,
    ic_decay,
    quantile_returns,
)
from alphafactory.evaluation.summary import summary
from alphafactory.evaluation.turnover import turnover

__all__ = [
    "DRAWDOWN_COLUMNS",
    "BenchmarkStats",
    "BootstrapCI",
    "Drawdown",
    "ICSummary",
    "PBOResult",
    "accuracy",
    "aligned_returns",
    "alpha",
    "annual_volatility",
    "balanced_accuracy",
    "benchmark_stats",
    "beta",
    "block_bootstrap_ci",
    "brier_score",
    "cagr",
    "calmar_ratio",
    "classification_report",
    "deflated_sharpe_ratio",
    "directional_accuracy",
    "drawdown_series",
    "drawdown_table",
    "expectancy",
    "expected_max_sharpe",
    "forward_compounded",
    "hit_rate",
    "ic_decay",
    "ic_summary",
    "icir",
    "infer_periods_per_year",
    "information_coefficient",
    "information_ratio",
    "log_loss",
    "max_drawdown",
    "monthly_returns",
    "precision_long",
    "predicted_class",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "profit_factor",
    "psr_from_moments",
    "quantile_returns",
    "recall_long",
    "rolling_sharpe",
    "sharpe_ratio",
    "sortino_ratio",
    "summary",
    "tracking_error",
    "trade_returns",
    "turnover",
    "win_loss_ratio",
    "win_rate",
    "yearly_returns",
]
