"""Ensembles of fitted members: mean, rank average, and stacking fitted on validation scores.

Every ensemble clones and fits its ``members`` inside its own ``fit`` (so inside each
walk-forward fold) and exposes the combination in ``weights_`` (in member order). Those that fit
weights (stacking here; blending and Bayesian model averaging in
:mod:`alphafactory.models.ensemble_weights`) fit them on the members' predictions for the
validation slice only, never on training or test rows (see ``_ValidationWeighted``). ``seed``,
when set, seeds member ``i`` with ``seed + i``; walk-forward sets it per fold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from alphafactory.features.windows import ArrayWindows, Windows, as_windows
from alphafactory.models.base import AlphaEstimator, clone


class _Ensemble(AlphaEstimator):
    def __init__(self, members: Sequence[AlphaEstimator], seed: int | None = None):
        self.members = members
        self.seed = seed

    def _fit_members(
        self, X: Windows | np.ndarray, y: np.ndarray | None, X_val: object, y_val: object
    ) -> list[AlphaEstimator]:
        """Fit a clone of every member; member ``i`` gets seed ``seed + i`` when ``seed`` is set."""
        if len(self.members) == 0:
            raise ValueError("An ensemble needs at least one member.")
        fitted = []
        for i, member in enumerate(self.members):
            fresh = clone(member)
            if self.seed is not None and "seed" in fresh.get_params():
                fresh = type(fresh)(**{**fresh.get_params(), "seed": self.seed + i})
            fitted.append(fresh.fit(X, y, X_val=X_val, y_val=y_val))
        return fitted

    def _member_scores(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return member predictions ``[n, members]``."""
        self._check_fitted()
        windows = as_windows(X)
        return np.column_stack([m.predict(windows) for m in self.members_])


class _ValidationWeighted(_Ensemble):
    """Members fitted on the training slice only; combination fitted on validation predictions.

    With ``stopping_fraction = 0`` the members never see the validation slice, so their
    predictions there are out of sample and the combination is fitted on nothing else. With
    ``stopping_fraction = f`` the earliest share ``f`` of the validation timestamps goes to the
    members for early stopping, then ``horizon`` timestamps are skipped (when the windows know
    it) and the combination is fitted on the rest only.
    """

    stopping_fraction: float

    def _fit_on_validation(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None,
        X_val: Windows | np.ndarray | None,
        y_val: np.ndarray | None,
    ) -> Windows:
        """Fit the members; return the labelled validation windows the weights are fitted on."""
        name = type(self).__name__
        if X_val is None:
            raise ValueError(f"{name} fits its weights on validation data: pass X_val (in a "
                             "walk-forward: a validation slice, val > 0).")  # fmt: skip
        if not 0.0 <= self.stopping_fraction < 1.0:
            raise ValueError(
                f"{name}: stopping_fraction must be in [0, 1), got {self.stopping_fraction!r}."
            )
        stop, weigh = split_validation(as_windows(X_val, y_val), self.stopping_fraction)
        if weigh.labels is None or np.isfinite(weigh.labels).sum() < 2:
            raise ValueError(f"{name} needs at least two labelled validation samples.")
        self.members_ = self._fit_members(X, y, stop, None)
        finite = np.flatnonzero(np.isfinite(weigh.labels))
        return weigh if len(finite) == len(weigh) else take_windows(weigh, finite)


def split_validation(val: Windows, fraction: float) -> tuple[Windows | None, Windows]:
    """Split validation windows in time: ``(early-stopping part or None, weighting part)``.

    Timestamps are the windows' ``groups`` when present (else the row order); the earliest
    ``fraction`` of them form the first part, ``val.horizon`` timestamps after it are skipped
    when the windows carry a horizon, and the rest form the second part.
    """
    if fraction == 0.0:
        return None, val
    key = val.groups if val.groups is not None else np.arange(len(val))
    times = np.unique(key)
    n_stop = round(fraction * len(times))
    gap = int(getattr(val, "horizon", None) or 0) if val.groups is not None else 0
    stop_times, weigh_times = times[:n_stop], times[n_stop + gap :]
    if len(stop_times) == 0 or len(weigh_times) < 2:
        raise ValueError(
            f"stopping_fraction={fraction} leaves {len(stop_times)} early-stopping and "
            f"{len(weigh_times)} weighting timestamps of {len(times)} (gap {gap}); need >= 1 and 2."
        )
    stop = take_windows(val, np.flatnonzero(np.isin(key, stop_times)))
    return stop, take_windows(val, np.flatnonzero(np.isin(key, weigh_times)))


