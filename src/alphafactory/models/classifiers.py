"""Classifiers of the label's class (down -1 / flat 0 / up 1) with calibrated probabilities.

Each fits on the flattened last ``last_steps`` bars of every window (like the tree
regressors), then calibrates its probabilities on the validation windows only (``X_val``, the
slice walk-forward early-stops on; never the training or test rows): ``calibration`` is
``"sigmoid"`` (Platt, default), ``"isotonic"`` or ``"none"`` (see
:mod:`alphafactory.models.calibration`). Without validation windows nothing is calibrated.

Labels must be classes among -1, 0 and 1 (NaN rows are skipped): ``direction`` and
``triple_barrier`` labels, or 0/1 meta-labels. ``predict_proba`` gives ``[n, K]`` in the order
of ``classes_``; ``predict`` gives the trading score ``P(up) - P(down)`` (a missing class counts
0, so it is ``P(1)`` for 0/1 labels), which IC, signals, backtests and ensembles use unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from alphafactory.features.windows import Windows, as_windows
from alphafactory.models.base import AlphaEstimator
from alphafactory.models.baselines import flatten_windows
from alphafactory.models.calibration import CALIBRATIONS, apply_calibration, fit_calibration
from alphafactory.models.gbm import _require, train_lightgbm

__all__ = [
    "CLASSIFIER_KINDS",
    "CatBoostClassifierAlpha",
    "LightGBMClassifierAlpha",
    "LogisticAlpha",
    "XGBoostClassifierAlpha",
    "load_classifier",
    "probability_columns",
    "save_classifier",
    "stack_probabilities",
]

CLASS_NAMES = {-1.0: "down", 0.0: "flat", 1.0: "up"}


class _Classifier(AlphaEstimator):
    """Shared fit/predict: class encoding, validation calibration, the trading score."""

    def _fit_model(self, x: np.ndarray, y: np.ndarray, val: tuple | None) -> Any:
        raise NotImplementedError

    def _model_proba(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> Any:
        """Fit on windows with class labels; calibrate on the validation windows (if any)."""
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {list(CALIBRATIONS)}, got "
                             f"{self.calibration!r}.")  # fmt: skip
        x, labels = self._samples(as_windows(X, y), "fit")
        classes = np.unique(labels)
        if len(classes) < 2:
            raise ValueError(f"fit needs at least 2 classes in the labels; got {classes.tolist()}.")
        val = None
        if X_val is not None:
            xv, yv = self._samples(as_windows(X_val, y_val), "X_val")
            known = np.isin(yv, classes)
            val = (xv[known], np.searchsorted(classes, yv[known])) if known.any() else None
        self.classes_ = classes
        self.model_ = self._fit_model(x, np.searchsorted(classes, labels), val)
        self.n_features_in_ = as_windows(X, y).n_features
        self.calibrator_ = None
        if val is not None and self.calibration != "none":
            self.calibrator_ = fit_calibration(self.calibration, self._raw(val[0]), val[1])
        return self

    def _samples(self, windows: Windows, what: str) -> tuple[np.ndarray, np.ndarray]:
        if windows.labels is None:
            raise ValueError(f"{what} needs labels: pass y, or Windows that carry labels.")
        keep = np.flatnonzero(np.isfinite(windows.labels))
        labels = windows.labels[keep].astype(np.float64)
        odd = np.setdiff1d(labels, [-1.0, 0.0, 1.0])
        if len(odd):
            raise ValueError(
                f"{type(self).__name__} needs class labels -1, 0 or 1 (a direction or "
                f"triple-barrier target); {what} has {odd[:5].tolist()}."
            )
        return flatten_windows(windows, keep, self.last_steps).astype(np.float64), labels

    def _raw(self, x: np.ndarray) -> np.ndarray:
        proba = np.asarray(self._model_proba(x), dtype=np.float64)
        if proba.ndim == 1:
            proba = np.column_stack([1 - proba, proba])
        return proba / proba.sum(axis=1, keepdims=True)  # float32 boosters: sums off by 1e-7

    def predict_proba(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return calibrated class probabilities ``[n, len(classes_)]`` (rows sum to 1)."""
        self._check_fitted()
        windows = as_windows(X)
        if windows.n_features != self.n_features_in_:
            raise ValueError(f"The model was fitted on {self.n_features_in_} features; X has "
                             f"{windows.n_features}.")  # fmt: skip
        x = flatten_windows(windows, np.arange(len(windows)), self.last_steps)
        proba = self._raw(x.astype(np.float64))
        return proba if self.calibrator_ is None else apply_calibration(self.calibrator_, proba)

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return the trading score ``P(up) - P(down)`` ``[n]`` (float64)."""
        proba = self.predict_proba(X)
        return proba @ np.sign(self.classes_)


class LogisticAlpha(_Classifier):
    """Multinomial logistic regression (scikit-learn, lbfgs) on the flattened window.

    Parameters
    ----------
    C : float
        Inverse L2 penalty (features are expected to be standardized).
    last_steps : int or None
        Use only the last ``last_steps`` bars of each window (None: all of it).
    calibration : {"sigmoid", "isotonic", "none"}
        How the validation windows calibrate the probabilities (module docstring).
    max_iter : int
        Solver iterations.
    """

    def __init__(self, C: float = 1.0, last_steps: int | None = 5,
                 calibration: str = "sigmoid", max_iter: int = 500):  # fmt: skip
        self.C = C
        self.last_steps = last_steps
        self.calibration = calibration
        self.max_iter = max_iter

    def _fit_model(self, x: np.ndarray, y: np.ndarray, val: tuple | None) -> Any:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, max_iter=self.max_iter).fit(x, y)

    def _model_proba(self, x: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(x)


class _TreeClassifier(_Classifier):
    def __init__(
        self,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        max_depth: int = 4,
        subsample: float = 0.8,
        last_steps: int = 5,
        early_stopping_rounds: int = 30,
        calibration: str = "sigmoid",
        seed: int = 0,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.subsample = subsample
        self.last_steps = last_steps
        self.early_stopping_rounds = early_stopping_rounds
        self.calibration = calibration
        self.seed = seed

    def _n_classes(self) -> int:
        return len(self.classes_)


class LightGBMClassifierAlpha(_TreeClassifier):
    """LightGBM classification trees (binary or multiclass log loss), 1 thread, early stopping
    on the validation windows, then calibration on them (the ``gbm`` extra)."""

    def _fit_model(self, x: np.ndarray, y: np.ndarray, val: tuple | None) -> Any:
        k = self._n_classes()
        objective = {"objective": "binary"} if k == 2 else {"objective": "multiclass",
                                                             "num_class": k}  # fmt: skip
        return train_lightgbm(self, objective, x, y, val)

    def _model_proba(self, x: np.ndarray) -> np.ndarray:
        return self.model_.predict(x, num_iteration=self.model_.best_iteration or None)


class XGBoostClassifierAlpha(_TreeClassifier):
    """XGBoost classification trees (hist; logistic or softprob), 1 thread, early stopping on
    the validation windows, then calibration on them (the ``gbm`` extra)."""

    def _fit_model(self, x: np.ndarray, y: np.ndarray, val: tuple | None) -> Any:
        xgb = _require("xgboost")
        k = self._n_classes()
        params = {
            **({"objective": "binary:logistic"} if k == 2
               else {"objective": "multi:softprob", "num_class": k}),
            "eta": self.learning_rate, "max_depth": self.max_depth, "subsample": self.subsample,
            "tree_method": "hist", "seed": self.seed, "nthread": 1,
        }  # fmt: skip
        train = xgb.DMatrix(x, label=y)
        evals = [] if val is None else [(xgb.DMatrix(val[0], label=val[1]), "val")]
        return xgb.train(
            params,
            train,
            self.n_estimators,
            evals=evals,
            verbose_eval=False,
            early_stopping_rounds=self.early_stopping_rounds if evals else None,
        )

    def _model_proba(self, x: np.ndarray) -> np.ndarray:
        xgb = _require("xgboost")
        best = getattr(self.model_, "best_iteration", None)
        kwargs = {"iteration_range": (0, best + 1)} if best is not None else {}
        return self.model_.predict(xgb.DMatrix(x), **kwargs)


class CatBoostClassifierAlpha(_TreeClassifier):
    """CatBoost symmetric trees (Logloss or MultiClass), 1 thread, early stopping at the best
    validation round, then calibration on the validation windows (the ``gbm`` extra)."""

    def _fit_model(self, x: np.ndarray, y: np.ndarray, val: tuple | None) -> Any:
        catboost = _require("catboost")
        model = catboost.CatBoostClassifier(
            iterations=self.n_estimators, learning_rate=self.learning_rate,
            depth=self.max_depth, bootstrap_type="Bernoulli", subsample=self.subsample,
            loss_function="Logloss" if self._n_classes() == 2 else "MultiClass",
            random_seed=self.seed, thread_count=1, verbose=False, allow_writing_files=False,
        )  # fmt: skip
        if val is None:
            return model.fit(x, y)
        return model.fit(x, y, eval_set=val, use_best_model=True,
                         early_stopping_rounds=self.early_stopping_rounds)  # fmt: skip

    def _model_proba(self, x: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(x, thread_count=1)


CLASSIFIER_KINDS: dict[str, type[_Classifier]] = {
    "logistic": LogisticAlpha,
    "lightgbm_classifier": LightGBMClassifierAlpha,
    "xgboost_classifier": XGBoostClassifierAlpha,
    "catboost_classifier": CatBoostClassifierAlpha,
}


# ------------------------------------------------------------------------ probabilities out
def probability_columns(estimator: Any, windows: Windows) -> dict[str, np.ndarray]:
    """``{"p_down": ..., "p_flat": ..., "p_up": ...}`` of a classifier (the classes it has);
    empty for an estimator without ``predict_proba`` or no windows."""
    classes = getattr(estimator, "classes_", None)
    if not hasattr(estimator, "predict_proba") or not len(windows) or classes is None:
        return {}
    if not set(np.asarray(classes, dtype=np.float64).tolist()) <= set(CLASS_NAMES):
        return {}
    proba = estimator.predict_proba(windows)
    return {f"p_{CLASS_NAMES[float(c)]}": proba[:, j] for j, c in enumerate(estimator.classes_)}


def stack_probabilities(parts: list[dict[str, np.ndarray]], sizes: list[int]) -> dict[str, Any]:
    """Concatenate per-fold :func:`probability_columns` (a class a fold lacks has 0)."""
    names = [f"p_{n}" for n in CLASS_NAMES.values() if any(f"p_{n}" in p for p in parts)]
    return {name: np.concatenate([p.get(name, np.zeros(s)) for p, s in zip(parts, sizes,
                                                                        strict=True)])
            for name in names}  # fmt: skip


# --------------------------------------------------------------------------- serialization
def save_classifier(est: _Classifier, directory: Path) -> dict[str, Any]:
    """Write the fitted model's native file; return the JSON state (``estimator.json``)."""
    doc: dict[str, Any] = {"params": est.get_params(), "classes": est.classes_.tolist(),
                           "n_features_in": int(est.n_features_in_),
                           "calibrator": est.calibrator_}  # fmt: skip
    if isinstance(est, LogisticAlpha):
        doc["coef"] = est.model_.coef_.tolist()
        doc["intercept"] = est.model_.intercept_.tolist()
    elif isinstance(est, LightGBMClassifierAlpha):
        est.model_.save_model(str(directory / "model.txt"), num_iteration=-1)
        doc["best_iteration"] = int(est.model_.best_iteration or 0)
    elif isinstance(est, CatBoostClassifierAlpha):
        est.model_.save_model(str(directory / "model.cbm"), format="cbm")
    else:
        est.model_.save_model(str(directory / "model.ubj"))
    return doc


