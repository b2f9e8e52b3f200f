"""Named score-to-weight rules: one registry shared by the CLI, workflow files and the demo.

Each rule takes a wide ``T x N`` frame of scores (row t is the decision at the close of t) and
returns target weights of the same shape; ``universe`` masks symbols without a price.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.portfolio.entries import weights_from_thresholds
from alphafactory.signals import (
    quantile_long_short,
    rebalance_every,
    score_proportional,
    threshold_long_flat,
    top_bottom_k,
)


def _topk(
    scores: pd.DataFrame, universe: Any, *, k: int = 1, long_only: bool = False
) -> pd.DataFrame:
    return top_bottom_k(scores, k, 0 if long_only else k, universe=universe)


def _quantile(scores: pd.DataFrame, universe: Any, *, quantiles: int = 5,
              long_only: bool = False) -> pd.DataFrame:
    return quantile_long_short(scores, quantiles, long_only=long_only, universe=universe)


def _proportional(
    scores: pd.DataFrame, universe: Any, *, max_weight: float | None = None
) -> pd.DataFrame:
    return score_proportional(scores, max_weight=max_weight, universe=universe)


def _threshold(scores: pd.DataFrame, universe: Any, *, threshold: float = 0.0) -> pd.DataFrame:
    return threshold_long_flat(scores, enter=threshold, universe=universe)


def _hysteresis(scores: pd.DataFrame, universe: Any, *, enter: float = 1.0,
                exit: float | None = None, long_only: bool = False, size: float | str = "equal",
                ) -> pd.DataFrame:
    if universe is not None:
        mask = universe.reindex(index=scores.index, columns=scores.columns).fillna(False)
        scores = scores.where(mask.to_numpy(dtype=bool))
    return weights_from_thresholds(scores, enter=enter, exit=exit, long_only=long_only, size=size)


RULES: dict[str, Callable[..., pd.DataFrame]] = {
    "topk": _topk,
    "quantile": _quantile,
    "proportional": _proportional,
    "threshold": _threshold,
    "hysteresis": _hysteresis,
}


def rule_parameters(rule: str) -> tuple[str, ...]:
    """The parameter names a registered rule accepts."""
    signature = inspect.signature(RULES[rule])
    return tuple(n for n, p in signature.parameters.items() if p.kind is p.KEYWORD_ONLY)


def weights_from_scores(
    scores: pd.DataFrame,
    rule: str = "topk",
    *,
    universe: pd.DataFrame | None = None,
    rebalance: int | str = 1,
    **params: Any,
) -> pd.DataFrame:
    """Turn wide scores into target weights with a named rule, held between rebalances.

    Parameters
    ----------
    scores : DataFrame
        ``T x N`` scores; NaN where a symbol has none.
    rule : {"topk", "quantile", "proportional", "threshold", "hysteresis"}
        ``topk``: equal weights on the ``k`` best (and ``k`` worst short unless ``long_only``);
        ``quantile``: long the top quantile, short the bottom; ``proportional``: weights
        proportional to demeaned scores, capped at ``max_weight``; ``threshold``: long-flat when
        the score exceeds ``threshold``; ``hysteresis``: long above ``enter`` until below
        ``exit``, short below ``-enter`` until above ``-exit`` unless ``long_only``, each
        position ``size`` or equal weights (see
        :func:`~alphafactory.portfolio.weights_from_thresholds`).
    universe : DataFrame of bool, optional
        Tradable cells.
    rebalance : int or str
        Every N bars, or a pandas period such as ``"W"``.
    **params
        The rule's own parameters (``topk``: ``k, long_only``; ``quantile``: ``quantiles,
        long_only``; ``proportional``: ``max_weight``; ``threshold``: ``threshold``;
        ``hysteresis``: ``enter, exit, long_only, size``); any other name raises, including a
        parameter of another rule.

    Raises
    ------
    ConfigError
        For an unknown rule or parameter.
    """
    if rule not in RULES:
        raise ConfigError(f"rule: unknown rule {rule!r}; valid rules are {sorted(RULES)}")
    valid = rule_parameters(rule)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ConfigError(
            f"rule {rule!r}: unknown parameter(s) {unknown}; rule {rule!r} takes {sorted(valid)}"
        )
    weights = RULES[rule](scores, universe, **params)
    return rebalance_every(weights, rebalance)
