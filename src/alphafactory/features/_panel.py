"""Bars in, wide ``T x N`` arrays for the kernels, long frames aligned to the bars out.

Private plumbing shared by features and labels: one conversion from the Bars contract (long
``(timestamp, symbol)`` frame or a single-symbol frame indexed by ``timestamp``) to float64 wide
arrays, and the inverse that scatters wide results back onto the bars' own rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.data.panel import INDEX_NAMES, OHLCV_COLUMNS, is_panel


@dataclass(frozen=True, slots=True)
class Panel:
    """Wide views of a Bars frame plus the map back to its rows.

    Attributes
    ----------
    timestamps : DatetimeIndex
        Sorted unique timestamps, length ``T``.
    symbols : Index
        Sorted symbols, length ``N`` (``["asset"]`` for a single-symbol frame).
    fields : dict of str to ndarray
        ``{"open", "high", "low", "close", "volume"}`` -> float64 ``[T, N]``, NaN where a symbol
        has no bar.
    index : Index
        The bars' own index; results are returned on it, row for row.
    rows, cols : ndarray of intp
        Time and symbol position of each bars row in the wide arrays.
    """

    timestamps: pd.DatetimeIndex
    symbols: pd.Index
    fields: dict[str, np.ndarray]
    index: pd.Index
    rows: np.ndarray
    cols: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """``(T, N)``."""
        return len(self.timestamps), len(self.symbols)

    def to_series(self, wide: np.ndarray, name: str) -> pd.Series:
        """Gather a wide ``[T, N]`` result onto the bars' rows as a Series."""
        return pd.Series(wide[self.rows, self.cols], index=self.index, name=name)

    def to_frame(self, columns: Mapping[str, np.ndarray], dtype: type = np.float64) -> pd.DataFrame:
        """Gather several wide ``[T, N]`` results onto the bars' rows as one DataFrame."""
        out = np.empty((len(self.rows), len(columns)), dtype=dtype)
        for j, wide in enumerate(columns.values()):
            out[:, j] = wide[self.rows, self.cols]
        return pd.DataFrame(out, index=self.index, columns=list(columns), copy=False)


def load_panel(bars: pd.DataFrame) -> Panel:
    """Convert a Bars frame to a :class:`Panel`.

    Raises
    ------
    TypeError
        If ``bars`` is not a DataFrame indexed by ``timestamp`` or ``(timestamp, symbol)``.
    KeyError
        If an OHLCV column is missing.
    """
    if not isinstance(bars, pd.DataFrame):
        raise TypeError(f"Expected a Bars DataFrame, got {type(bars).__name__}.")
    missing = [c for c in OHLCV_COLUMNS if c not in bars.columns]
    if missing:
        raise KeyError(
            f"Bars need columns {list(OHLCV_COLUMNS)}; missing {missing} "
            f"(got {list(bars.columns)})."
        )
    if is_panel(bars):
        ts_level = pd.DatetimeIndex(bars.index.get_level_values(0))
        sym_level = bars.index.get_level_values(1)
        timestamps = pd.DatetimeIndex(ts_level.unique().sort_values(), name=INDEX_NAMES[0])
        symbols = pd.Index(sym_level.unique().sort_values(), name=INDEX_NAMES[1])
        rows = timestamps.get_indexer(ts_level)
        cols = symbols.get_indexer(sym_level)
        if len(pd.MultiIndex.from_arrays([rows, cols]).drop_duplicates()) != len(rows):
            raise ValueError("Bars index has duplicate (timestamp, symbol) rows.")
    elif isinstance(bars.index, pd.DatetimeIndex):
        if not bars.index.is_unique:
            raise ValueError("Bars index has duplicate timestamps.")
        timestamps = pd.DatetimeIndex(bars.index.sort_values(), name=INDEX_NAMES[0])
        symbols = pd.Index([bars.attrs.get("symbol", "asset")], name=INDEX_NAMES[1])
        rows = timestamps.get_indexer(bars.index)
        cols = np.zeros(len(rows), dtype=np.intp)
    else:
        raise TypeError(
            "Bars must be indexed by a DatetimeIndex 'timestamp' or a MultiIndex "
            f"('timestamp', 'symbol'); got index names {list(bars.index.names)}."
        )
    shape = (len(timestamps), len(symbols))
    fields: dict[str, np.ndarray] = {}
    for name in OHLCV_COLUMNS:
        wide = np.full(shape, np.nan)
        wide[rows, cols] = bars[name].to_numpy(dtype=np.float64, na_value=np.nan)
        fields[name] = wide
    return Panel(timestamps, symbols, fields, bars.index, rows, cols)


def long_to_cube(
    frame: pd.DataFrame | pd.Series,
) -> tuple[pd.DatetimeIndex, pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    """Scatter a long frame into a ``[T, N, F]`` cube.

    Returns
    -------
    timestamps, symbols, cube, rows, cols
        ``cube`` is float64 ``[T, N, F]`` (F = 1 for a Series), NaN where the frame has no row;
        ``rows``/``cols`` map each frame row to its cube position.
    """
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    if values.ndim == 1:
        values = values[:, None]
    if is_panel(frame):
        ts_level = pd.DatetimeIndex(frame.index.get_level_values(0))
        sym_level = frame.index.get_level_values(1)
        timestamps = pd.DatetimeIndex(ts_level.unique().sort_values(), name=INDEX_NAMES[0])
        symbols = pd.Index(sym_level.unique().sort_values(), name=INDEX_NAMES[1])
        rows = timestamps.get_indexer(ts_level)
        cols = symbols.get_indexer(sym_level)
    elif isinstance(frame.index, pd.DatetimeIndex):
        timestamps = pd.DatetimeIndex(frame.index.sort_values(), name=INDEX_NAMES[0])
        symbols = pd.Index([frame.attrs.get("symbol", "asset")], name=INDEX_NAMES[1])
        rows = timestamps.get_indexer(frame.index)
        cols = np.zeros(len(rows), dtype=np.intp)
    else:
        raise TypeError(
            "Expected a frame indexed by ('timestamp', 'symbol') or by 'timestamp'; got index "
            f"names {list(frame.index.names)}."
        )
    cube = np.full((len(timestamps), len(symbols), values.shape[1]), np.nan)
    cube[rows, cols] = values
    return timestamps, symbols, cube, rows, cols
