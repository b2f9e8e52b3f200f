"""Ensembles whose member weights are fitted on the validation slice: blending and BMA.

Both fit their members on the training slice only and their weights on the members'
out-of-sample predictions for the validation slice (see
:class:`alphafactory.models.ensemble.StackingEnsemble` for ``stopping_fraction``); the test
slice is never seen. Weights are non-negative, sum to 1 and are kept in ``weights_``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from alphafactory.features.windows import Windows, as_windows
from alphafactory.models.base import AlphaEstimator
from alphafactory.models.ensemble import _ValidationWeighted
from alphafactory.models.voting import is_classifier

__all__ = ["BayesianAveragingEnsemble", "BlendEnsemble", "bma_weights", "nnls_weights"]


def nnls_weights(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Non-negative least-squares weights of standardized scores, summing to 1.

    Parameters
    ----------
    scores : ndarray
        ``[n, members]`` member scores (standardized here column by column).
    labels : ndarray
        ``[n]`` targets (centered here).

    Returns
    -------
    ndarray
        ``[members]`` weights; equal weights when no member has a positive weight.
    """
    from scipy.optimize import nnls

    std = scores.std(axis=0)
    z = (scores - scores.mean(axis=0)) / np.where(std > 0, std, 1.0)
    w, _ = nnls(z, labels - labels.mean())
    total = w.sum()
    return w / total if total > 0 else np.full(len(w), 1.0 / len(w))


def bma_weights(
    log_likelihoods: np.ndarray, temperature: float = 1.0, prior: np.ndarray | None = None
) -> np.ndarray:
    """Posterior model probabilities ``prior * exp(log_likelihood / temperature)``, normalized.

    Parameters
    ----------
    log_likelihoods : ndarray
        ``[members]`` total validation log-likelihood of each member.
    temperature : float
        Divides the log-likelihoods; 1 is Bayes' rule for independent samples. Labels that
        overlap (horizon ``h``) make the samples about ``h`` times fewer than they look, so
        ``temperature = h`` is the honest choice for them; larger values flatten the weights.
    prior : ndarray, optional
        ``[members]`` prior model probabilities; default equal.
    """
    ll = np.asarray(log_likelihoods, dtype=np.float64)
    log_prior = np.zeros(len(ll)) if prior is None else np.log(np.asarray(prior, dtype=float))
    log_w = log_prior + ll / temperature
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


