"""Sizing rules: which names (top ``k`` by score) and how much of each (equal, 1/vol, equal risk).

Every rule here picks its names the same way (:func:`select_sides`): long the ``k`` highest
scores of the row (every scored name when ``k`` is None) and, unless ``long_only``, short the
``k`` lowest (below the row's median when ``k`` is None). Magnitudes ``m_i >= 0`` are then set by
the rule and each leg is scaled to ``gross`` (long only) or ``gross / 2`` (long-short), before
the rule's :class:`~alphafactory.portfolio.limits.Limits`:

* ``equal_weight``: ``m_i = 1``;
* ``inverse_volatility``: ``m_i = 1 / sigma_i`` with ``sigma_i`` the standard deviation of the
  last ``window`` close-to-close returns up to t (vectorized over the panel);
* ``risk_parity``: equal risk contributions ``m_i (Sigma m)_i = m_j (Sigma m)_j`` among the
  chosen names, ``Sigma`` the Ledoit-Wolf covariance of their sign-adjusted returns over the
  last ``window`` bars (solved per decision by cyclical coordinate descent, Griveau-Billion,
  Richard and Roncalli 2013). Long only the contributions are exactly equal; long-short, the
  two legs are then scaled to ``gross / 2`` each (dollar neutral), which moves risk between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from alphafactory.portfolio.base import (
    DecisionRule,
    PortfolioRule,
    PortfolioState,
    aligned_returns,
    check_scores,
)
from alphafactory.portfolio.limits import Limits

_ERC_SWEEPS = 200


def select_sides(values: np.ndarray, k: int | None, long_only: bool) -> np.ndarray:
    """Return +1 (long), -1 (short) or 0 per cell of ``values`` (``[T, N]`` or ``[N]``)."""
    values = np.atleast_2d(values)
    valid = np.isfinite(values)
    if k is None:
        if long_only:
            return np.where(valid, 1.0, 0.0)
        median = np.nanmedian(np.where(valid.any(axis=1, keepdims=True), values, 0.0), axis=1)
        return np.where(valid, np.sign(values - median[:, None]), 0.0)
    n_valid = valid.sum(axis=1, keepdims=True)
    order = np.argsort(np.where(valid, -values, np.inf), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(values.shape[1])[None, :], axis=1)
    per_leg = np.minimum(k, n_valid if long_only else n_valid // 2)
    long = valid & (rank < per_leg)
    short = valid & ((n_valid - 1 - rank) < per_leg) & ~long & (not long_only)
    return np.where(long, 1.0, np.where(short, -1.0, 0.0))


def scale_legs(sides: np.ndarray, magnitude: np.ndarray, gross: float) -> np.ndarray:
    """``w = side * m``, each leg scaled to ``gross`` (one leg) or ``gross / 2`` (two legs)."""
    m = np.where((sides != 0) & np.isfinite(magnitude), np.abs(magnitude), 0.0)
    longs = np.where(sides > 0, m, 0.0)
    shorts = np.where(sides < 0, m, 0.0)
    long_sum = longs.sum(axis=-1, keepdims=True)
    short_sum = shorts.sum(axis=-1, keepdims=True)
    leg = np.where((long_sum > 0) & (short_sum > 0), gross / 2, gross)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(long_sum > 0, longs * leg / long_sum, 0.0)
        w -= np.where(short_sum > 0, shorts * leg / short_sum, 0.0)
    return w


def ledoit_wolf(returns: np.ndarray) -> np.ndarray:
    """Ledoit-Wolf (2004) shrinkage of the sample covariance towards ``mu I``.

    With ``X`` the demeaned ``[W, N]`` returns, ``S = X'X / W`` and ``mu = tr(S) / N``, the
    estimate is ``(1 - d) S + d mu I`` with ``d = min(1, b2 / d2)``, ``d2 = ||S - mu I||_F^2``,
    ``b2 = sum_t ||x_t x_t' - S||_F^2 / W^2`` (scikit-learn's ``ledoit_wolf`` on the same data).
    """
    x = returns - returns.mean(axis=0)
    n_obs, n = x.shape
    sample = x.T @ x / n_obs
    mu = np.trace(sample) / n
    d2 = np.sum((sample - mu * np.eye(n)) ** 2)
    b2 = (np.sum((x**2).T @ (x**2)) / n_obs - np.sum(sample**2)) / n_obs
    shrink = 0.0 if d2 == 0 else min(1.0, max(b2, 0.0) / d2)
    return (1 - shrink) * sample + shrink * mu * np.eye(n)


def equal_risk_contribution(cov: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Long-only weights (sum 1) whose risk contributions ``x_i (Sigma x)_i`` are all equal.

    Cyclical coordinate descent on ``1/2 x' Sigma x - b' log x`` with ``b_i = 1 / N``; each step
    solves ``Sigma_ii x_i^2 + c_i x_i - b_i = 0`` with ``c_i = (Sigma x)_i - Sigma_ii x_i``.
    """
    n = cov.shape[0]
    diag = np.maximum(np.diag(cov), 1e-18)
    x = 1.0 / np.sqrt(diag)
    x /= x.sum()
    budget = 1.0 / n
    for _ in range(_ERC_SWEEPS):
        before = x.copy()
        for i in range(n):
            c = cov[i] @ x - diag[i] * x[i]
            x[i] = (-c + np.sqrt(c * c + 4 * diag[i] * budget)) / (2 * diag[i])
        if np.max(np.abs(x - before)) < tol * np.max(x):
            break
    return x / x.sum()


