"""Optimizers on skfolio (extra ``portfolio``), solved at every decision on a trailing window.

At decision t the universe is the names with a score (the ``k`` best when ``k`` is set) and at
least ``window // 2`` returns among the last ``window`` bars; ``X`` is their returns over those
bars (a missing return counts as 0). The covariance is Ledoit-Wolf on ``X`` only
(``skfolio.moments.LedoitWolf``), so nothing after t enters. Scores become per-bar expected
returns by Grinold's rule ``mu_i = ic * sigma_i * z_i``: ``z`` the cross-sectional z-score of the
scores at t, ``sigma_i`` the standard deviation of asset i's returns in ``X``, ``ic`` the
information coefficient measured on the validation slice.

* ``mean_variance``: ``max mu'w - risk_aversion * w' Sigma w`` (MeanRisk, maximize utility);
* ``min_variance``: ``min w' Sigma w``; ``min_cvar``: ``min CVaR_beta`` of ``X w``;
* ``max_diversification``: ``max (sigma'w) / sqrt(w' Sigma w)``;
* ``hrp``: hierarchical risk parity (Lopez de Prado 2016) on the same covariance;
* ``black_litterman``: the Ledoit-Wolf prior updated with one absolute view per asset,
  ``mu_i`` as above, each with Idzorek confidence ``c = tau / (tau + 1 - ic^2)`` (a view with
  error variance ``(1 - ic^2) sigma_i^2`` against a prior of ``tau sigma_i^2``), then mean-variance.

Weights are long only and sum to 1, each in ``[min_weight, max_weight]``. ``transaction_costs``
``c`` is the turnover penalty: the objective's expected return becomes
``mu'w - c * sum_i |w_i - w_prev,i|`` with the previous decision as ``w_prev`` (``c`` in per-bar
return units: a cost per unit traded spread over the bars a book is held), and ``max_turnover``
bounds ``sum_i |w_i - w_prev,i|``; both apply to the MeanRisk problems (mean-variance, minimum
variance and CVaR, maximum diversification, Black-Litterman); HRP has no objective to put them in.

A solve that fails, is infeasible or gives non-finite weights is logged on the
``alphafactory.portfolio`` logger and the ``fallback`` rule decides that row instead; a failed
solve never aborts a rebalance.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.portfolio.base import DecisionRule, PortfolioRule, PortfolioState
from alphafactory.portfolio.sizing import EqualWeight

logger = logging.getLogger("alphafactory.portfolio")
_FEASIBLE = 1e-4  # tolerance on the budget and the bounds of a returned solution


def _default_fallback() -> PortfolioRule:
    return EqualWeight()


def expected_returns(scores: np.ndarray, returns: np.ndarray, ic: float) -> np.ndarray:
    """Grinold's ``mu_i = ic * sigma_i * z_i`` per bar (``scores [n]``, ``returns [W, n]``)."""
    spread = scores.std()
    z = (scores - scores.mean()) / spread if spread > 0 else np.zeros_like(scores)
    return ic * returns.std(axis=0, ddof=1) * z


