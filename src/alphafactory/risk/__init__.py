"""Risk: VaR and CVaR, VaR backtests, the risk manager with its limits and circuit breakers."""

from alphafactory.risk.measures import (
    METHODS,
    RiskEstimate,
    portfolio_returns,
    portfolio_var,
    proposal_var,
    rolling_var,
    window_var_cvar,
)
from alphafactory.risk.var_backtest import (
    LRTest,
    christoffersen_independence,
    exceptions,
    kupiec_pof,
    kupiec_region,
    var_backtest,
)

__all__ = [
    "METHODS",
    "LRTest",
    "RiskEstimate",
    "christoffersen_independence",
    "exceptions",
    "kupiec_pof",
    "kupiec_region",
    "portfolio_returns",
    "portfolio_var",
    "proposal_var",
    "rolling_var",
    "var_backtest",
    "window_var_cvar",
]