class BlendEnsemble(_ValidationWeighted):
    """Standardized member scores combined by non-negative weights fitted on validation.

    The weights are the non-negative least-squares fit of the centered validation labels on the
    members' standardized validation scores, normalized to sum 1 (:func:`nnls_weights`): a
    member that adds nothing gets a weight near 0, and no member is shorted.

    Parameters
    ----------
    members : sequence of estimators
    stopping_fraction : float
        Share of the validation timestamps lent to the members for early stopping (and kept out
        of the weights' fit); 0 (default) lends none.
    seed : int, optional
        Member ``i`` is fitted with ``seed + i``; None keeps the members' own seeds.

    Attributes
    ----------
    members_ : list
    weights_ : ndarray
        ``[members]`` weights, non-negative, summing to 1.
    means_, scales_ : ndarray
        ``[members]`` mean and standard deviation of each member's validation scores.
    """

    def __init__(
        self,
        members: Sequence[AlphaEstimator],
        stopping_fraction: float = 0.0,
        seed: int | None = None,
    ):
        super().__init__(members, seed)
        self.stopping_fraction = stopping_fraction

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> BlendEnsemble:
        """Fit members on ``X``; fit the weights on their predictions for ``X_val``."""
        weigh = self._fit_on_validation(X, y, X_val, y_val)
        scores = self._member_scores(weigh)
        std = scores.std(axis=0)
        self.means_, self.scales_ = scores.mean(axis=0), np.where(std > 0, std, 1.0)
        self.weights_ = nnls_weights(scores, np.asarray(weigh.labels, dtype=np.float64))
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return the weighted sum of standardized member scores ``[n]``."""
        return ((self._member_scores(X) - self.means_) / self.scales_) @ self.weights_


class BayesianAveragingEnsemble(_ValidationWeighted):
    """Bayesian model averaging: weights from each member's validation likelihood.

    Regressors: each member's score is calibrated to the labels on the validation slice
    (``label ~ a + b * score`` by least squares, so scale-free scores compete fairly) and its
    likelihood is Gaussian with the residuals' variance as the scale; the prediction is the
    weighted mean of the calibrated scores. Classifiers (members with ``predict_proba``, the
    labels classes): the log-likelihood is minus the log loss of the validation labels (a
    probability floored at 1e-12), and the prediction the weighted mean of
    ``P(up) - P(down)``. Weights are
    :func:`bma_weights` ``(log_likelihoods_, temperature, prior)``.

    Parameters
    ----------
    members : sequence of estimators
        All regressors or all classifiers.
    temperature : float
        Divides the log-likelihoods (see :func:`bma_weights`); 1 is textbook BMA, which puts
        nearly all weight on one member once the validation slice is long.
    prior : sequence of float, optional
        Prior model probabilities; default equal.
    stopping_fraction : float
        As for :class:`BlendEnsemble`.
    seed : int, optional
        Member ``i`` is fitted with ``seed + i``; None keeps the members' own seeds.

    Attributes
    ----------
    members_ : list
    weights_ : ndarray
        ``[members]`` posterior model probabilities.
    log_likelihoods_ : ndarray
        ``[members]`` total validation log-likelihoods.
    calibration_ : ndarray
        ``[members, 2]`` intercept and slope applied to each member's score (0 and 1 for
        classifiers).
    """

    def __init__(
        self,
        members: Sequence[AlphaEstimator],
        temperature: float = 1.0,
        prior: Sequence[float] | None = None,
        stopping_fraction: float = 0.0,
        seed: int | None = None,
    ):
        super().__init__(members, seed)
        self.temperature = temperature
        self.prior = prior
        self.stopping_fraction = stopping_fraction

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> BayesianAveragingEnsemble:
        """Fit members on ``X``; fit the weights on their likelihood on ``X_val``."""
        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature!r}.")
        prior = None if self.prior is None else np.asarray(self.prior, dtype=np.float64)
        if prior is not None and (prior.shape != (len(self.members),) or np.any(prior <= 0)):
            raise ValueError(f"prior must be {len(self.members)} positive numbers, "
                             f"got {self.prior!r}.")  # fmt: skip
        kinds = {is_classifier(m) for m in self.members}
        if len(kinds) > 1:
            raise ValueError("BayesianAveragingEnsemble members must be all regressors or all "
                             "classifiers.")  # fmt: skip
        weigh = self._fit_on_validation(X, y, X_val, y_val)
        labels = np.asarray(weigh.labels, dtype=np.float64)
        if kinds == {True}:
            ll = [_class_log_likelihood(m, weigh, labels) for m in self.members_]
            self.calibration_ = np.tile([0.0, 1.0], (len(ll), 1))
        else:
            fits = [_gaussian_fit(s, labels) for s in self._member_scores(weigh).T]
            ll = [f[2] for f in fits]
            self.calibration_ = np.array([f[:2] for f in fits])
        self.log_likelihoods_ = np.asarray(ll, dtype=np.float64)
        self.weights_ = bma_weights(self.log_likelihoods_, self.temperature, prior)
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return the posterior-weighted mean of the calibrated member scores ``[n]``."""
        scores = self._member_scores(X)
        calibrated = self.calibration_[:, 0] + scores * self.calibration_[:, 1]
        return calibrated @ self.weights_


def _gaussian_fit(score: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    """``(a, b, log-likelihood)`` of ``labels ~ N(a + b * score, var(residuals))``."""
    var_s = score.var()
    b = float(np.mean((score - score.mean()) * (labels - labels.mean())) / var_s) if var_s else 0.0
    a = float(labels.mean() - b * score.mean())
    sigma2 = max(float(np.mean((labels - a - b * score) ** 2)), 1e-300)
    return a, b, -0.5 * len(labels) * (np.log(2 * np.pi * sigma2) + 1.0)


def _class_log_likelihood(member: AlphaEstimator, weigh: Windows, labels: np.ndarray) -> float:
    """Sum of ``log P(label)``; a class the member does not know has probability 0 (1e-12)."""
    proba = np.asarray(member.predict_proba(as_windows(weigh)), dtype=np.float64)
    classes = np.asarray(member.classes_, dtype=np.float64)  # type: ignore[attr-defined]
    column = np.searchsorted(classes, labels).clip(0, len(classes) - 1)
    known = classes[column] == labels
    picked = np.where(known, proba[np.arange(len(labels)), column], 0.0)
    return float(np.log(np.clip(picked, 1e-12, 1.0)).sum())
