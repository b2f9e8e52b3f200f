"""Fold steps: feature transforms fitted per fold on the training rows, chained in a pipeline.

A fold step follows the estimator contract on feature frames (long, indexed
``(timestamp, symbol)``, one column per feature):

* ``__init__`` only stores its arguments (:func:`step_params` reads them back, :func:`clone_step`
  copies them into an unfitted step);
* ``fit(frame, labels=None)`` learns from the training rows and returns ``self``; ``labels`` is
  a Series aligned to ``frame``'s rows, NaN where the label is unknown (steps that do not use
  labels ignore it; the normalizers of :mod:`alphafactory.features.normalize` take no labels at
  all and :func:`fit_step` calls them without);
* learned state lives in attributes ending in ``_`` (``feature_names_in_`` always), plain
  numbers, strings, numpy arrays and ``pandas.Index`` only, so :func:`step_state` writes it as
  JSON and :func:`restore_step` reads it back exactly (no pickles);
* ``transform(frame)`` keeps the rows (same index, same order) and may change the columns;
  before ``fit`` it raises :class:`NotFittedError`.

A step whose output at a timestamp depends on earlier rows declares the rows it needs as an
integer ``window`` attribute (as :class:`~alphafactory.features.RollingZScore` does), so
scoring knows how much history to transform; the pipeline's ``window`` is its steps' largest.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.features.normalize import NotFittedError

__all__ = [
    "FeaturePipeline",
    "FoldStep",
    "NotFittedError",
    "clone_step",
    "fit_step",
    "restore_step",
    "step_params",
    "step_state",
]


def step_params(step: Any) -> dict[str, Any]:
    """Return the ``__init__`` arguments of ``step`` by name (its configuration)."""
    signature = inspect.signature(type(step).__init__)
    return {
        p.name: getattr(step, p.name)
        for p in signature.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def clone_step(step: Any) -> Any:
    """Return an unfitted step of the same type with the same arguments."""
    if isinstance(step, FeaturePipeline):
        return FeaturePipeline([clone_step(s) for s in step.steps])
    return type(step)(**step_params(step))


def takes_labels(step: Any) -> bool:
    """Whether ``step.fit`` accepts labels (a second argument)."""
    params = list(inspect.signature(step.fit).parameters.values())
    return len(params) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)


def fit_step(step: Any, frame: pd.DataFrame, labels: pd.Series | None = None) -> Any:
    """Fit ``step`` on ``frame`` (with ``labels`` when its ``fit`` takes them); return it."""
    if takes_labels(step):
        return step.fit(frame, labels)
    return step.fit(frame)


class FoldStep:
    """Base of the fold steps: column checks, the fitted check, params and a readable repr."""

    feature_names_in_: pd.Index

    def get_params(self) -> dict[str, Any]:
        """Return the ``__init__`` arguments by name."""
        return step_params(self)

    def _check_frame(self, frame: pd.DataFrame) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"Expected a feature DataFrame, got {type(frame).__name__}.")

    def _start_fit(self, frame: pd.DataFrame, labels: pd.Series | None) -> None:
        """Check the inputs of ``fit`` and record the input columns."""
        self._check_frame(frame)
        if labels is not None and len(labels) != len(frame):
            raise ValueError(
                f"{type(self).__name__}.fit: labels have {len(labels)} rows, the frame "
                f"{len(frame)}; they must be aligned row by row."
            )
        self.feature_names_in_ = pd.Index(frame.columns)

    def _check_fitted(self, frame: pd.DataFrame) -> None:
        if not hasattr(self, "feature_names_in_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call fit(train) first."
            )
        self._check_frame(frame)
        if not frame.columns.equals(self.feature_names_in_):
            missing = list(self.feature_names_in_.difference(frame.columns))
            extra = list(frame.columns.difference(self.feature_names_in_))
            raise ValueError(
                f"{type(self).__name__} was fitted on {len(self.feature_names_in_)} columns; "
                f"this frame differs (missing {missing[:5]}, unexpected {extra[:5]})."
            )

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> FoldStep:
        """Learn from the training rows ``frame`` (and ``labels``); return ``self``."""
        self._start_fit(frame, labels)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit_transform(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> pd.DataFrame:
        """``fit(frame, labels)`` then ``transform(frame)``."""
        return self.fit(frame, labels).transform(frame)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


class ColumnSubset(FoldStep):
    """A step that keeps some input columns: ``support_`` marks them (input order kept)."""

    support_: np.ndarray

    def _keep(self, support: np.ndarray) -> None:
        self.support_ = np.asarray(support, dtype=bool)
        self.feature_names_out_ = pd.Index(self.feature_names_in_[self.support_])

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return the kept columns of ``frame``."""
        self._check_fitted(frame)
        return frame.loc[:, self.feature_names_out_]


class FeaturePipeline(FoldStep):
    """Steps applied in order; each is fitted on the previous one's output of the training rows.

    Parameters
    ----------
    steps : sequence
        Fold steps (or normalizers) in order; they stay unfitted: ``fit`` fits clones, kept in
        ``steps_``.
    """

    def __init__(self, steps: Sequence[Any]) -> None:
        self.steps = steps

    @property
    def window(self) -> int | None:
        """The rows of history the steps need at a timestamp (largest ``window``), or None."""
        windows = [getattr(s, "window", None) for s in self.steps]
        known = [int(w) for w in windows if isinstance(w, int) and not isinstance(w, bool)]
        return max(known) if known else None

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> FeaturePipeline:
        """Fit each step on the training rows as transformed by the steps before it."""
        if not self.steps:
            raise ValueError("FeaturePipeline needs at least one step.")
        self._start_fit(frame, labels)
        fitted = []
        for step in self.steps:
            step = fit_step(clone_step(step), frame, labels)
            frame = step.transform(frame)
            fitted.append(step)
        self.steps_ = fitted
        self.feature_names_out_ = pd.Index(frame.columns)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Apply the fitted steps in order."""
        self._check_fitted(frame)
        for step in self.steps_:
            frame = step.transform(frame)
        return frame


# ------------------------------------------------------------------------------------ state
def _encode(value: Any) -> Any:
    if isinstance(value, pd.Index):
        return {"index": [_plain(v) for v in value]}
    if isinstance(value, np.ndarray):
        return {"array": value.ravel().tolist(), "dtype": value.dtype.str,
                "shape": list(value.shape)}  # fmt: skip
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"dict": {str(k): _encode(v) for k, v in value.items()}}
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} as step state")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "index" in value:
            return pd.Index(value["index"])
        if "array" in value:
            array = np.asarray(value["array"], dtype=np.dtype(value["dtype"]))
            return array.reshape(value["shape"])
        return {k: _decode(v) for k, v in value["dict"].items()}
    return value


def step_state(step: FoldStep) -> dict[str, Any]:
    """Return the JSON-storable learned state of a fitted step (its ``_`` attributes)."""
    if not hasattr(step, "feature_names_in_"):
        raise NotFittedError(f"This {type(step).__name__} is not fitted yet.")
    names = sorted(
        k for k in dir(step)
        if k.endswith("_") and not k.startswith("_") and not callable(getattr(step, k))
    )  # fmt: skip
    return {k: _encode(getattr(step, k)) for k in names}


def restore_step(cls: type, params: dict[str, Any], state: dict[str, Any]) -> Any:
    """Rebuild the fitted step of :func:`step_state` from its class, arguments and state."""
    step = cls(**params)
    for key, value in state.items():
        if not key.endswith("_"):
            raise ValueError(f"state key {key!r} is not learned state (no trailing '_')")
        setattr(step, key, _decode(value))
    return step
