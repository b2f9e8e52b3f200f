"""Conversions between the long Bars frame and wide ``T x N`` panels.

The long frame is indexed by ``(timestamp, symbol)``; a wide panel has one row per timestamp and
one column per symbol, NaN where a symbol has no bar. Compute kernels work on wide panels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
INDEX_NAMES: tuple[str, str] = ("timestamp", "symbol")


def is_panel(bars: pd.DataFrame | pd.Series) -> bool:
    """Return True when ``bars`` is indexed by ``(timestamp, symbol)``."""
    return isinstance(bars.index, pd.MultiIndex) and tuple(bars.index.names) == INDEX_NAMES


def to_wide(bars: pd.DataFrame | pd.Series, field: str | None = None) -> pd.DataFrame:
    """Pivot one field of a long frame to a wide ``T x N`` frame.

    Parameters
    ----------
    bars : DataFrame or Series
        Long frame indexed by ``(timestamp, symbol)``, or a single-symbol frame indexed by
        ``timestamp`` (returned as one column named ``"asset"`` unless it has a ``symbol`` attr).
    field : str, optional
        Column to pivot; required for a DataFrame, ignored for a Series.

    Returns
    -------
    DataFrame
        Shape ``[timestamps, symbols]``, index ``timestamp`` sorted, columns sorted symbols.
    """
    series = bars if isinstance(bars, pd.Series) else _column(bars, field)
    if is_panel(series):
        wide = series.unstack("symbol")
        wide.columns.name = "symbol"
        return wide.sort_index(axis=1)
    name = series.attrs.get("symbol") or bars.attrs.get("symbol") or "asset"
    frame = series.to_frame(name=name)
    frame.columns.name = "symbol"
    return frame


def to_long(wide: pd.DataFrame, name: str) -> pd.Series:
    """Stack a wide ``T x N`` frame into a Series indexed ``(timestamp, symbol)``, NaNs dropped."""
    stacked = wide.stack(future_stack=True).dropna()
    stacked.index = stacked.index.set_names(list(INDEX_NAMES))
    return stacked.rename(name).sort_index()


def panel_arrays(bars: pd.DataFrame) -> tuple[pd.DatetimeIndex, pd.Index, dict[str, np.ndarray]]:
    """Return ``(timestamps, symbols, {field: float64 array [T, N]})`` for the OHLCV fields."""
    arrays: dict[str, np.ndarray] = {}
    timestamps: pd.DatetimeIndex | None = None
    symbols: pd.Index | None = None
    for field in OHLCV_COLUMNS:
        wide = to_wide(bars, field)
        if timestamps is None:
            timestamps, symbols = pd.DatetimeIndex(wide.index), wide.columns
        arrays[field] = np.ascontiguousarray(wide.to_numpy(dtype=np.float64))
    assert timestamps is not None and symbols is not None
    return timestamps, symbols, arrays


def _column(bars: pd.DataFrame, field: str | None) -> pd.Series:
    if field is None:
        raise ValueError("to_wide needs `field` when given a DataFrame, e.g. field='close'.")
    if field not in bars.columns:
        raise KeyError(f"to_wide: no column {field!r}; the frame has {list(bars.columns)}.")
    return bars[field]
