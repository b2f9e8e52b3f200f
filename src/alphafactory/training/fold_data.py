"""The panel a walk-forward works on, and per-fold normalization fitted on training rows only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from alphafactory.errors import DataError
from alphafactory.features.windows import PanelWindows
from alphafactory.training.sample_audit import (
    check_label_timing,
    count_infinite,
    dropped_rows,
)


class Normalizer(Protocol):
    """Anything fitted on a feature frame and applied to another (the features' convention).

    A fold step (:mod:`alphafactory.models.feature_steps`) also takes the training rows'
    labels: ``fit(frame, labels)``; :func:`fold_cube` passes them to a ``fit`` that takes them.
    """

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
    audit: dict[str, Any] = field(default_factory=dict)


def prepare_panel(features: pd.DataFrame, labels: pd.Series, lookback: int) -> FoldData:
    """Index the samples of ``features`` and ``labels`` (complete, finite windows only).

    Infinite feature values become NaN (so no normalizer fits on them); every feature row that
    is not a sample is counted by cause in ``audit`` (see :mod:`.sample_audit`), with
    ``infinite`` (feature -> count of infinite values). Raises :class:`DataError` when no sample
    is usable or the label is known at ``t`` (:func:`.sample_audit.check_label_timing`).
    """
    from alphafactory.features.window_frames import make_windows

    if not isinstance(labels, pd.Series):
        raise TypeError(f"labels must be a Series, got {type(labels).__name__}.")
    infinite = count_infinite(features)
    if infinite:
        features = features.replace([np.inf, -np.inf], np.nan)
    data = make_windows(features, labels, lookback, nan_policy="drop")
    assert data.target is not None
    index = features.index
    if isinstance(index, pd.MultiIndex):
        row_time = data.timestamps.get_indexer(index.get_level_values(0))
        row_symbol = data.symbol_names.get_indexer(index.get_level_values(1))
    else:
        row_time = data.timestamps.get_indexer(index)
        row_symbol = np.zeros(len(index), dtype=np.intp)
    present = np.zeros(data.target.shape, dtype=bool)
    present[row_symbol, row_time] = True
    audit = dropped_rows(data.cube, present, data.target, lookback, pd.Index(features.columns))
    audit["infinite"] = infinite
    if len(data) == 0:
        counts = ", ".join(f"{k} {v}" for k, v in audit["dropped"].items() if v)
        raise DataError(
            f"features/labels: no usable sample: every {lookback}-bar window has a NaN feature "
            f"or no finite label (of {audit['rows']} rows dropped: {counts})"
        )
    # A label known when its features are (attrs absent or lying) is refused before any fit.
    check_label_timing(data.cube, data.sample_symbol, data.time_positions, data.target,
                       lookback, pd.Index(features.columns))  # fmt: skip
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
        audit=audit,
    )


def fold_cube(
    panel: FoldData, normalizer: Normalizer, train_times: np.ndarray, end: int
) -> np.ndarray:
    """Fit ``normalizer`` on the training timestamps' rows; return float32 ``[N, end, F]``.

    A ``fit`` that takes labels gets the training rows' labels (``panel.target``, NaN where
    unknown), aligned to the rows; nothing of the other timestamps is seen. Only rows before
    time position ``end`` are transformed; ``F`` is the transformed width (a selection step
    may drop or make columns); NaN becomes 0 (the training mean for the default z-score).
    """
    from alphafactory.models.feature_steps import fit_step

    in_train = np.zeros(len(panel.timestamps), dtype=bool)
    in_train[train_times] = True
    rows = in_train[panel.row_time]
    train = panel.features[rows]
    labels = pd.Series(
        panel.target[panel.row_symbol[rows], panel.row_time[rows]].astype(np.float64),
        index=train.index, name="label",
    )  # fmt: skip
    fitted = fit_step(normalizer, train, labels)
    keep = panel.row_time < end
    transformed = fitted.transform(panel.features[keep])
    cube = np.zeros((len(panel.symbols), end, transformed.shape[1]), dtype=np.float32)
    values = transformed.to_numpy(dtype=np.float32, na_value=np.nan)
    cube[panel.row_symbol[keep], panel.row_time[keep]] = np.nan_to_num(
        values, nan=0.0, posinf=0.0, neginf=0.0
    )
    return cube


def block_windows(
    panel: FoldData, cube: np.ndarray, positions: np.ndarray
) -> tuple[PanelWindows, np.ndarray]:
    """Windows of the samples at timestamp ``positions`` (labels attached), and their indices."""
    member = np.zeros(len(panel.timestamps), dtype=bool)
    member[positions] = True
    samples = np.flatnonzero(member[panel.sample_time])
    sym, time = panel.sample_symbol[samples], panel.sample_time[samples]
    windows = PanelWindows(cube, sym, time, panel.lookback, panel.target[sym, time])
    return windows, samples


def mean_ic(scores: np.ndarray, labels: np.ndarray | None, groups: np.ndarray | None) -> float:
    """Mean Pearson IC of ``scores`` with ``labels`` per group (timestamp), NaN when none.

    The IC is :func:`alphafactory.evaluation.information_coefficient` (the one definition), over
    groups with at least two finite pairs; when every group is a single sample (one symbol) the
    whole sample is one group, a time-series IC.
    """
    from alphafactory.evaluation import information_coefficient

    if labels is None:
        return float("nan")
    finite = np.isfinite(scores) & np.isfinite(labels)
    if finite.sum() < 2:
        return float("nan")
    raw = np.zeros(len(scores), dtype=np.int64) if groups is None else np.asarray(groups)
    raw = raw[finite]
    if len(np.unique(raw)) == len(raw):  # singletons: one time series
        raw = np.zeros(len(raw), dtype=np.int64)
    index = pd.MultiIndex.from_arrays([raw, np.arange(len(raw))], names=["timestamp", "symbol"])
    ic = information_coefficient(
        pd.Series(scores[finite], index=index), pd.Series(labels[finite], index=index),
        "pearson", min_obs=2,
    ).dropna()  # fmt: skip
    return float(ic.mean()) if len(ic) else float("nan")
