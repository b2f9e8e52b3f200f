"""Hard and soft voting over classifiers, scored like a classifier: P(up) - P(down).

A classifier member (:mod:`alphafactory.models.classifiers`) exposes
``predict_proba(X) -> [n, n_classes]`` and ``classes_``, its sorted class labels among -1
(down), 0 (flat) and 1 (up); the score ``P(up) - P(down)`` is ``proba @ sign(classes_)`` (so
``P(1)`` for 0/1 meta-labels, as the classifiers score). The ensemble's classes are the union of
its members'.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from alphafactory.features.windows import Windows, as_windows
from alphafactory.models.base import AlphaEstimator
from alphafactory.models.ensemble import _Ensemble

__all__ = ["VotingEnsemble", "is_classifier", "up_down_score"]


def is_classifier(estimator: object) -> bool:
    """Whether ``estimator`` follows the classifier protocol (``predict_proba``)."""
    return callable(getattr(estimator, "predict_proba", None))


def up_down_score(proba: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Return the trading score ``P(up) - P(down)`` ``[n]`` of class probabilities.

    Parameters
    ----------
    proba : ndarray
        ``[n, n_classes]`` probabilities, columns in the order of ``classes``.
    classes : ndarray
        ``[n_classes]`` class labels among -1 (down), 0 (flat) and 1 (up).
    """
    return np.asarray(proba, dtype=np.float64) @ np.sign(np.asarray(classes, dtype=np.float64))


class VotingEnsemble(_Ensemble):
    """Classifiers combined by their average probabilities (soft) or their votes (hard).

    Soft voting averages the members' class probabilities with ``weights``; hard voting gives
    each member's most probable class its weight and reads the vote shares as probabilities.
    ``predict`` returns ``P(up) - P(down)`` of those probabilities. Nothing is fitted on the
    validation slice: it goes to the members for early stopping.

    Parameters
    ----------
    members : sequence of classifiers
        Estimators with ``predict_proba`` and ``classes_``.
    voting : {"soft", "hard"}
    weights : sequence of float, optional
        Non-negative member weights (normalized to sum 1); default equal.
    seed : int, optional
        Member ``i`` is fitted with ``seed + i``; None keeps the members' own seeds.

    Attributes
    ----------
    members_ : list
    classes_ : ndarray
        Sorted union of the members' classes.
    weights_ : ndarray
        ``[members]`` normalized weights.
    """

    def __init__(
        self,
        members: Sequence[AlphaEstimator],
        voting: str = "soft",
        weights: Sequence[float] | None = None,
        seed: int | None = None,
    ):
        super().__init__(members, seed)
        self.voting = voting
        self.weights = weights

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> VotingEnsemble:
        """Fit every member on ``X`` (with the validation data for early stopping)."""
        if self.voting not in ("soft", "hard"):
            raise ValueError(f"voting must be 'soft' or 'hard', got {self.voting!r}.")
        not_classifiers = [type(m).__name__ for m in self.members if not is_classifier(m)]
        if not_classifiers:
            raise ValueError(f"VotingEnsemble members must be classifiers (predict_proba); "
                             f"got {not_classifiers}.")  # fmt: skip
        weights = np.ones(len(self.members)) if self.weights is None else self.weights
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(self.members),) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(f"weights must be {len(self.members)} non-negative numbers with a "
                             f"positive sum, got {self.weights!r}.")  # fmt: skip
        self.members_ = self._fit_members(X, y, X_val, y_val)
        self.classes_ = np.unique(np.concatenate([np.asarray(m.classes_) for m in self.members_]))
        self.weights_ = weights / weights.sum()
        return self

    def predict_proba(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return the combined class probabilities ``[n, classes]`` (vote shares if hard)."""
        self._check_fitted()
        windows = as_windows(X)
        out = np.zeros((len(windows), len(self.classes_)))
        for member, w in zip(self.members_, self.weights_, strict=True):
            proba = np.asarray(member.predict_proba(windows), dtype=np.float64)
            columns = np.searchsorted(self.classes_, np.asarray(member.classes_))
            if self.voting == "soft":
                out[:, columns] += w * proba
            else:
                out[np.arange(len(out)), columns[proba.argmax(axis=1)]] += w
        return out

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return the trading score ``P(up) - P(down)`` ``[n]``."""
        return up_down_score(self.predict_proba(X), self.classes_)
