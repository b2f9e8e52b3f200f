"""Normalizers with an explicit fit window, so walk-forward can refit them per fold.

Each follows the estimator contract: ``__init__`` stores arguments, ``fit(train)`` learns from
the training slice only and returns ``self`` (state in attributes ending in ``_``),
``transform(frame)`` applies to any slice, and transforming before fitting raises
:class:`NotFittedError`. Frames are long ``(timestamp, symbol)`` (or single-symbol ``timestamp``)
with one column per feature, e.g. from ``build_features``; output has the same index, columns and
float dtype.

* :class:`Standardizer`: ``(x - mean_train) / std_train`` per column.
* :class:`RollingZScore`: per symbol, against the trailing ``window`` rows (causal; the fit
  window is the rolling window; ``fit`` only records the columns).
* :class:`CrossSectionalRank`: per timestamp, rank across symbols in ``[-0.5, 0.5]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.data.wide import long_to_cube
from alphafactory.features.cross_section import cs_rank
from alphafactory.features.rolling import rolling_mean, rolling_std

__all__ = ["CrossSectionalRank", "NotFittedError", "RollingZScore", "Standardizer"]


class NotFittedError(RuntimeError):
    """A normalizer was used before ``fit``."""


class _Normalizer:
    feature_names_in_: pd.Index

    def _check_frame(self, frame: pd.DataFrame) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"Expected a feature DataFrame, got {type(frame).__name__}.")

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

    def fit(self, train: pd.DataFrame) -> _Normalizer:
        """Learn from the training slice ``train``; return ``self``."""
        self._check_frame(train)
        self.feature_names_in_ = pd.Index(train.columns)
        return self

    def fit_transform(self, train: pd.DataFrame) -> pd.DataFrame:
        """``fit(train)`` then ``transform(train)``."""
        return self.fit(train).transform(train)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError


def _out_dtype(frame: pd.DataFrame) -> type:
    return np.float32 if (frame.dtypes == np.float32).all() else np.float64


def _cube_apply(frame: pd.DataFrame, fn) -> pd.DataFrame:
    """Apply ``fn`` to the ``[T, N * F]`` wide view of a long frame and scatter back."""
    _, _, cube, rows, cols = long_to_cube(frame)
    n_time, n_sym, n_feat = cube.shape
    out = fn(cube.reshape(n_time, n_sym * n_feat), n_sym, n_feat).reshape(cube.shape)
    return pd.DataFrame(out[rows, cols].astype(_out_dtype(frame)), index=frame.index,
                        columns=frame.columns)


class Standardizer(_Normalizer):
    """Per-column z-score with mean and std fitted on the training slice.

    Parameters
    ----------
    clip : float, optional
        Clip standardized values to ``[-clip, clip]``.
    """

    def __init__(self, clip: float | None = None) -> None:
        self.clip = clip

    def fit(self, train: pd.DataFrame) -> Standardizer:
        """Learn per-column ``mean_`` and ``scale_`` (std, 1 where 0 or undefined)."""
        super().fit(train)
        values = train.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(values)
        count = finite.sum(axis=0)
        filled = np.where(finite, values, 0.0)
        mean = filled.sum(axis=0) / np.maximum(count, 1)
        dev = np.where(finite, values - mean, 0.0)
        std = np.sqrt((dev * dev).sum(axis=0) / np.maximum(count - 1, 1))
        self.mean_ = np.where(count > 0, mean, 0.0)
        self.scale_ = np.where((count > 1) & (std > 0), std, 1.0)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Apply the fitted standardization."""
        self._check_fitted(frame)
        z = (frame.to_numpy(dtype=np.float64, na_value=np.nan) - self.mean_) / self.scale_
        if self.clip is not None:
            z = np.clip(z, -self.clip, self.clip)
        return pd.DataFrame(z.astype(_out_dtype(frame)), index=frame.index, columns=frame.columns)


class RollingZScore(_Normalizer):
    """Per-symbol z-score against the trailing ``window`` rows (rows ``t-window+1 .. t``).

    NaN until a full window of finite values is available. Vectorized numpy (prefix sums).

    Parameters
    ----------
    window : int
        Bars in the trailing window (>= 2).
    clip : float, optional
        Clip to ``[-clip, clip]``.
    """

    def __init__(self, window: int = 252, clip: float | None = None) -> None:
        self.window = window
        self.clip = clip

    def fit(self, train: pd.DataFrame) -> RollingZScore:
        """Record the columns (nothing else is learned: the window is the fit window)."""
        if int(self.window) != self.window or self.window < 2:
            raise ValueError(f"window must be an integer >= 2, got {self.window!r}.")
        super().fit(train)
        self.window_ = int(self.window)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Z-score each value against its symbol's trailing window."""
        self._check_fitted(frame)

        def z(wide: np.ndarray, n_sym: int, n_feat: int) -> np.ndarray:
            mean, std = rolling_mean(wide, self.window_), rolling_std(wide, self.window_)
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.where(std > 0, (wide - mean) / std, np.nan)
            return out if self.clip is None else np.clip(out, -self.clip, self.clip)

        return _cube_apply(frame, z)


class CrossSectionalRank(_Normalizer):
    """Rank each column across symbols at each timestamp, scaled to ``[-0.5, 0.5]``."""

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rank per timestamp (ties averaged, NaN kept)."""
        self._check_fitted(frame)

        def rank(wide: np.ndarray, n_sym: int, n_feat: int) -> np.ndarray:
            # [T, N * F] -> [T, F, N]: rank each feature's row of symbols
            per_feat = wide.reshape(len(wide), n_sym, n_feat).transpose(0, 2, 1)
            ranked = cs_rank(per_feat.reshape(-1, n_sym)).reshape(per_feat.shape)
            return ranked.transpose(0, 2, 1).reshape(len(wide), n_sym * n_feat)

        return _cube_apply(frame, rank)
