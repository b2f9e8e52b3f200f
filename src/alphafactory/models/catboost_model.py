"""CatBoost on the flattened window (the optional ``gbm`` extra).

``pip install 'alphafactory[gbm]'`` installs catboost; without it ``fit`` raises an ImportError
that names the extra. The module is not called ``catboost`` so that it never shadows the library.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from alphafactory.features.windows import Windows, as_windows
from alphafactory.models.base import AlphaEstimator
from alphafactory.models.baselines import flatten_windows

__all__ = ["CatBoostAlpha", "require_catboost"]


def require_catboost() -> Any:
    """Import and return the ``catboost`` module, or raise an ImportError naming the extra."""
    try:
        return importlib.import_module("catboost")
    except ImportError as exc:
        raise ImportError(
            "The 'catboost' model needs the optional 'gbm' extra: "
            "pip install 'alphafactory[gbm]' (installs catboost)."
        ) from exc


def _finite(windows: Windows, last_steps: int) -> tuple[np.ndarray, np.ndarray]:
    if windows.labels is None:
        raise ValueError("fit needs labels: pass y, or Windows that carry labels.")
    keep = np.flatnonzero(np.isfinite(windows.labels))
    return flatten_windows(windows, keep, last_steps), windows.labels[keep]


class CatBoostAlpha(AlphaEstimator):
    """CatBoost symmetric trees (RMSE) on the flattened last ``last_steps`` bars.

    Arguments carry the names the other tree models use; CatBoost's own names are in brackets.

    Parameters
    ----------
    n_estimators : int
        Boosting rounds (``iterations``).
    learning_rate : float
    max_depth : int
        Depth of each symmetric tree (``depth``).
    l2_leaf_reg : float
        L2 penalty on leaf values.
    subsample : float
        Fraction of the samples each tree sees (Bernoulli bootstrap).
    last_steps : int
        Bars of each window used, the latest last.
    early_stopping_rounds : int
        Rounds without a better validation RMSE before stopping; the best round is kept. Only
        when ``fit`` gets validation data.
    thread_count : int
        Threads of fit and predict (1: single-threaded, deterministic for a seed).
    seed : int
        ``random_seed``.

    Attributes
    ----------
    model_ : catboost.CatBoostRegressor
    n_features_in_ : int
    """

    def __init__(
        self,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        max_depth: int = 6,
        l2_leaf_reg: float = 3.0,
        subsample: float = 0.8,
        last_steps: int = 5,
        early_stopping_rounds: int = 30,
        thread_count: int = 1,
        seed: int = 0,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.l2_leaf_reg = l2_leaf_reg
        self.subsample = subsample
        self.last_steps = last_steps
        self.early_stopping_rounds = early_stopping_rounds
        self.thread_count = thread_count
        self.seed = seed

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> CatBoostAlpha:
        """Fit on windows ``[n, lookback, F]``; validation windows stop early at the best round."""
        catboost = require_catboost()
        windows = as_windows(X, y)
        x, labels = _finite(windows, self.last_steps)
        if len(labels) == 0:
            raise ValueError("fit got no finite labels.")
        val = None
        if X_val is not None:
            xv, yv = _finite(as_windows(X_val, y_val), self.last_steps)
            val = (xv, yv) if len(yv) else None
        model = catboost.CatBoostRegressor(
            iterations=self.n_estimators,
            learning_rate=self.learning_rate,
            depth=self.max_depth,
            l2_leaf_reg=self.l2_leaf_reg,
            bootstrap_type="Bernoulli",
            subsample=self.subsample,
            loss_function="RMSE",
            random_seed=self.seed,
            thread_count=self.thread_count,
            verbose=False,
            allow_writing_files=False,  # no catboost_info/ in the working directory
        )
        if val is None:
            model.fit(x, labels)
        else:
            model.fit(x, labels, eval_set=val, use_best_model=True,
                      early_stopping_rounds=self.early_stopping_rounds)  # fmt: skip
        self.model_ = model
        self.n_features_in_ = windows.n_features
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return float64 scores ``[n]``."""
        self._check_fitted()
        windows = as_windows(X)
        if windows.n_features != self.n_features_in_:
            raise ValueError(f"X has {windows.n_features} features; this {type(self).__name__} "
                             f"was fitted on {self.n_features_in_} features.")  # fmt: skip
        x = flatten_windows(windows, np.arange(len(windows)), self.last_steps)
        pred = self.model_.predict(x, thread_count=self.thread_count)
        return np.asarray(pred, dtype=np.float64)
