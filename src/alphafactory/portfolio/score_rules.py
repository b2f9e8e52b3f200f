"""Rules on scores alone (vectorized over the panel): top/bottom K, quantiles, proportional,
threshold and hysteresis. Each wraps a low-level function of :mod:`alphafactory.signals.weights`
or :mod:`alphafactory.portfolio.entries`; none needs prices or state."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.portfolio.base import PortfolioRule, PortfolioState, check_scores
from alphafactory.portfolio.entries import weights_from_thresholds
from alphafactory.signals import (
    quantile_long_short,
    score_proportional,
    threshold_long_flat,
    top_bottom_k,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class TopK(PortfolioRule):
    """Equal weights on the ``k`` best scores, and ``-`` on the ``k`` worst unless ``long_only``.

    Long-short rows are dollar neutral with legs of 1/2 (``w = ±1 / (2k)``); long only ``1/k``.
    Ties are ties (:func:`~alphafactory.signals.top_bottom_k`): tied names across the cut share
    its places, and a bar whose scores are all equal takes no position (with a warning).
    """

    name: ClassVar[str] = "topk"
    k: int = 1
    long_only: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise ConfigError(f"k must be an integer >= 1, got {self.k!r}.")

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        check_scores(scores)
        return top_bottom_k(scores, self.k, 0 if self.long_only else self.k)


@dataclass(frozen=True, kw_only=True, slots=True)
class Quantile(PortfolioRule):
    """Long the top of ``quantiles`` percentile buckets, short the bottom unless ``long_only``.

    Ties are ties (:func:`~alphafactory.signals.quantile_long_short`): tied names share their
    average rank and bucket; a bar whose scores are all equal takes no position (a warning).
    """

    name: ClassVar[str] = "quantile"
    quantiles: int = 5
    long_only: bool = False

    def __post_init__(self) -> None:
        if (isinstance(self.quantiles, bool) or not isinstance(self.quantiles, int)
                or self.quantiles < 2):
            raise ConfigError(f"quantiles must be an integer >= 2, got {self.quantiles!r}.")

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        check_scores(scores)
        return quantile_long_short(scores, self.quantiles, long_only=self.long_only)


@dataclass(frozen=True, kw_only=True, slots=True)
class Proportional(PortfolioRule):
    """Weights proportional to demeaned scores, ``sum |w| = 1``, each ``|w| <= max_weight``."""

    name: ClassVar[str] = "proportional"
    max_weight: float | None = None

    def __post_init__(self) -> None:
        value = self.max_weight
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 < value < math.inf):
            raise ConfigError(f"max_weight must be a finite number > 0 (or None), got {value!r}.")

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        check_scores(scores)
        return score_proportional(scores, max_weight=self.max_weight)


@dataclass(frozen=True, kw_only=True, slots=True)
class Threshold(PortfolioRule):
    """Long-flat: equal weights (summing to 1) on the names whose score exceeds ``threshold``."""

    name: ClassVar[str] = "threshold"
    threshold: float = 0.0

    def __post_init__(self) -> None:
        value = self.threshold
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
                value):
            raise ConfigError(f"threshold must be a finite number, got {value!r}.")

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        check_scores(scores)
        return threshold_long_flat(scores, enter=self.threshold)


@dataclass(frozen=True, kw_only=True, slots=True)
class Hysteresis(PortfolioRule):
    """Long above ``enter`` until below ``exit``; short below ``-enter`` until above ``-exit``.

    See :func:`~alphafactory.portfolio.weights_from_thresholds`; ``size`` is each position's
    absolute weight or ``"equal"`` (``1 / n`` over the ``n`` open positions).
    """

    name: ClassVar[str] = "hysteresis"
    enter: float = 1.0
    exit: float | None = None
    long_only: bool = False
    size: float | str = "equal"

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        return weights_from_thresholds(scores, enter=self.enter, exit=self.exit,
                                       long_only=self.long_only, size=self.size)  # fmt: skip
