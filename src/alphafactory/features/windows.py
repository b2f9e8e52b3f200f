"""Lookback windows ``[n, lookback, features]`` for every model, gathered on demand.

One small interface, :class:`Windows` (``len``, ``gather(idx)``, ``labels``, ``groups``,
``symbols``, ``lookback``, ``n_features``), read by the estimators and the training loop, and two
implementations:

- :class:`ArrayWindows` wraps windows already materialised as one float32 array.
- :class:`PanelWindows` keeps one float32 cube ``[symbols, time, features]`` and a sample index
  ``(symbol, time)``; a batch is gathered with one fancy index into a strided view of the cube, so
  memory stays near the cube's size whatever the lookback, and subsets (walk-forward folds) share
  the cube instead of copying it. It is also a map-style torch ``Dataset``.

:func:`make_windows` (in :mod:`alphafactory.features.window_frames`) builds a
:class:`PanelWindows` from a feature frame. ``groups`` is each sample's time position (the
cross-sectional losses and ranker group by it); ``symbols`` is its symbol position.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from alphafactory.data.panel import INDEX_NAMES

__all__ = ["ArrayWindows", "PanelWindows", "WindowDataset", "Windows", "as_windows"]

NanPolicy = Literal["drop", "zero"]
WindowNorm = Literal["none", "zscore"]


@runtime_checkable
class Windows(Protocol):
    """What estimators and the Trainer need from a sample set."""

    labels: np.ndarray | None
    groups: np.ndarray | None
    symbols: np.ndarray | None

    def __len__(self) -> int: ...

    @property
    def lookback(self) -> int: ...

    @property
    def n_features(self) -> int: ...

    def gather(self, idx: np.ndarray) -> np.ndarray:
        """Return float32 windows ``[len(idx), lookback, features]``."""
        ...


class ArrayWindows:
    """Windows held as one array.

    Parameters
    ----------
    X : ndarray
        ``[n, lookback, features]`` (converted to contiguous float32).
    y : ndarray, optional
        Labels ``[n]``.
    groups : ndarray, optional
        Integer timestamp id per sample ``[n]``.
    symbols : ndarray, optional
        Integer symbol id per sample ``[n]``.
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray | None = None,
        groups: np.ndarray | None = None,
        symbols: np.ndarray | None = None,
    ) -> None:
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 3:
            raise ValueError(f"Windows must be [n, lookback, features]; got shape {X.shape}.")
        self.X = X
        self.labels = _optional_vector(y, len(X), "y", np.float64)
        self.groups = _optional_vector(groups, len(X), "groups", np.int64)
        self.symbols = _optional_vector(symbols, len(X), "symbols", np.int64)

    def __len__(self) -> int:
        return len(self.X)

    @property
    def lookback(self) -> int:
        return self.X.shape[1]

    @property
    def n_features(self) -> int:
        return self.X.shape[2]

    def gather(self, idx: np.ndarray) -> np.ndarray:
        return self.X[idx]


