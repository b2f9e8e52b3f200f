"""Model-based selection steps: mutual information, PCA, LightGBM gain and the lasso.

Fold steps (see :mod:`alphafactory.models.feature_steps`) fitted on a fold's training rows
with their labels; rows without a finite label are left out of the fit. Inputs are expected
standardized (walk-forward's normalizer runs first); NaN counts as 0, the training mean, as in
the cube the models see. Each fit is seeded, so a fold's selection is reproducible.

* :class:`MIScreen` (``mi_screen``): scikit-learn's ``mutual_info_regression`` on at most
  ``max_rows`` rows; keep the ``k`` largest.
* :class:`PCAStep` (``pca``): principal components (``n_components`` a count, or a fraction of
  the variance to explain); outputs ``pc_1 .. pc_m``.
* :class:`GBMImportance` (``gbm_importance``): a LightGBM regressor's total gain per feature;
  keep the ``k`` largest (needs the ``gbm`` extra).
* :class:`LassoSelect` (``lasso``): features with a nonzero coefficient of an L1 regression of
  the standardized label on the standardized features.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.models.feature_steps import ColumnSubset, FoldStep


def _training_rows(
    step: FoldStep, frame: pd.DataFrame, labels: pd.Series | None, max_rows: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of the rows with a finite label (a seeded subsample of ``max_rows``)."""
    if labels is None:
        raise ValueError(f"{type(step).__name__}.fit needs labels (the training rows' labels).")
    y = np.asarray(labels, dtype=np.float64)
    rows = np.flatnonzero(np.isfinite(y))
    if len(rows) > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=max_rows, replace=False))
    if len(rows) < 2:
        raise ValueError(f"{type(step).__name__}.fit: fewer than 2 training rows have a label.")
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)[rows]
    return np.where(np.isfinite(values), values, 0.0), y[rows]


def _top(scores: np.ndarray, k: int | None) -> np.ndarray:
    """Support of the ``k`` largest finite scores (all positive ones when ``k`` is None)."""
    strength = np.nan_to_num(scores, nan=-np.inf)
    order = np.argsort(-strength, kind="stable")
    positive = int((strength > 0).sum())
    chosen = order[: max(1, positive if k is None else min(k, positive))]
    support = np.zeros(len(scores), dtype=bool)
    support[chosen] = True
    return support


