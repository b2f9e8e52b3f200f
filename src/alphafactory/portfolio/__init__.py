"""Portfolio construction: rules that turn scores (and prices) into target weights.

Every rule is a :class:`PortfolioRule` registered by name in :data:`RULES`; see
:mod:`alphafactory.portfolio.base` for the contract (scores, prices, :class:`PortfolioState`).
"""

from alphafactory.portfolio.base import DecisionRule, PortfolioRule, PortfolioState
from alphafactory.portfolio.entries import (
    position_state,
    weights_from_entries,
    weights_from_thresholds,
)
from alphafactory.portfolio.kelly import FractionalKelly, calibrate_scores
from alphafactory.portfolio.limits import Limits
from alphafactory.portfolio.optimizers import (
    BlackLitterman,
    HierarchicalRiskParity,
    MaxDiversification,
    MeanVariance,
    MinCVaR,
    MinVariance,
)
from alphafactory.portfolio.rules import (
    RULES,
    build_rule,
    describe_rules,
    rule_defaults,
    rule_parameters,
    weights_from_scores,
)
from alphafactory.portfolio.scaling import OptimalF, VolTarget
from alphafactory.portfolio.score_rules import Hysteresis, Proportional, Quantile, Threshold, TopK
from alphafactory.portfolio.sizing import EqualWeight, InverseVolatility, RiskParity
from alphafactory.portfolio.topk_exposure import TopKExposure

__all__ = [
    "RULES",
    "BlackLitterman",
    "DecisionRule",
    "EqualWeight",
    "FractionalKelly",
    "HierarchicalRiskParity",
    "Hysteresis",
    "InverseVolatility",
    "Limits",
    "MaxDiversification",
    "MeanVariance",
    "MinCVaR",
    "MinVariance",
    "OptimalF",
    "PortfolioRule",
    "PortfolioState",
    "Proportional",
    "Quantile",
    "RiskParity",
    "Threshold",
    "TopK",
    "TopKExposure",
    "VolTarget",
    "build_rule",
    "calibrate_scores",
    "describe_rules",
    "position_state",
    "rule_defaults",
    "rule_parameters",
    "weights_from_entries",
    "weights_from_scores",
    "weights_from_thresholds",
]
