"""Market regimes: a Gaussian HMM on market returns and volatility, read causally.

The market series is the equal-weight cross-sectional mean of the symbols' one-bar log returns
per timestamp, with its trailing ``vol_window``-bar standard deviation (both use bars ``<= t``
only). :class:`RegimeModel` fits a Gaussian HMM (hmmlearn, extra ``strategies``) on the training
slice and reads it with the forward filter only: ``p(s_t | x_1..x_t)``, the alpha recursion
normalized at each step. hmmlearn's ``predict_proba`` runs forward-backward, so its value at
``t`` uses observations after ``t``; it is never used for features. States are ordered by
volatility (state 0 is the calmest) so labels agree across seeds, refits and folds.

:class:`RegimeFeatures` is the per-fold step (``fit(frame, labels)`` on the training rows,
``transform(frame)`` appends ``regime_p0 .. regime_p{k-1}``, the same for every symbol at a
timestamp). :func:`regime_mask` and :func:`mask_scores` turn the probabilities into a filter.
A fitted model is a JSON document (``to_state`` / ``from_state``); reading it needs no hmmlearn.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.data.wide import load_panel, long_to_cube
from alphafactory.errors import DataError, ModelError
from alphafactory.features.cross_section import market_return
from alphafactory.features.hmm_filter import (
    fit_gaussian_hmm,
    forward_filter,
    gaussian_log_likelihood,
)
from alphafactory.features.normalize import NotFittedError
from alphafactory.features.rolling import rolling_std

__all__ = [
    "RegimeModel",
    "market_returns",
    "market_series",
    "mask_scores",
    "regime_filter",
    "regime_mask",
]

OBSERVATIONS: tuple[str, ...] = ("ret", "vol", "log_vol")


# ----------------------------------------------------------------------- market series
def market_returns(data: pd.DataFrame, column: str | None = None) -> pd.Series:
    """Equal-weight mean of the symbols' log returns per timestamp, ``[T]``.

    ``data`` is a Bars frame (``column`` None: one-bar log close returns ``ln(C_t / C_t-1)``,
    NaN across a missing bar) or a long feature frame whose ``column`` holds log returns (e.g.
    ``"ret_1"``). NaN where no symbol has a finite return.
    """
    if column is None:
        panel = load_panel(data)
        close = panel.fields["close"]
        rets = np.full_like(close, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            rets[1:] = np.log(close[1:] / close[:-1])
        timestamps = panel.timestamps
    else:
        if column not in data.columns:
            raise DataError(
                f"regimes: the frame has no return column {column!r} "
                f"(columns {list(data.columns)[:8]}...)."
            )
        timestamps, _, cube, _, _ = long_to_cube(data[column])
        rets = cube[:, :, 0]
    return pd.Series(market_return(rets), index=timestamps, name="ret")


def market_series(bars: pd.DataFrame, vol_window: int = 20) -> pd.DataFrame:
    """Market return ``"ret"`` and its trailing ``vol_window``-bar std ``"vol"`` per timestamp."""
    ret = market_returns(bars)
    return pd.DataFrame(
        {"ret": ret, "vol": rolling_std(ret.to_numpy(), vol_window)}, index=ret.index
    )


def _observations(returns: pd.Series, features: Sequence[str], vol_window: int) -> np.ndarray:
    """``[T, d]`` observations from a market return series (NaN rows where undefined)."""
    if not isinstance(returns, pd.Series) or not isinstance(returns.index, pd.DatetimeIndex):
        raise DataError(
            f"regimes: expected a Series indexed by timestamp; got "
            f"{type(returns).__name__} with index {type(returns.index).__name__}."
        )
    if not returns.index.is_monotonic_increasing or not returns.index.is_unique:
        raise DataError("regimes: the market return index must be sorted and unique.")
    ret = returns.to_numpy(dtype=np.float64, na_value=np.nan)
    vol = rolling_std(ret, vol_window) if {"vol", "log_vol"} & set(features) else None
    with np.errstate(divide="ignore"):
        cols = {"ret": ret, "vol": vol, "log_vol": None if vol is None else np.log(vol)}
    return np.column_stack([cols[f] for f in features])


# ---------------------------------------------------------------------------- the model
class _Params:
    """``get_params`` from ``__init__``'s signature and a readable repr (the estimator contract)."""

    def get_params(self) -> dict[str, Any]:
        """Return the ``__init__`` arguments by name."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _params_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}


class RegimeModel(_Params):
    """Gaussian HMM on market ``features`` with states ordered by volatility, read causally.

    Parameters
    ----------
    n_states : int
        Number of hidden states ``k`` (state 0 the calmest).
    features : tuple of {"ret", "vol", "log_vol"}
        Observation columns: the market return, its trailing std over ``vol_window`` bars, or
        that std's log.
    vol_window : int
        Bars in the volatility window.
    seed : int
        Seeds the restarts' initial values; the same data and seed give the same model.
    n_restarts : int
        EM runs (the first from volatility quantiles, the others from random cuts); the best
        training log-likelihood is kept.
    n_iter, tol : int, float
        EM iterations and convergence tolerance of each run.
    covariance_type : {"full", "diag"}
    """

    def __init__(
        self,
        n_states: int = 2,
        features: Sequence[str] = ("ret", "vol"),
        vol_window: int = 20,
        seed: int = 0,
        n_restarts: int = 3,
        n_iter: int = 100,
        tol: float = 1e-4,
        covariance_type: str = "full",
    ) -> None:
        self.n_states = n_states
        self.features = features
        self.vol_window = vol_window
        self.seed = seed
        self.n_restarts = n_restarts
        self.n_iter = n_iter
        self.tol = tol
        self.covariance_type = covariance_type

    def _validate(self) -> None:
        bad = [f for f in self.features if f not in OBSERVATIONS]
        if bad or not self.features or len(set(self.features)) != len(self.features):
            raise ValueError(
                f"RegimeModel: features must be distinct names from {OBSERVATIONS}; "
                f"got {list(self.features)}."
            )
        for name, low in (("n_states", 2), ("vol_window", 2), ("n_restarts", 1), ("n_iter", 1)):
            value = getattr(self, name)
            if int(value) != value or value < low:
                raise ValueError(f"RegimeModel: {name} must be an integer >= {low}; got {value!r}.")
        if self.covariance_type not in ("full", "diag"):
            raise ValueError(
                f"RegimeModel: covariance_type must be 'full' or 'diag'; got "
                f"{self.covariance_type!r}."
            )

    def _vol_key(self, means: np.ndarray, covars: np.ndarray) -> np.ndarray:
        """Per-state volatility: the mean (log) vol feature, else the return variance."""
        for name in ("vol", "log_vol"):
            if name in self.features:
                return means[:, list(self.features).index(name)]
        return covars[:, list(self.features).index("ret"), list(self.features).index("ret")]

    def fit(self, market_returns: pd.Series) -> RegimeModel:
        """Fit on the complete observation rows of ``market_returns`` (the training slice)."""
        self._validate()
        x = _observations(market_returns, self.features, self.vol_window)
        x = x[np.isfinite(x).all(axis=1)]
        need = 10 * self.n_states * len(self.features)
        if len(x) < need:
            raise DataError(
                f"RegimeModel.fit: needs at least {need} complete observation rows "
                f"(after the {self.vol_window}-bar warm-up); got {len(x)}."
            )
        center, scale = x.mean(axis=0), x.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        z = (x - center) / scale
        vol = [f for f in ("vol", "log_vol") if f in self.features]
        key = z[:, list(self.features).index(vol[0])] if vol else np.abs(z[:, 0])
        best = fit_gaussian_hmm(
            z,
            self.n_states,
            key,
            seed=self.seed,
            n_restarts=self.n_restarts,
            n_iter=self.n_iter,
            tol=self.tol,
            covariance_type=self.covariance_type,
        )
        means = best.means * scale + center
        covars = best.covars * np.outer(scale, scale)
        order = np.argsort(self._vol_key(means, covars), kind="stable")
        self.startprob_ = best.startprob[order]
        self.transmat_ = best.transmat[np.ix_(order, order)]
        self.means_ = means[order]
        self.covars_ = covars[order]
        # the log-likelihood of the data in its own units (z = (x - center) / scale)
        self.log_likelihood_ = best.log_likelihood - len(z) * float(np.log(scale).sum())
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "transmat_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet: call fit(market_returns) first."
            )

    @property
    def columns(self) -> list[str]:
        """Names of the probability columns: ``regime_p0 .. regime_p{k-1}``."""
        return [f"regime_p{j}" for j in range(self.n_states)]

    def filter_proba(self, returns: pd.Series) -> pd.DataFrame:
        """Causal state probabilities per timestamp of ``returns``, ``[T, k]`` (NaN in warm-up)."""
        self._check_fitted()
        x = _observations(returns, self.features, self.vol_window)
        log_lik = gaussian_log_likelihood(x, self.means_, self.covars_)
        proba = forward_filter(log_lik, self.startprob_, self.transmat_)
        return pd.DataFrame(proba, index=returns.index, columns=self.columns)

    def state(self, returns: pd.Series) -> pd.Series:
        """Most probable filtered state per timestamp (nullable ``Int64``, NA in warm-up)."""
        proba = self.filter_proba(returns)
        known = proba.notna().all(axis=1).to_numpy()
        states = pd.array(
            np.argmax(np.nan_to_num(proba.to_numpy(), nan=-1.0), axis=1), dtype="Int64"
        )
        states[~known] = pd.NA
        return pd.Series(states, index=proba.index, name="regime")

    def to_state(self) -> dict[str, Any]:
        """The fitted model as a JSON-serializable dict (floats round-trip exactly)."""
        self._check_fitted()
        return {
            "kind": "regime_model",
            "params": self._params_json(),
            "startprob": self.startprob_.tolist(),
            "transmat": self.transmat_.tolist(),
            "means": self.means_.tolist(),
            "covars": self.covars_.tolist(),
            "log_likelihood": self.log_likelihood_,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RegimeModel:
        """Rebuild a fitted model from :meth:`to_state`'s dict."""
        keys = ("params", "startprob", "transmat", "means", "covars", "log_likelihood")
        if (
            not isinstance(state, dict)
            or state.get("kind") != "regime_model"
            or any(k not in state for k in keys)
        ):
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise ModelError(f"RegimeModel.from_state: expected a 'regime_model' document "
                             f"with keys {list(keys)}; got {got}.")  # fmt: skip
        return cls.from_parameters(
            **{k: state[k] for k in keys if k != "params"}, **state["params"]
        )

    @classmethod
    def from_parameters(
        cls,
        *,
        startprob: Any,
        transmat: Any,
        means: Any,
        covars: Any,
        log_likelihood: float = float("nan"),
        **params: Any,
    ) -> RegimeModel:
        """A fitted model from known HMM parameters (``params``: the ``__init__`` arguments).

        ``means [k, d]`` and ``covars [k, d, d]`` are in the units of the observations (states
        taken in the order given).
        """
        if "features" in params:
            params["features"] = tuple(params["features"])
        model = cls(**params)
        model._validate()
        model.startprob_ = np.asarray(startprob, dtype=np.float64)
        model.transmat_ = np.asarray(transmat, dtype=np.float64)
        model.means_ = np.asarray(means, dtype=np.float64)
        model.covars_ = np.asarray(covars, dtype=np.float64)
        model.log_likelihood_ = float(log_likelihood)
        k, d = model.n_states, len(model.features)
        shapes = (model.startprob_.shape, model.transmat_.shape, model.means_.shape,
                  model.covars_.shape)  # fmt: skip
        if shapes != ((k,), (k, k), (k, d), (k, d, d)):
            raise ModelError(f"RegimeModel: parameter shapes {list(shapes)} do not match "
                             f"n_states={k} and {d} features.")  # fmt: skip
        return model


