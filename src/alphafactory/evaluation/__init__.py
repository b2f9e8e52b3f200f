"""Evaluation: performance metrics, the IC family, deflated Sharpe, PBO, bootstrap intervals.

Pure functions of pandas/numpy inputs, each documenting its formula.
"""

from alphafactory.evaluation.bootstrap import BootstrapCI, block_bootstrap_ci
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
    "BootstrapCI",
    "Drawdown",
    "ICSummary",
    "PBOResult",
    "annual_volatility",
    "block_bootstrap_ci",
    "cagr",
    "calmar_ratio",
    "deflated_sharpe_ratio",
    "directional_accuracy",
    "drawdown_series",
    "expected_max_sharpe",
    "forward_compounded",
    "hit_rate",
    "ic_decay",
    "ic_summary",
    "icir",
    "infer_periods_per_year",
    "information_coefficient",
    "max_drawdown",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "psr_from_moments",
    "quantile_returns",
    "sharpe_ratio",
    "sortino_ratio",
    "summary",
    "turnover",
]