@dataclass(frozen=True, kw_only=True, slots=True)
class EqualWeight(PortfolioRule):
    """Equal weights over the top ``k`` (and bottom ``k`` short unless ``long_only``)."""

    name: ClassVar[str] = "equal_weight"
    k: int | None = None
    long_only: bool = True
    gross: float = 1.0
    limits: Limits = field(default_factory=Limits)

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        values = check_scores(scores)
        w = scale_legs(select_sides(values, self.k, self.long_only), np.ones_like(values),
                       self.gross)  # fmt: skip
        return self.limits.apply(_decisions(w, values, scores), prices, state)


@dataclass(frozen=True, kw_only=True, slots=True)
class InverseVolatility(PortfolioRule):
    """Weights proportional to ``1 / sigma_i`` (trailing ``window`` returns) over the top ``k``."""

    name: ClassVar[str] = "inverse_volatility"
    needs_prices: ClassVar[bool] = True
    k: int | None = None
    long_only: bool = True
    window: int = 60
    gross: float = 1.0
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.window < 2:
            raise ValueError(f"window must be >= 2, got {self.window}.")

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        values = check_scores(scores)
        returns, rows = aligned_returns(scores, prices, self.name)
        vol = pd.DataFrame(returns).rolling(self.window, min_periods=2).std().to_numpy()[rows]
        with np.errstate(divide="ignore"):
            inverse = np.where(vol > 0, 1.0 / vol, np.nan)
        sides = select_sides(np.where(np.isfinite(inverse), values, np.nan), self.k,
                             self.long_only)  # fmt: skip
        w = scale_legs(sides, inverse, self.gross)
        return self.limits.apply(_decisions(w, values, scores), prices, state)


@dataclass(frozen=True, kw_only=True, slots=True)
class RiskParity(DecisionRule):
    """Equal risk contribution over the top ``k`` (Ledoit-Wolf covariance, trailing window)."""

    name: ClassVar[str] = "risk_parity"
    k: int | None = None
    long_only: bool = True
    window: int = 120
    gross: float = 1.0
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.window < 2:
            raise ValueError(f"window must be >= 2, got {self.window}.")

    def decide(self, scores: np.ndarray, returns: np.ndarray, previous: np.ndarray,
               equity: float) -> np.ndarray:  # fmt: skip
        history = np.isfinite(returns).sum(axis=0) >= 2
        sides = select_sides(np.where(history, scores, np.nan), self.k, self.long_only)[0]
        chosen = np.flatnonzero(sides)
        magnitude = np.zeros_like(scores)
        if chosen.size:
            signed = np.nan_to_num(returns[:, chosen]) * sides[chosen]
            magnitude[chosen] = equal_risk_contribution(ledoit_wolf(signed))
        return scale_legs(sides, magnitude, self.gross)

    def weights(self, scores: pd.DataFrame, prices: pd.DataFrame | None = None,
                state: PortfolioState | None = None) -> pd.DataFrame:  # fmt: skip
        return self.limits.apply(DecisionRule.weights(self, scores, prices, state), prices, state)


def _decisions(w: np.ndarray, values: np.ndarray, like: pd.DataFrame) -> pd.DataFrame:
    decision = np.isfinite(values).any(axis=1)
    out = np.where(decision[:, None], np.nan_to_num(w), np.nan)
    return pd.DataFrame(out, index=like.index, columns=like.columns)