# ------------------------------------------------------------------- as a filter
def regime_mask(
    proba: pd.DataFrame, allowed_states: Sequence[int], min_prob: float = 0.5
) -> pd.Series:
    """True at timestamps whose probability of being in ``allowed_states`` is ``>= min_prob``.

    ``proba`` is :meth:`RegimeModel.filter_proba`'s frame (column ``j`` is state ``j``); rows
    still in the warm-up (NaN) are False.
    """
    states = list(allowed_states)
    if not states or any(int(s) != s or not 0 <= s < proba.shape[1] for s in states):
        raise ValueError(
            f"regime_mask: allowed_states must be state numbers in "
            f"[0, {proba.shape[1] - 1}]; got {states}."
        )
    if not 0.0 < min_prob <= 1.0:
        raise ValueError(f"regime_mask: min_prob must be in (0, 1]; got {min_prob!r}.")
    mass = proba.iloc[:, states].to_numpy(dtype=np.float64).sum(axis=1)
    with np.errstate(invalid="ignore"):
        return pd.Series(mass >= min_prob, index=proba.index, name="in_regime")


def mask_scores(scores: pd.Series | pd.DataFrame, mask: pd.Series) -> pd.Series | pd.DataFrame:
    """Zero ``scores`` (indexed by timestamp or ``(timestamp, symbol)``) where ``mask`` is False.

    Timestamps absent from ``mask`` count as outside the chosen regimes.
    """
    times = (
        scores.index.get_level_values(0)
        if isinstance(scores.index, pd.MultiIndex)
        else scores.index
    )
    keep = mask.reindex(times, fill_value=False).to_numpy(dtype=bool)
    if isinstance(scores, pd.DataFrame):
        keep = keep[:, None]
    return scores.where(keep, 0.0)


def regime_filter(
    model: RegimeModel, allowed_states: Sequence[int], min_prob: float = 0.5
) -> Callable[[pd.DataFrame], pd.Series]:
    """A strategy mask: ``mask(bars)`` is 1.0 on the rows of timestamps in ``allowed_states``.

    The fitted ``model`` filters the market series of the bars it is given (from their first
    bar on), so the mask is causal; fit ``model`` on bars before the period it filters.
    """
    model._check_fitted()
    states = list(allowed_states)
    if not states or any(int(s) != s or not 0 <= s < model.n_states for s in states):
        raise ValueError(f"regime_filter: allowed_states must be state numbers in "
                         f"[0, {model.n_states - 1}]; got {states}.")  # fmt: skip

    def mask(bars: pd.DataFrame) -> pd.Series:
        keep = regime_mask(model.filter_proba(market_returns(bars)), states, min_prob)
        index = bars.index
        times = index.get_level_values(0) if isinstance(index, pd.MultiIndex) else index
        return pd.Series(keep.reindex(times).to_numpy(dtype=np.float64), index=index,
                         name="regime_mask")  # fmt: skip

    mask.__name__ = "regime_mask_" + "_".join(str(s) for s in states)
    return mask
