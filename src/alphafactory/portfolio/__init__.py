"""Portfolio construction: named rules and entry/exit helpers that turn scores into weights."""

from alphafactory.portfolio.entries import (
    position_state,
    weights_from_entries,
    weights_from_thresholds,
)
from alphafactory.portfolio.rules import RULES, weights_from_scores

__all__ = [
    "RULES",
    "position_state",
    "weights_from_entries",
    "weights_from_scores",
    "weights_from_thresholds",
]