def load_classifier(kind: str, doc: dict[str, Any], directory: Path) -> _Classifier:
    """Rebuild the classifier :func:`save_classifier` wrote (kind from ``estimator.json``)."""
    est = CLASSIFIER_KINDS[kind](**doc["params"])
    est.classes_ = np.asarray(doc["classes"], dtype=np.float64)
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=est.C, max_iter=est.max_iter)
        model.coef_ = np.asarray(doc["coef"], dtype=np.float64)
        model.intercept_ = np.asarray(doc["intercept"], dtype=np.float64)
        model.classes_ = np.arange(len(est.classes_))
        model.n_features_in_ = model.coef_.shape[1]
        est.model_ = model
    elif kind == "lightgbm_classifier":
        lgb = _require("lightgbm")
        est.model_ = lgb.Booster(model_file=str(_file(directory / "model.txt")))
        est.model_.best_iteration = int(doc["best_iteration"])
    elif kind == "catboost_classifier":
        est.model_ = _require("catboost").CatBoostClassifier()
        est.model_.load_model(str(_file(directory / "model.cbm")), format="cbm")
    else:
        xgb = _require("xgboost")
        est.model_ = xgb.Booster(params={"nthread": 1})
        est.model_.load_model(str(_file(directory / "model.ubj")))
    est.n_features_in_ = int(doc["n_features_in"])
    est.calibrator_ = doc["calibrator"]
    return est


def _file(path: Path) -> Path:
    from alphafactory.errors import ModelError

    if not path.is_file():
        raise ModelError(f"{path}: missing file; the model artifact is incomplete.")
    return path
