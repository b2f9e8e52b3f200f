"""Lookback windows for sequence models, gathered on demand from one float32 array.

:func:`make_windows` stores features once as a C-contiguous float32 array
``[symbols, time, features]`` plus a sample index (the ``(timestamp, symbol)`` of each usable
sample). A batch ``[batch, lookback, features]`` is gathered by fancy indexing when asked for, so
memory stays near the size of that array whatever the lookback, and subsets for walk-forward
folds share it instead of copying it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from alphafactory.data.panel import INDEX_NAMES, is_panel

__all__ = ["WindowDataset", "make_windows"]

COPY_BLOCK = 32  # feature columns copied per step when building the array
NanPolicy = Literal["drop", "zero"]
WindowNorm = Literal["none", "zscore"]


class WindowDataset(Dataset):
    """Map-style torch Dataset of ``(x [lookback, features], y)`` samples.

    Build it with :func:`make_windows`. Sample ``i`` is symbol ``sample_symbol[i]`` at time
    position ``time_positions[i]``; its window is rows ``t - lookback + 1 .. t`` of that symbol.
    Samples are ordered by (time, symbol), so a time range is a contiguous block of samples.

    Attributes
    ----------
    values : ndarray
        float32 ``[symbols, time, features]``, shared by every subset.
    target : ndarray or None
        float32 ``[symbols, time]``.
    timestamps, symbol_names, feature_names : Index
        Axes of ``values``.
    lookback : int
    symbols, groups : ndarray of int64
        Per sample: symbol position and time position (the ``Windows`` protocol of
        ``alphafactory.training``: groups = timestamp id for cross-sectional losses).
    labels : ndarray or None
        float64 target of each sample.
    horizon : int or None
        The target's horizon (``target.attrs["horizon"]``) for purging, when known.
    """

    def __init__(
        self,
        *,
        values: np.ndarray,
        target: np.ndarray | None,
        timestamps: pd.DatetimeIndex,
        symbols: pd.Index,
        feature_names: pd.Index,
        lookback: int,
        sample_symbol: np.ndarray,
        sample_time: np.ndarray,
        nan_policy: NanPolicy,
        window_norm: WindowNorm,
        horizon: int | None,
    ) -> None:
        self.values = values
        self.target = target
        self.timestamps = timestamps
        self.symbol_names = symbols
        self.feature_names = feature_names
        self.lookback = lookback
        self.sample_symbol = sample_symbol
        self.time_positions = sample_time
        self.nan_policy = nan_policy
        self.window_norm = window_norm
        self.horizon = horizon
        self._offsets = np.arange(1 - lookback, 1, dtype=np.int64)
        self.symbols = sample_symbol
        self.groups = sample_time
        self.labels = (
            None if target is None else target[sample_symbol, sample_time].astype(np.float64)
        )

    def __len__(self) -> int:
        return len(self.time_positions)

    @property
    def n_features(self) -> int:
        """Number of feature columns ``F``."""
        return self.values.shape[2]

    @property
    def index(self) -> pd.MultiIndex:
        """``(timestamp, symbol)`` of each sample, in sample order."""
        return pd.MultiIndex.from_arrays(
            [self.timestamps[self.time_positions], self.symbol_names[self.sample_symbol]],
            names=list(INDEX_NAMES),
        )

    def X_at(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Gather windows of the given samples: float32 ``[batch, lookback, features]``."""
        idx = np.asarray(indices, dtype=np.int64)
        sym = self.sample_symbol[idx][:, None]
        rows = self.time_positions[idx][:, None] + self._offsets[None, :]
        batch = self.values[sym, rows]
        if self.nan_policy == "zero":
            np.nan_to_num(batch, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        if self.window_norm == "zscore":
            mean = batch.mean(axis=1, keepdims=True)
            std = batch.std(axis=1, keepdims=True)
            batch = np.divide(batch - mean, std, out=np.zeros_like(batch), where=std > 0)
        return batch

    def gather(self, idx: np.ndarray) -> np.ndarray:
        """Alias of :meth:`X_at` (the ``Windows`` protocol the Trainer uses)."""
        return self.X_at(idx)

    def y_at(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Targets of the given samples: float32 ``[batch]``.

        Raises
        ------
        ValueError
            If the dataset was built without a target.
        """
        if self.target is None:
            raise ValueError("This WindowDataset has no target (make_windows got target=None).")
        idx = np.asarray(indices, dtype=np.int64)
        return self.target[self.sample_symbol[idx], self.time_positions[idx]]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor] | torch.Tensor:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"Sample {i} out of range for a WindowDataset of {n} samples.")
        i = i % n
        x = torch.from_numpy(self.X_at([i])[0])
        if self.target is None:
            return x
        return x, torch.from_numpy(self.y_at([i]))[0]

    def __getitems__(self, indices: list[int]) -> list:
        """Gather a whole DataLoader batch with one fancy index (used by torch's fetcher)."""
        x = torch.from_numpy(self.X_at(indices))
        if self.target is None:
            return list(x)
        y = torch.from_numpy(self.y_at(indices))
        return list(zip(x, y, strict=True))

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
            y = None if self.target is None else torch.from_numpy(self.y_at(idx))
            yield torch.from_numpy(self.X_at(idx)), y

    def subset(self, sample_indices: Sequence[int] | np.ndarray | slice) -> WindowDataset:
        """A dataset of some samples, sharing ``values`` and ``target`` (no copy of the array)."""
        keep = np.arange(len(self))[sample_indices]
        return WindowDataset(
            values=self.values,
            target=self.target,
            timestamps=self.timestamps,
            symbols=self.symbol_names,
            feature_names=self.feature_names,
            lookback=self.lookback,
            sample_symbol=self.sample_symbol[keep],
            sample_time=self.time_positions[keep],
            nan_policy=self.nan_policy,
            window_norm=self.window_norm,
            horizon=self.horizon,
        )

    def select_times(self, positions: slice | Sequence[int] | np.ndarray) -> WindowDataset:
        """Samples whose timestamp position (into ``timestamps``) is in ``positions``.

        ``positions`` is a slice, integer positions or a boolean mask over ``timestamps``;
        walk-forward folds use it to cut train/validation/test without copying the array.
        """
        wanted = np.zeros(len(self.timestamps), dtype=bool)
        wanted[positions] = True
        return self.subset(np.flatnonzero(wanted[self.time_positions]))

    def select_between(
        self, start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None
    ) -> WindowDataset:
        """Samples with ``start <= timestamp < end`` (either bound optional)."""
        lo = 0 if start is None else self.timestamps.searchsorted(pd.Timestamp(start))
        hi = len(self.timestamps)
        if end is not None:
            hi = self.timestamps.searchsorted(pd.Timestamp(end))
        return self.select_times(slice(lo, hi))

    def __repr__(self) -> str:
        n_sym, n_time, n_feat = self.values.shape
        return (
            f"WindowDataset(samples={len(self)}, lookback={self.lookback}, symbols={n_sym}, "
            f"time={n_time}, features={n_feat}, nan_policy={self.nan_policy!r})"
        )


def _cube(
    frame: pd.DataFrame, timestamps: pd.DatetimeIndex, symbols: pd.Index
) -> np.ndarray:
    values = np.full((len(symbols), len(timestamps), frame.shape[1]), np.nan, dtype=np.float32)
    rows, cols = _positions(frame.index, timestamps, symbols)
    # Copy a block of columns at a time: the temporary stays a fraction of the array.
    for start in range(0, frame.shape[1], COPY_BLOCK):
        block = frame.iloc[:, start : start + COPY_BLOCK]
        values[cols, rows, start : start + block.shape[1]] = block.to_numpy(
            dtype=np.float32, na_value=np.nan
        )
    return values


def _positions(
    index: pd.Index, timestamps: pd.DatetimeIndex, symbols: pd.Index
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(index, pd.MultiIndex):
        rows = timestamps.get_indexer(index.get_level_values(0))
        cols = symbols.get_indexer(index.get_level_values(1))
    else:
        rows = timestamps.get_indexer(index)
        cols = np.zeros(len(index), dtype=np.intp)
    return rows, cols


def make_windows(
    features: pd.DataFrame,
    target: pd.Series | None,
    lookback: int,
    *,
    nan_policy: NanPolicy = "drop",
    window_norm: WindowNorm = "none",
) -> WindowDataset:
    """Index every usable ``lookback``-bar window of a feature frame.

    Parameters
    ----------
    features : DataFrame
        Indexed ``(timestamp, symbol)`` (or by ``timestamp`` for one symbol), one column a
        feature, e.g. the output of ``build_features``. Stored once as float32.
    target : Series or None
        Label per ``(timestamp, symbol)`` (e.g. ``forward_returns``); rows of ``features``
        without a finite target are not samples. ``None`` keeps every window (inference).
    lookback : int
        Window length in bars; the window of a sample at ``t`` is rows ``t-lookback+1 .. t``.
    nan_policy : {"drop", "zero"}
        ``"drop"``: a sample is usable only if every value in its window is finite.
        ``"zero"``: non-finite values read as 0; a sample needs a row at ``t`` with at least one
        finite feature and ``lookback - 1`` earlier rows in the panel.
    window_norm : {"none", "zscore"}
        ``"zscore"`` standardizes each feature over its own window when gathered (causal, no fit).

    Returns
    -------
    WindowDataset
    """
    if int(lookback) != lookback or lookback < 1:
        raise ValueError(f"lookback must be a positive integer, got {lookback!r}.")
    if nan_policy not in ("drop", "zero"):
        raise ValueError(f"nan_policy must be 'drop' or 'zero', got {nan_policy!r}.")
    if window_norm not in ("none", "zscore"):
        raise ValueError(f"window_norm must be 'none' or 'zscore', got {window_norm!r}.")
    if not isinstance(features, pd.DataFrame) or not (
        is_panel(features) or isinstance(features.index, pd.DatetimeIndex)
    ):
        raise TypeError(
            "features must be a DataFrame indexed by ('timestamp', 'symbol') or by 'timestamp'."
        )
    if isinstance(features.index, pd.MultiIndex):
        timestamps = pd.DatetimeIndex(features.index.get_level_values(0).unique().sort_values())
        symbols = pd.Index(features.index.get_level_values(1).unique().sort_values())
    else:
        timestamps = pd.DatetimeIndex(features.index.sort_values())
        symbols = pd.Index([features.attrs.get("symbol", "asset")])
    timestamps.name, symbols.name = INDEX_NAMES
    values = _cube(features, timestamps, symbols)
    n_sym, n_time, _ = values.shape

    row_ok = np.empty((n_sym, n_time), dtype=bool)
    for s in range(n_sym):  # one symbol at a time bounds the temporary mask
        finite = np.isfinite(values[s])
        row_ok[s] = finite.all(axis=1) if nan_policy == "drop" else finite.any(axis=1)
    if nan_policy == "drop":
        count = np.cumsum(row_ok, axis=1, dtype=np.int64)
        count[:, lookback:] -= count[:, :-lookback].copy()
        usable = count == lookback
    else:
        usable = row_ok.copy()
        usable[:, : lookback - 1] = False

    target_arr = None
    horizon = None
    if target is not None:
        target_arr = np.full((n_sym, n_time), np.nan, dtype=np.float32)
        rows, cols = _positions(target.index, timestamps, symbols)
        inside = (rows >= 0) & (cols >= 0)
        target_arr[cols[inside], rows[inside]] = target.to_numpy(
            dtype=np.float32, na_value=np.nan
        )[inside]
        usable &= np.isfinite(target_arr)
        horizon = target.attrs.get("horizon")
    t_pos, s_pos = np.nonzero(usable.T)  # (time, symbol) order
    return WindowDataset(
        values=values,
        target=target_arr,
        timestamps=timestamps,
        symbols=symbols,
        feature_names=pd.Index(features.columns),
        lookback=int(lookback),
        sample_symbol=s_pos.astype(np.int64),
        sample_time=t_pos.astype(np.int64),
        nan_policy=nan_policy,
        window_norm=window_norm,
        horizon=horizon,
    )
