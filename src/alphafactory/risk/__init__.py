"""Risk: VaR and CVaR, VaR backtests, the risk manager with its limits and circuit breakers."""

from alphafactory.risk.circuit_breakers import DailyLossLimit, IntradayLossLimit, MaxDrawdownStop
from alphafactory.risk.exposure_limits import MaxGrossLeverage, MaxNetExposure, VaRLimit
from alphafactory.risk.limit import (
    Breach,
    CircuitBreaker,
    EquityTracker,
    RiskContext,
    RiskLimit,
)
from alphafactory.risk.manager import (
    INTERVENTION_COLUMNS,
    Intervention,
    RiskManager,
    interventions_frame,
)
from alphafactory.risk.measures import (
    METHODS,
    RiskEstimate,
    portfolio_returns,
    portfolio_var,
    proposal_var,
    rolling_var,
    window_var_cvar,
)
from alphafactory.risk.position_limits import MaxGroupWeight, MaxPositions, MaxPositionWeight
from alphafactory.risk.registry import LIMITS, describe_limits, limit_from_config
from alphafactory.risk.session import RiskSession, Trip, session_of
from alphafactory.risk.var_backtest import (
    LRTest,
    christoffersen_independence,
    exceptions,
    kupiec_pof,
    kupiec_region,
    var_backtest,
)

__all__ = [
    "INTERVENTION_COLUMNS",
    "LIMITS",
    "METHODS",
    "Breach",
    "CircuitBreaker",
    "DailyLossLimit",
    "EquityTracker",
    "Intervention",
    "IntradayLossLimit",
    "LRTest",
    "MaxDrawdownStop",
    "MaxGrossLeverage",
    "MaxGroupWeight",
    "MaxNetExposure",
    "MaxPositionWeight",
    "MaxPositions",
    "RiskContext",
    "RiskEstimate",
    "RiskLimit",
    "RiskManager",
    "RiskSession",
    "Trip",
    "VaRLimit",
    "christoffersen_independence",
    "describe_limits",
    "exceptions",
    "interventions_frame",
    "kupiec_pof",
    "kupiec_region",
    "limit_from_config",
    "portfolio_returns",
    "portfolio_var",
    "proposal_var",
    "rolling_var",
    "session_of",
    "var_backtest",
    "window_var_cvar",
]