def take_windows(windows: Windows, idx: np.ndarray) -> Windows:
    """Return the samples ``idx`` of ``windows`` (a shared view for panel windows)."""
    subset = getattr(windows, "subset", None)
    if subset is not None:
        return subset(idx)

    def pick(v: np.ndarray | None) -> np.ndarray | None:
        return None if v is None else v[idx]

    return ArrayWindows(windows.gather(idx), pick(windows.labels), pick(windows.groups),
                        pick(windows.symbols))  # fmt: skip


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
    weights_ : ndarray
        ``[members]`` equal weights ``1 / members`` of the standardized scores.
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
        self.weights_ = np.full(len(self.members_), 1.0 / len(self.members_))
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return the mean of standardized member scores ``[n]``."""
        return (self._member_scores(X) / self.scales_) @ self.weights_


class RankAverageEnsemble(_Ensemble):
    """Average of the members' ranks (as fractions in ``(0, 1]``).

    Ranks are taken within each timestamp when the windows carry groups (cross-sectional
    ranking), else over all samples.

    Attributes
    ----------
    members_ : list
    weights_ : ndarray
        ``[members]`` equal weights ``1 / members`` of the ranks.
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
        self.weights_ = np.full(len(self.members_), 1.0 / len(self.members_))
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return the mean percentile rank of the members' scores ``[n]``."""
        windows = as_windows(X)
        scores = pd.DataFrame(self._member_scores(windows))
        if windows.groups is not None:
            ranks = scores.groupby(windows.groups).rank(pct=True)
        else:
            ranks = scores.rank(pct=True)
        return ranks.to_numpy() @ self.weights_


class StackingEnsemble(_ValidationWeighted):
    """Members fitted on the training slice, combined by ridge weights fitted on validation.

    The meta-learner (a ridge regression of the labels on the member scores) is fitted on the
    members' out-of-sample predictions for the validation slice only: the members never saw
    those rows (see ``stopping_fraction``), and the test rows are not seen at all.

    Parameters
    ----------
    members : sequence of estimators
    alpha : float
        Ridge penalty per validation sample on the combination weights.
    stopping_fraction : float
        Share of the validation timestamps (the earliest) lent to the members for early
        stopping and kept out of the meta-learner's fit; 0 (default) lends none.
    seed : int, optional
        Member ``i`` is fitted with ``seed + i``; None keeps the members' own seeds.

    Attributes
    ----------
    members_ : list
    weights_ : ndarray
        ``[members]`` combination weights.
    intercept_ : float
    """

    def __init__(
        self,
        members: Sequence[AlphaEstimator],
        alpha: float = 1e-3,
        stopping_fraction: float = 0.0,
        seed: int | None = None,
    ):
        super().__init__(members, seed)
        self.alpha = alpha
        self.stopping_fraction = stopping_fraction

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> StackingEnsemble:
        """Fit members on ``X``; fit the weights on their predictions for ``X_val``."""
        weigh = self._fit_on_validation(X, y, X_val, y_val)
        s, target = self._member_scores(weigh), np.asarray(weigh.labels, dtype=np.float64)
        mean_s, mean_y = s.mean(axis=0), target.mean()
        c = s - mean_s
        gram = c.T @ c + self.alpha * len(target) * np.eye(c.shape[1])
        self.weights_ = np.linalg.solve(gram, c.T @ (target - mean_y))
        self.intercept_ = float(mean_y - mean_s @ self.weights_)
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return the weighted combination of member scores ``[n]``."""
        return self._member_scores(X) @ self.weights_ + self.intercept_