class PanelWindows(Dataset):
    """Windows gathered from a cube ``[symbols, time, features]`` at samples ``(symbol, time)``.

    Sample ``i`` is symbol ``sample_symbol[i]`` at time position ``sample_time[i]``; its window is
    rows ``t - lookback + 1 .. t`` of that symbol.

    Parameters
    ----------
    cube : ndarray
        Float32 ``[N, T, F]``. With ``nan_policy="drop"`` the gather does not check for NaN (the
        caller picked complete windows); ``"zero"`` reads non-finite values as 0.
    sample_symbol, sample_time : ndarray
        Integer ``[n]``; every ``sample_time`` must be ``>= lookback - 1``.
    lookback : int
        Window length in bars.
    y : ndarray, optional
        Labels ``[n]``; by default ``target[sample_symbol, sample_time]`` when a target is given.
    target : ndarray, optional
        Float32 ``[N, T]`` label of every cell (kept by subsets).
    timestamps, symbol_names, feature_names : Index, optional
        Axes of the cube, for :attr:`index` and :meth:`select_between`.
    nan_policy : {"drop", "zero"}
    window_norm : {"none", "zscore"}
        ``"zscore"`` standardizes each feature over its own window when gathered (causal).
    horizon : int, optional
        The target's horizon in bars, when known.
    """

    def __init__(
        self,
        cube: np.ndarray,
        sample_symbol: np.ndarray,
        sample_time: np.ndarray,
        lookback: int,
        y: np.ndarray | None = None,
        *,
        target: np.ndarray | None = None,
        timestamps: pd.DatetimeIndex | None = None,
        symbol_names: pd.Index | None = None,
        feature_names: pd.Index | None = None,
        nan_policy: NanPolicy = "drop",
        window_norm: WindowNorm = "none",
        horizon: int | None = None,
    ) -> None:
        if cube.ndim != 3 or cube.dtype != np.float32:
            raise ValueError(
                f"cube must be float32 [symbols, time, features]; got {cube.dtype} {cube.shape}."
            )
        sample_symbol = np.asarray(sample_symbol, dtype=np.int64)
        sample_time = np.asarray(sample_time, dtype=np.int64)
        if len(sample_time) and sample_time.min() < lookback - 1:
            raise ValueError(
                f"Every sample needs {lookback - 1} earlier bars; the earliest sample time is "
                f"{sample_time.min()}."
            )
        self.cube = np.ascontiguousarray(cube)
        self.target = target
        self.timestamps = timestamps
        self.symbol_names = symbol_names
        self.feature_names = feature_names
        self.nan_policy = nan_policy
        self.window_norm = window_norm
        self.horizon = horizon
        self._lookback = int(lookback)
        self.symbols = sample_symbol
        self.times = sample_time
        self.groups = sample_time
        if y is None and target is not None:
            y = target[sample_symbol, sample_time]
        self.labels = _optional_vector(y, len(sample_time), "y", np.float64)
        # A read-only strided view whose row r is the window of flat rows r .. r+lookback-1 of
        # the [N*T, F] cube: each window is one contiguous block, gathered by a single fancy
        # index on the first axis (several times faster than indexing (symbol, time) pairs).
        n_sym, n_time, n_feat = self.cube.shape
        item = self.cube.itemsize
        self._n_time = n_time
        self._rows = np.lib.stride_tricks.as_strided(
            self.cube.reshape(n_sym * n_time, n_feat),
            shape=(max(n_sym * n_time - self._lookback + 1, 0), self._lookback, n_feat),
            strides=(n_feat * item, n_feat * item, item),
            writeable=False,
        )

    def __len__(self) -> int:
        return len(self.times)

    @property
    def lookback(self) -> int:
        return self._lookback

    @property
    def n_features(self) -> int:
        """Number of feature columns ``F``."""
        return self.cube.shape[2]

    @property
    def values(self) -> np.ndarray:
        """The float32 cube ``[symbols, time, features]`` (shared by every subset)."""
        return self.cube

    @property
    def sample_symbol(self) -> np.ndarray:
        return self.symbols

    @property
    def time_positions(self) -> np.ndarray:
        return self.times

    @property
    def index(self) -> pd.MultiIndex:
        """``(timestamp, symbol)`` of each sample, in sample order."""
        if self.timestamps is None or self.symbol_names is None:
            raise ValueError("These windows were built without timestamps and symbol names.")
        return pd.MultiIndex.from_arrays(
            [self.timestamps[self.times], self.symbol_names[self.symbols]],
            names=list(INDEX_NAMES),
        )

    def gather(self, idx: np.ndarray | Sequence[int]) -> np.ndarray:
        """Return float32 windows ``[len(idx), lookback, features]`` (a fresh array)."""
        idx = np.asarray(idx, dtype=np.int64)
        first_row = self.symbols[idx] * self._n_time + self.times[idx] - (self._lookback - 1)
        batch = self._rows[first_row]
        if self.nan_policy == "zero":
            np.nan_to_num(batch, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        if self.window_norm == "zscore":
            mean = batch.mean(axis=1, keepdims=True)
            std = batch.std(axis=1, keepdims=True)
            batch = np.divide(batch - mean, std, out=np.zeros_like(batch), where=std > 0)
        return batch

    X_at = gather

    def y_at(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Labels of the given samples: float32 ``[batch]``; raises without labels."""
        if self.labels is None:
            raise ValueError("These windows have no labels (make_windows got target=None).")
        return self.labels[np.asarray(indices, dtype=np.int64)].astype(np.float32)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor] | torch.Tensor:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"Sample {i} out of range for windows of {n} samples.")
        i = i % n
        x = torch.from_numpy(self.gather([i])[0])
        if self.labels is None:
            return x
        return x, torch.from_numpy(self.y_at([i]))[0]

    def __getitems__(self, indices: list[int]) -> list:
        """Gather a whole DataLoader batch with one fancy index (used by torch's fetcher)."""
        x = torch.from_numpy(self.gather(indices))
        if self.labels is None:
            return list(x)
        return list(zip(x, torch.from_numpy(self.y_at(indices)), strict=True))

    def batches(
        self, batch_size: int, *, shuffle: bool = False, seed: int = 0, drop_last: bool = False
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        """Yield ``(x [batch, lookback, features], y [batch] or None)`` tensors."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        order = np.arange(len(self))
        if shuffle:
            np.random.default_rng(seed).shuffle(order)
        stop = len(order) - (len(order) % batch_size if drop_last else 0)
        for start in range(0, stop, batch_size):
            idx = order[start : start + batch_size]
            y = None if self.labels is None else torch.from_numpy(self.y_at(idx))
            yield torch.from_numpy(self.gather(idx)), y

    def subset(self, sample_indices: Sequence[int] | np.ndarray | slice) -> PanelWindows:
        """Windows of some samples, sharing the cube and the target (no copy)."""
        keep = np.arange(len(self))[sample_indices]
        return PanelWindows(
            self.cube, self.symbols[keep], self.times[keep], self._lookback,
            None if self.labels is None else self.labels[keep], target=self.target,
            timestamps=self.timestamps, symbol_names=self.symbol_names,
            feature_names=self.feature_names, nan_policy=self.nan_policy,
            window_norm=self.window_norm, horizon=self.horizon,
        )  # fmt: skip

    def select_times(self, positions: slice | Sequence[int] | np.ndarray) -> PanelWindows:
        """Samples whose time position is in ``positions`` (a slice, positions or a mask)."""
        wanted = np.zeros(self._n_time, dtype=bool)
        wanted[positions] = True
        return self.subset(np.flatnonzero(wanted[self.times]))

    def select_between(
        self, start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None
    ) -> PanelWindows:
        """Samples with ``start <= timestamp < end`` (either bound optional)."""
        if self.timestamps is None:
            raise ValueError("These windows were built without timestamps.")
        lo = 0 if start is None else self.timestamps.searchsorted(pd.Timestamp(start))
        hi = len(self.timestamps)
        if end is not None:
            hi = self.timestamps.searchsorted(pd.Timestamp(end))
        return self.select_times(slice(lo, hi))

    def __repr__(self) -> str:
        n_sym, n_time, n_feat = self.cube.shape
        return (
            f"PanelWindows(samples={len(self)}, lookback={self._lookback}, symbols={n_sym}, "
            f"time={n_time}, features={n_feat}, nan_policy={self.nan_policy!r})"
        )


WindowDataset = PanelWindows  # the name make_windows' result had before the two merged


def as_windows(X: Windows | np.ndarray, y: np.ndarray | None = None) -> Windows:
    """Return ``X`` as :class:`Windows`; an ndarray becomes :class:`ArrayWindows` (labels ``y``)."""
    if isinstance(X, np.ndarray):
        return ArrayWindows(X, y)
    if not isinstance(X, Windows):
        raise TypeError(
            f"Expected windows [n, lookback, features] as an ndarray or a Windows object; "
            f"got {type(X).__name__}."
        )
    if y is not None:
        raise ValueError("Pass labels inside the Windows object, not as y, when X is Windows.")
    return X


def _optional_vector(v: np.ndarray | None, n: int, name: str, dtype: type) -> np.ndarray | None:
    if v is None:
        return None
    v = np.asarray(v, dtype=dtype).reshape(-1)
    if len(v) != n:
        raise ValueError(f"{name} has {len(v)} entries; the windows have {n} samples.")
    return v