@dataclass(frozen=True, kw_only=True, slots=True)
class SkfolioOptimizer(DecisionRule):
    """Shared configuration and the per-decision loop of the skfolio optimizers."""

    family: ClassVar[str] = "optimizer"
    window: int = 252
    k: int | None = None
    max_weight: float = 1.0
    min_weight: float = 0.0
    transaction_costs: float = 0.0
    max_turnover: float | None = None
    fallback: PortfolioRule = field(default_factory=_default_fallback)

    def __post_init__(self) -> None:
        if self.window < 10:
            raise ValueError(f"window must be >= 10, got {self.window}.")
        if self.k is not None and self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}.")
        if not 0 < self.max_weight <= 1 or self.transaction_costs < 0:
            raise ValueError(f"need 0 < max_weight <= 1 and transaction_costs >= 0, got "
                             f"{self.max_weight}, {self.transaction_costs}.")  # fmt: skip

    @abstractmethod
    def estimator(self, scores: np.ndarray, returns: np.ndarray, previous: np.ndarray) -> Any:
        """The unfitted skfolio estimator of one decision (names in ``returns``' columns)."""

    def mean_risk_options(self, previous: np.ndarray) -> dict[str, Any]:
        """Bounds, costs and turnover shared by the MeanRisk problems."""
        from skfolio.moments import LedoitWolf
        from skfolio.prior import EmpiricalPrior

        return {"prior_estimator": EmpiricalPrior(covariance_estimator=LedoitWolf()),
                "min_weights": self.min_weight, "max_weights": self.max_weight,
                "transaction_costs": self.transaction_costs, "previous_weights": previous,
                "max_turnover": self.max_turnover}  # fmt: skip

    def decide(self, scores: np.ndarray, returns: np.ndarray, previous: np.ndarray,
               equity: float) -> np.ndarray:  # fmt: skip
        if importlib.util.find_spec("skfolio") is None:
            raise ConfigError(f"rule {self.name!r} needs skfolio: "
                              "pip install 'alphafactory[portfolio]'")  # fmt: skip
        from skfolio.exceptions import SkfolioError

        chosen = self.universe(scores, returns)
        out = np.zeros_like(scores)
        if chosen.size == 0:
            return out
        if chosen.size == 1:
            out[chosen] = min(1.0, self.max_weight)
            return out
        x = np.nan_to_num(returns[:, chosen])
        frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(chosen.size)])
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model = self.estimator(scores[chosen], x, previous[chosen]).fit(frame)
            weights = self.checked(np.asarray(model.weights_, dtype=np.float64), chosen.size)
            for warning in caught:
                logger.warning("%s: solver warning, weights kept (feasible to %g): %s",
                               self.name, _FEASIBLE, warning.message)  # fmt: skip
        except (SkfolioError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            logger.warning("%s: solve failed (%s: %s); fallback %s decides this rebalance",
                           self.name, type(exc).__name__, " ".join(str(exc).split())[:200],
                           self.fallback.name)  # fmt: skip
            return self.fallback_weights(scores, returns, previous, equity)
        out[chosen] = weights
        return out

    def checked(self, weights: np.ndarray, n: int) -> np.ndarray:
        """Return the solver's weights if they are finite and feasible to ``_FEASIBLE``.

        Feasible: ``sum w = 1`` and ``min_weight <= w_i <= max_weight`` (a solution the solver
        called inaccurate is kept when it passes). Raises ValueError otherwise.
        """
        if weights.shape != (n,) or not np.isfinite(weights).all():
            raise ValueError("the solver returned no finite weights")
        off = max(abs(weights.sum() - 1.0), float(np.max(self.min_weight - weights, initial=0.0)),
                  float(np.max(weights - self.max_weight, initial=0.0)))  # fmt: skip
        if off > _FEASIBLE:
            raise ValueError(f"the solver's weights miss the constraints by {off:.2g}")
        return weights

    def universe(self, scores: np.ndarray, returns: np.ndarray) -> np.ndarray:
        """Column numbers of the names this decision optimizes over."""
        enough = np.isfinite(returns).sum(axis=0) >= max(2, self.window // 2)
        valid = np.flatnonzero(np.isfinite(scores) & enough)
        if self.k is not None and valid.size > self.k:
            valid = valid[np.argsort(-scores[valid], kind="stable")[: self.k]]
        return np.sort(valid)

    def fallback_weights(self, scores: np.ndarray, returns: np.ndarray, previous: np.ndarray,
                         equity: float) -> np.ndarray:  # fmt: skip
        """The fallback rule's decision on this row (prices rebuilt from the window's returns)."""
        prices = np.cumprod(np.vstack([np.ones(scores.size), 1.0 + np.nan_to_num(returns)]), axis=0)
        columns = pd.RangeIndex(scores.size)
        px = pd.DataFrame(prices, columns=columns)
        row = pd.DataFrame(scores[None, :], index=px.index[-1:], columns=columns)
        state = PortfolioState(weights=pd.Series(previous, index=columns), equity=equity)
        return self.fallback.weights(row, px, state).to_numpy()[0]


@dataclass(frozen=True, kw_only=True, slots=True)
class MeanVariance(SkfolioOptimizer):
    """``max mu'w - risk_aversion * w' Sigma w`` with Grinold expected returns from the scores."""

    name: ClassVar[str] = "mean_variance"
    ic: float = 0.05
    risk_aversion: float = 1.0

    def estimator(self, scores: np.ndarray, returns: np.ndarray, previous: np.ndarray) -> Any:
        from skfolio.optimization import MeanRisk, ObjectiveFunction

        mu = expected_returns(scores, returns, self.ic)
        return MeanRisk(objective_function=ObjectiveFunction.MAXIMIZE_UTILITY,
                        risk_aversion=self.risk_aversion,
                        overwrite_expected_return=lambda w: mu @ w,
                        **self.mean_risk_options(previous))  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class MinVariance(SkfolioOptimizer):
    """``min w' Sigma w`` (Ledoit-Wolf ``Sigma``); scores choose the universe only."""

    name: ClassVar[str] = "min_variance"

    def estimator(self, scores: np.ndarray, returns: np.ndarray, previous: np.ndarray) -> Any:
        from skfolio.optimization import MeanRisk

        return MeanRisk(**self.mean_risk_options(previous))


@dataclass(frozen=True, kw_only=True, slots=True)
class MinCVaR(SkfolioOptimizer):
    """``min CVaR_beta`` of the window's portfolio returns (historical scenarios)."""

    name: ClassVar[str] = "min_cvar"
    beta: float = 0.95

    def estimator(self, scores: np.ndarray, returns: np.ndarray, previous: np.ndarray) -> Any:
        from skfolio import RiskMeasure
        from skfolio.optimization import MeanRisk

        return MeanRisk(risk_measure=RiskMeasure.CVAR, cvar_beta=self.beta,
                        **self.mean_risk_options(previous))  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class MaxDiversification(SkfolioOptimizer):
    """``max sigma'w / sqrt(w' Sigma w)``, the diversification ratio."""

    name: ClassVar[str] = "max_diversification"

    def estimator(self, scores: np.ndarray, returns: np.ndarray, previous: np.ndarray) -> Any:
        from skfolio.optimization import MaximumDiversification

        return MaximumDiversification(**self.mean_risk_options(previous))


@dataclass(frozen=True, kw_only=True, slots=True)
class HierarchicalRiskParity(SkfolioOptimizer):
    """Hierarchical risk parity on the Ledoit-Wolf covariance (costs not in its objective)."""

    name: ClassVar[str] = "hrp"

    def estimator(self, scores: np.ndarray, returns: np.ndarray, previous: np.ndarray) -> Any:
        from skfolio.moments import LedoitWolf
        from skfolio.optimization import HierarchicalRiskParity as HRP
        from skfolio.prior import EmpiricalPrior

        return HRP(prior_estimator=EmpiricalPrior(covariance_estimator=LedoitWolf()),
                   min_weights=self.min_weight, max_weights=self.max_weight)  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class BlackLitterman(SkfolioOptimizer):
    """Black-Litterman posterior with the scores as absolute views, then mean-variance."""

    name: ClassVar[str] = "black_litterman"
    ic: float = 0.05
    tau: float = 0.05
    risk_aversion: float = 1.0

    def __post_init__(self) -> None:
        SkfolioOptimizer.__post_init__(self)
        if not (0 <= abs(self.ic) < 1 and self.tau > 0):
            raise ValueError(f"need |ic| < 1 and tau > 0, got {self.ic}, {self.tau}.")

    @property
    def confidence(self) -> float:
        """Idzorek confidence of every view: ``tau / (tau + 1 - ic^2)``."""
        return self.tau / (self.tau + 1.0 - self.ic**2)

    def estimator(self, scores: np.ndarray, returns: np.ndarray, previous: np.ndarray) -> Any:
        from skfolio.optimization import MeanRisk, ObjectiveFunction
        from skfolio.prior import BlackLitterman as BL

        mu = expected_returns(scores, returns, self.ic)
        views = [f"x{i} = {value:.12f}" for i, value in enumerate(mu)]
        options = self.mean_risk_options(previous)
        prior = BL(views=views, view_confidences=[self.confidence] * len(views), tau=self.tau,
                   prior_estimator=options.pop("prior_estimator"))  # fmt: skip
        return MeanRisk(objective_function=ObjectiveFunction.MAXIMIZE_UTILITY,
                        risk_aversion=self.risk_aversion, prior_estimator=prior,
                        **options)  # fmt: skip


OPTIMIZERS: tuple[type[SkfolioOptimizer], ...] = (
    MeanVariance, MinVariance, MinCVaR, MaxDiversification, HierarchicalRiskParity, BlackLitterman,
)  # fmt: skip
