"""``RegimeFeatures``: the market regime probabilities as a fold step.

A fold step (fitted per fold on the training rows, like the feature selection steps): ``fit``
builds the market series from a one-bar log return column of the training frame (default
``"ret_1"``) and fits a :class:`~alphafactory.features.regimes.RegimeModel` on it; ``transform``
appends ``regime_p0 .. regime_p{k-1}``, the causal (forward-filtered) probabilities, the same
for every symbol at a timestamp. Learned state is plain arrays (JSON through ``to_state``).

The filter at ``t`` depends on the whole history before it, fading at the rate the transition
matrix sets: transform the history, not only the rows to score. ``window`` (``vol_window +
burn_in``) is the history after which a filter started anew agrees with the full one to within
rounding in practice; scoring transforms that many rows.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import DataError, ModelError
from alphafactory.features.normalize import NotFittedError
from alphafactory.features.regimes import RegimeModel, market_returns

__all__ = ["RegimeFeatures"]

_LEARNED = ("startprob_", "transmat_", "means_", "covars_")


class RegimeFeatures:
    """Fold step appending the causal regime probabilities ``regime_p0 .. regime_p{k-1}``.

    Parameters
    ----------
    n_states, features, vol_window, seed, n_restarts, n_iter, covariance_type
        Those of :class:`~alphafactory.features.regimes.RegimeModel`.
    return_column : str
        Column of one-bar log returns the market series is built from.
    burn_in : int
        Bars after the volatility warm-up for a restarted filter to forget its start; with
        ``vol_window`` it makes ``window``.
    """

    def __init__(
        self,
        n_states: int = 2,
        return_column: str = "ret_1",
        features: Sequence[str] = ("ret", "vol"),
        vol_window: int = 20,
        burn_in: int = 250,
        seed: int = 0,
        n_restarts: int = 3,
        n_iter: int = 100,
        covariance_type: str = "full",
    ) -> None:
        self.n_states = n_states
        self.return_column = return_column
        self.features = features
        self.vol_window = vol_window
        self.burn_in = burn_in
        self.seed = seed
        self.n_restarts = n_restarts
        self.n_iter = n_iter
        self.covariance_type = covariance_type

    @property
    def window(self) -> int:
        """Rows of history a timestamp's probabilities need: ``vol_window + burn_in``."""
        return int(self.vol_window) + int(self.burn_in)

    def get_params(self) -> dict[str, Any]:
        """Return the ``__init__`` arguments by name."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _model_params(self) -> dict[str, Any]:
        params = self.get_params()
        del params["return_column"], params["burn_in"]
        return {**params, "features": tuple(params["features"])}

    def _validate(self) -> None:
        RegimeModel(**self._model_params())._validate()
        if int(self.burn_in) != self.burn_in or self.burn_in < 0:
            raise ValueError(f"burn_in must be an integer >= 0; got {self.burn_in!r}.")
        if not isinstance(self.return_column, str) or not self.return_column:
            raise ValueError(f"return_column must be a column name; got {self.return_column!r}.")

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> RegimeFeatures:
        """Fit the regime model on the market series of the training rows; ``labels`` unused."""
        self._validate()
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"Expected a feature DataFrame, got {type(frame).__name__}.")
        if labels is not None and len(labels) != len(frame):
            raise ValueError(f"RegimeFeatures.fit: labels have {len(labels)} rows, the frame "
                             f"{len(frame)}; they must be aligned row by row.")  # fmt: skip
        model = RegimeModel(**self._model_params()).fit(market_returns(frame, self.return_column))
        clash = [c for c in model.columns if c in frame.columns]
        if clash:
            raise DataError(f"RegimeFeatures: the frame already has columns {clash}.")
        self.feature_names_in_ = pd.Index(frame.columns)
        self.feature_names_out_ = pd.Index([*frame.columns, *model.columns])
        for name in _LEARNED:
            setattr(self, name, getattr(model, name))
        self.log_likelihood_ = model.log_likelihood_
        return self

    def model(self) -> RegimeModel:
        """The fitted :class:`RegimeModel` (built from this step's learned arrays)."""
        if not hasattr(self, "transmat_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet: call "
                                 "fit(frame) first.")  # fmt: skip
        return RegimeModel.from_parameters(
            **{name.rstrip("_"): getattr(self, name) for name in _LEARNED},
            log_likelihood=self.log_likelihood_, **self._model_params(),
        )  # fmt: skip

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the regime probability columns appended (NaN in the warm-up)."""
        model = self.model()
        if not isinstance(frame, pd.DataFrame) or not frame.columns.equals(self.feature_names_in_):
            got = list(frame.columns)[:5] if isinstance(frame, pd.DataFrame) else type(frame)
            raise ValueError(f"RegimeFeatures was fitted on columns "
                             f"{list(self.feature_names_in_)[:5]}...; got {got}...")  # fmt: skip
        market = market_returns(frame, self.return_column)
        proba = model.filter_proba(market).to_numpy()
        index = frame.index
        times = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
        rows = proba[market.index.get_indexer(times)]
        float32 = len(frame.columns) > 0 and bool((frame.dtypes == np.float32).all())
        columns = pd.Index(model.columns, name=frame.columns.name)
        appended = pd.DataFrame(rows.astype(np.float32 if float32 else np.float64),
                                index=index, columns=columns)  # fmt: skip
        return pd.concat([frame, appended], axis=1)

    def fit_transform(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> pd.DataFrame:
        """``fit(frame, labels)`` then ``transform(frame)``."""
        return self.fit(frame, labels).transform(frame)

    def to_state(self) -> dict[str, Any]:
        """The fitted step as a JSON-serializable dict."""
        model = self.model()
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}
        return {"kind": "regime_features", "params": params,
                "feature_names_in": [str(c) for c in self.feature_names_in_],
                "model": model.to_state()}  # fmt: skip

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RegimeFeatures:
        """Rebuild a fitted step from :meth:`to_state`'s dict."""
        if (
            not isinstance(state, dict)
            or state.get("kind") != "regime_features"
            or any(k not in state for k in ("params", "feature_names_in", "model"))
        ):
            raise ModelError(
                "RegimeFeatures.from_state: expected a 'regime_features' document with params, "
                f"feature_names_in and model; got {str(state)[:60]}"
            )
        step = cls(**{**state["params"], "features": tuple(state["params"]["features"])})
        model = RegimeModel.from_state(state["model"])
        step.feature_names_in_ = pd.Index(state["feature_names_in"])
        step.feature_names_out_ = pd.Index([*step.feature_names_in_, *model.columns])
        for name in _LEARNED:
            setattr(step, name, getattr(model, name))
        step.log_likelihood_ = model.log_likelihood_
        return step
