"""Ensembles of fitted members: mean, rank average, and stacking fitted on validation scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alphafactory.features.windows import Windows, as_windows
from alphafactory.models.base import AlphaEstimator, clone


class _Ensemble(AlphaEstimator):
    def __init__(self, members: Sequence[AlphaEstimator]):
        self.members = members

    def _fit_members(
        self, X: Windows | np.ndarray, y: np.ndarray | None, X_val: object, y_val: object
    ) -> list[AlphaEstimator]:
        if len(self.members) == 0:
            raise ValueError("An ensemble needs at least one member.")
        return [clone(m).fit(X, y, X_val=X_val, y_val=y_val) for m in self.members]

    def _member_scores(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return member predictions ``[n, members]``."""
        self._check_fitted()
        windows = as_windows(X)
        return np.column_stack([m.predict(windows) for m in self.members_])


class MeanEnsemble(_Ensemble):
    """Average of the members' standardized scores.

    Each member's scores are divided by their training-sample standard deviation so that no
    member dominates by scale.

    Attributes
    ----------
    members_ : list
        Fitted clones of ``members``.
    scales_ : ndarray
        ``[members]`` standard deviations of each member's training predictions.
    """

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> MeanEnsemble:
        """Fit every member on ``X`` (with the validation data for early stopping)."""
        self.members_ = self._fit_members(X, y, X_val, y_val)
        scores = self._member_scores(as_windows(X, y) if y is not None else X)
        std = scores.std(axis=0)
        self.scales_ = np.where(std > 0, std, 1.0)
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return the mean of standardized member scores ``[n]``."""
        return (self._member_scores(X) / self.scales_).mean(axis=1)


class RankAverageEnsemble(_Ensemble):
    """Average of the members' ranks (as fractions in ``(0, 1]``).

    Ranks are taken within each timestamp when the windows carry groups (cross-sectional
    ranking), else over all samples.

    Attributes
    ----------
    members_ : list
    """

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> RankAverageEnsemble:
        """Fit every member on ``X``."""
        self.members_ = self._fit_members(X, y, X_val, y_val)
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return the mean percentile rank of the members' scores ``[n]``."""
        windows = as_windows(X)
        scores = pd.DataFrame(self._member_scores(windows))
        if windows.groups is not None:
            ranks = scores.groupby(windows.groups).rank(pct=True)
        else:
            ranks = scores.rank(pct=True)
        return ranks.to_numpy().mean(axis=1)


class StackingEnsemble(_Ensemble):
    """Members fitted on the training slice, combined by ridge weights fitted on validation.

    The weights are learned from the members' out-of-sample predictions on the validation data,
    so a member that only overfits the training slice gets little weight.

    Parameters
    ----------
    members : sequence of estimators
    alpha : float
        Ridge penalty per validation sample on the combination weights.

    Attributes
    ----------
    members_ : list
    weights_ : ndarray
        ``[members]`` combination weights.
    intercept_ : float
    """

    def __init__(self, members: Sequence[AlphaEstimator], alpha: float = 1e-3):
        super().__init__(members)
        self.alpha = alpha

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> StackingEnsemble:
        """Fit members on ``X``; fit the weights on their predictions for ``X_val``."""
        if X_val is None:
            raise ValueError("StackingEnsemble fits its weights on validation data: pass X_val.")
        val = as_windows(X_val, y_val)
        if val.labels is None or len(val) < 2:
            raise ValueError("StackingEnsemble needs at least two labelled validation samples.")
        self.members_ = self._fit_members(X, y, X_val, y_val)
        scores = self._member_scores(val)
        finite = np.isfinite(val.labels)
        s, target = scores[finite], val.labels[finite]
        mean_s, mean_y = s.mean(axis=0), target.mean()
        c = s - mean_s
        gram = c.T @ c + self.alpha * len(target) * np.eye(c.shape[1])
        self.weights_ = np.linalg.solve(gram, c.T @ (target - mean_y))
        self.intercept_ = float(mean_y - mean_s @ self.weights_)
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return the weighted combination of member scores ``[n]``."""
        return self._member_scores(X) @ self.weights_ + self.intercept_