def _check_int(step: FoldStep, name: str, value: Any, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{type(step).__name__}: {name} must be an integer >= 1, got {value!r}")


class MIScreen(ColumnSubset):
    """Keep the ``k`` features of largest mutual information with the label.

    ``mi_`` holds each input column's estimate (nats). At least one feature is kept.

    Parameters
    ----------
    k : int
        Features to keep at most (fewer when fewer carry any information).
    max_rows : int
        Training rows the estimate uses at most (a seeded subsample; the k-NN estimator is
        quadratic-ish in rows).
    n_neighbors : int
        Neighbours of the k-NN estimator.
    seed : int
        Seed of the subsample and of the estimator's jitter.
    """

    def __init__(
        self, k: int = 40, max_rows: int = 3000, n_neighbors: int = 3, seed: int = 0
    ) -> None:
        self.k = k
        self.max_rows = max_rows
        self.n_neighbors = n_neighbors
        self.seed = seed

    def _validate(self) -> None:
        for name in ("k", "max_rows", "n_neighbors"):
            _check_int(self, name, getattr(self, name))

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> MIScreen:
        """Estimate each column's mutual information with the label."""
        from sklearn.feature_selection import mutual_info_regression

        self._validate()
        self._start_fit(frame, labels)
        X, y = _training_rows(self, frame, labels, self.max_rows, self.seed)
        self.mi_ = mutual_info_regression(X, y, n_neighbors=self.n_neighbors,
                                          random_state=self.seed)  # fmt: skip
        self._keep(_top(self.mi_, self.k))
        return self


class PCAStep(FoldStep):
    """Project onto the training rows' principal components, outputs ``pc_1 .. pc_m``.

    Columns are z-scored with the training mean and std first (NaN -> 0), so no feature's units
    dominate; ``components_`` are scikit-learn's (full SVD: deterministic).

    Parameters
    ----------
    n_components : int or float
        Components kept: a count, or a fraction in ``(0, 1)`` of the variance to explain.
    max_rows : int
        Training rows the components are fitted on at most (a seeded subsample beyond).
    seed : int
        Seed of the subsample.
    """

    def __init__(
        self, n_components: int | float = 0.9, max_rows: int = 50_000, seed: int = 0
    ) -> None:
        self.n_components = n_components
        self.max_rows = max_rows
        self.seed = seed

    def _validate(self) -> None:
        n = self.n_components
        if isinstance(n, bool) or not (
            (isinstance(n, int) and n >= 1) or (isinstance(n, float) and 0 < n < 1)
        ):
            raise ValueError(f"PCAStep: n_components must be an integer >= 1 or a fraction in "
                             f"(0, 1), got {n!r}")  # fmt: skip
        _check_int(self, "max_rows", self.max_rows)

    def _standardize(self, frame: pd.DataFrame) -> np.ndarray:
        values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
        z = (values - self.mean_) / self.scale_
        return np.where(np.isfinite(z), z, 0.0)

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> PCAStep:
        """Fit the components on the training rows (labels are not used)."""
        from sklearn.decomposition import PCA

        self._validate()
        self._start_fit(frame, labels)
        values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(values)
        count = finite.sum(axis=0)
        mean = np.where(finite, values, 0.0).sum(axis=0) / np.maximum(count, 1)
        dev = np.where(finite, values - mean, 0.0)
        std = np.sqrt((dev * dev).sum(axis=0) / np.maximum(count - 1, 1))
        self.mean_ = mean
        self.scale_ = np.where(std > 0, std, 1.0)
        rows = np.arange(len(frame))
        if len(rows) > self.max_rows:
            rows = np.sort(np.random.default_rng(self.seed).choice(
                len(frame), size=self.max_rows, replace=False))  # fmt: skip
        z = self._standardize(frame)[rows]
        n = self.n_components
        if isinstance(n, int):
            n = min(n, *z.shape)
        pca = PCA(n_components=n, svd_solver="full").fit(z)
        self.components_ = pca.components_
        self.center_ = pca.mean_
        self.explained_variance_ratio_ = pca.explained_variance_ratio_
        self.feature_names_out_ = pd.Index([f"pc_{i + 1}" for i in range(len(pca.components_))])
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return the principal component scores of each row."""
        self._check_fitted(frame)
        scores = (self._standardize(frame) - self.center_) @ self.components_.T
        dtype = np.float32 if (frame.dtypes == np.float32).all() else np.float64
        return pd.DataFrame(scores.astype(dtype), index=frame.index,
                            columns=self.feature_names_out_)  # fmt: skip


class GBMImportance(ColumnSubset):
    """Keep the ``k`` features of largest total gain in a LightGBM regressor of the label.

    ``importance_`` holds each input column's gain; features never split on are dropped (at
    least one is kept). Needs the ``gbm`` extra (``pip install 'alphafactory[gbm]'``).

    Parameters
    ----------
    k : int
        Features to keep at most.
    n_estimators, num_leaves, learning_rate : int, int, float
        The booster's size (small: it ranks features, it does not predict).
    max_rows : int
        Training rows it is fitted on at most (a seeded subsample beyond).
    seed : int
        Seed of the subsample and the booster.
    """

    def __init__(
        self, k: int = 40, n_estimators: int = 100, num_leaves: int = 15,
        learning_rate: float = 0.05, max_rows: int = 50_000, seed: int = 0,
    ) -> None:  # fmt: skip
        self.k = k
        self.n_estimators = n_estimators
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.max_rows = max_rows
        self.seed = seed

    def _validate(self) -> None:
        for name in ("k", "n_estimators", "num_leaves", "max_rows"):
            _check_int(self, name, getattr(self, name))

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> GBMImportance:
        """Fit the booster on the training rows and rank the features by gain."""
        try:
            import lightgbm as lgb
        except ImportError as exc:
            raise ImportError(
                "The 'gbm_importance' selection step needs the optional 'gbm' extra: "
                "pip install 'alphafactory[gbm]' (installs lightgbm)."
            ) from exc
        self._validate()
        self._start_fit(frame, labels)
        X, y = _training_rows(self, frame, labels, self.max_rows, self.seed)
        params = {"objective": "regression", "num_leaves": self.num_leaves,
                  "learning_rate": self.learning_rate, "seed": self.seed, "deterministic": True,
                  "force_row_wise": True, "num_threads": 1, "verbosity": -1}  # fmt: skip
        booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=self.n_estimators)
        self.importance_ = booster.feature_importance(importance_type="gain").astype(np.float64)
        self._keep(_top(self.importance_, self.k))
        return self


class LassoSelect(ColumnSubset):
    """Keep the features with a nonzero coefficient in a lasso of the label on the features.

    Both sides are z-scored on the training rows, so ``alpha`` is on the scale of a
    correlation (a feature whose correlation with the label is under ``alpha`` gets no weight
    when the features are uncorrelated). ``coef_`` holds the coefficients; with
    ``max_features`` only the largest ``|coef|`` are kept; at least one feature is kept.

    Parameters
    ----------
    alpha : float
        L1 penalty (scikit-learn's ``Lasso`` ``alpha``).
    max_features : int, optional
        Features to keep at most.
    max_rows : int
        Training rows it is fitted on at most (a seeded subsample beyond).
    seed : int
        Seed of the subsample.
    """

    def __init__(
        self, alpha: float = 0.005, max_features: int | None = None, max_rows: int = 50_000,
        seed: int = 0,
    ) -> None:  # fmt: skip
        self.alpha = alpha
        self.max_features = max_features
        self.max_rows = max_rows
        self.seed = seed

    def _validate(self) -> None:
        if (
            isinstance(self.alpha, bool)
            or not isinstance(self.alpha, (int, float))
            or not (self.alpha > 0)
        ):
            raise ValueError(f"LassoSelect: alpha must be > 0, got {self.alpha!r}")
        _check_int(self, "max_features", self.max_features, optional=True)
        _check_int(self, "max_rows", self.max_rows)

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> LassoSelect:
        """Fit the lasso on the training rows and keep the nonzero coefficients."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import Lasso

        self._validate()
        self._start_fit(frame, labels)
        X, y = _training_rows(self, frame, labels, self.max_rows, self.seed)
        X = X - X.mean(axis=0)
        std = X.std(axis=0)
        X = X / np.where(std > 0, std, 1.0)
        y_std = y.std()
        y = (y - y.mean()) / (y_std if y_std > 0 else 1.0)
        model = Lasso(alpha=float(self.alpha), max_iter=5000, tol=1e-4, random_state=self.seed)
        with warnings.catch_warnings():  # an unconverged lasso still ranks the features
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.coef_ = np.asarray(model.fit(X, y).coef_, dtype=np.float64)
        strength = np.abs(self.coef_)
        if not (strength > 0).any():  # nothing survives the penalty: keep the best correlate
            strength = np.abs(X.T @ y)
        self._keep(_top(strength, self.max_features))
        return self
