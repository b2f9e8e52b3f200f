"""The panel a walk-forward works on, and per-fold normalization fitted on training rows only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd


class Normalizer(Protocol):
    """Anything fitted on a feature frame and applied to another (the features' convention)."""

    def fit(self, frame: pd.DataFrame) -> Normalizer: ...

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame: ...


@dataclass(frozen=True, slots=True)
class FoldData:
    """Everything a fold task reads.

    ``row_time``/``row_symbol`` locate each row of ``features`` in the cube; samples are the
    ``(symbol, time)`` pairs with a complete finite window and a finite label.
    """

    features: pd.DataFrame
    row_time: np.ndarray
    row_symbol: np.ndarray
    timestamps: pd.DatetimeIndex
    symbols: pd.Index
    target: np.ndarray  # float32 [N, T]
    sample_symbol: np.ndarray
    sample_time: np.ndarray
    lookback: int


def prepare_panel(features: pd.DataFrame, labels: pd.Series, lookback: int) -> FoldData:
    """Index the samples of ``features`` and ``labels`` (complete, finite windows only)."""
    from alphafactory.features.window_frames import make_windows

    if not isinstance(labels, pd.Series):
        raise TypeError(f"labels must be a Series, got {type(labels).__name__}.")
    data = make_windows(features, labels, lookback, nan_policy="drop")
    if len(data) == 0:
        raise ValueError(
            f"No usable sample: every {lookback}-bar window has a NaN feature or no finite label."
        )
    index = features.index
    if isinstance(index, pd.MultiIndex):
        row_time = data.timestamps.get_indexer(index.get_level_values(0))
        row_symbol = data.symbol_names.get_indexer(index.get_level_values(1))
    else:
        row_time = data.timestamps.get_indexer(index)
        row_symbol = np.zeros(len(index), dtype=np.intp)
    assert data.target is not None
    return FoldData(
        features=features,
        row_time=row_time.astype(np.int64),
        row_symbol=row_symbol.astype(np.int64),
        timestamps=data.timestamps,
        symbols=data.symbol_names,
        target=data.target,
        sample_symbol=data.sample_symbol,
        sample_time=data.time_positions,
        lookback=lookback,
    )


def fold_cube(
    panel: FoldData, normalizer: Normalizer, train_times: np.ndarray, end: int
) -> np.ndarray:
    """Fit ``normalizer`` on the training timestamps' rows; return float32 ``[N, end, F]``.

    Only rows before time position ``end`` are transformed; NaN becomes 0 (the training mean
    for the default z-score).
    """
    in_train = np.zeros(len(panel.timestamps), dtype=bool)
    in_train[train_times] = True
    fitted = normalizer.fit(panel.features[in_train[panel.row_time]])
    keep = panel.row_time < end
    transformed = fitted.transform(panel.features[keep])
    cube = np.zeros((len(panel.symbols), end, panel.features.shape[1]), dtype=np.float32)
    values = transformed.to_numpy(dtype=np.float32, na_value=np.nan)
    cube[panel.row_symbol[keep], panel.row_time[keep]] = np.nan_to_num(
        values, nan=0.0, posinf=0.0, neginf=0.0
    )
    return cube


def ic_by_group(
    scores: np.ndarray, labels: np.ndarray, groups: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Pearson IC of ``scores`` with ``labels`` inside each group (timestamp).

    Returns ``(group_ids, ic)`` for groups with at least two finite pairs and some variance; with
    one symbol (every group a singleton) the whole sample is one group (a time-series IC).
    """
    finite = np.isfinite(scores) & np.isfinite(labels)
    s, y = scores[finite], labels[finite]
    raw = np.zeros(len(s), dtype=np.int64) if groups is None else groups[finite]
    ids, g = np.unique(raw, return_inverse=True)
    count = np.bincount(g, minlength=len(ids))
    if count.max(initial=0) < 2:
        ids, g = np.zeros(1, dtype=np.int64), np.zeros(len(s), dtype=np.int64)
        count = np.bincount(g, minlength=1)
    ds = s - (np.bincount(g, s, len(ids)) / np.maximum(count, 1))[g]
    dy = y - (np.bincount(g, y, len(ids)) / np.maximum(count, 1))[g]
    cov = np.bincount(g, ds * dy, len(ids))
    vs, vy = np.bincount(g, ds * ds, len(ids)), np.bincount(g, dy * dy, len(ids))
    ok = (count >= 2) & (vs > 0) & (vy > 0)
    return ids[ok], cov[ok] / np.sqrt(vs[ok] * vy[ok])


def mean_ic(scores: np.ndarray, labels: np.ndarray | None, groups: np.ndarray | None) -> float:
    """Mean of :func:`ic_by_group` (NaN when no group qualifies)."""
    if labels is None or len(scores) < 2:
        return float("nan")
    _, ic = ic_by_group(scores, labels, groups)
    return float(ic.mean()) if len(ic) else float("nan")
