"""Portfolio construction: named rules that turn scores into target weights."""

from alphafactory.portfolio.rules import RULES, weights_from_scores

__all__ = ["RULES", "weights_from_scores"]
