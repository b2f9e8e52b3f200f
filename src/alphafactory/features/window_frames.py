"""``make_windows``: index every usable lookback window of a feature frame as :class:`PanelWindows`.

Features are stored once as a C-contiguous float32 cube ``[symbols, time, features]`` plus a
sample index (the ``(symbol, time)`` of each usable sample); see
:mod:`alphafactory.features.windows` for the gather.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.data.panel import INDEX_NAMES, is_panel
from alphafactory.features.windows import NanPolicy, PanelWindows, WindowNorm

__all__ = ["frame_cube", "frame_positions", "make_windows"]

COPY_BLOCK = 32  # feature columns copied per step when building the array


def frame_cube(
    frame: pd.DataFrame, timestamps: pd.DatetimeIndex, symbols: pd.Index
) -> np.ndarray:
    values = np.full((len(symbols), len(timestamps), frame.shape[1]), np.nan, dtype=np.float32)
    rows, cols = frame_positions(frame.index, timestamps, symbols)
    # Copy a block of columns at a time: the temporary stays a fraction of the array.
    for start in range(0, frame.shape[1], COPY_BLOCK):
        block = frame.iloc[:, start : start + COPY_BLOCK]
        values[cols, rows, start : start + block.shape[1]] = block.to_numpy(
            dtype=np.float32, na_value=np.nan
        )
    return values


def frame_positions(
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
) -> PanelWindows:
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
    PanelWindows
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
    values = frame_cube(features, timestamps, symbols)
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
        rows, cols = frame_positions(target.index, timestamps, symbols)
        inside = (rows >= 0) & (cols >= 0)
        target_arr[cols[inside], rows[inside]] = target.to_numpy(
            dtype=np.float32, na_value=np.nan
        )[inside]
        usable &= np.isfinite(target_arr)
        horizon = target.attrs.get("horizon")
    t_pos, s_pos = np.nonzero(usable.T)  # (time, symbol) order
    return PanelWindows(
        values, s_pos.astype(np.int64), t_pos.astype(np.int64), int(lookback),
        target=target_arr, timestamps=timestamps, symbol_names=symbols,
        feature_names=pd.Index(features.columns), nan_policy=nan_policy,
        window_norm=window_norm, horizon=horizon,
    )  # fmt: skip
