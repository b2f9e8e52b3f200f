"""The wide-bars container: Bars in, ``T x N`` arrays for the kernels, long frames out.

One conversion from the Bars contract (long ``(timestamp, symbol)`` frame or a single-symbol
frame indexed by ``timestamp``) to float64 wide arrays, shared by features, labels and the
backtest, and the inverse that scatters wide results back onto the bars' own rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.data.panel import INDEX_NAMES, OHLCV_COLUMNS, is_panel


@dataclass(frozen=True, slots=True)
class Panel:
    """Wide ``T x N`` arrays of bars (NaN where a symbol has no bar) and the map back to rows.

    The one wide-bars container: features and labels read it through :func:`load_panel`, cost
    models and the backtest loop through ``alphafactory.backtest.market_from``.

    Attributes
    ----------
    timestamps : DatetimeIndex
        Sorted unique timestamps, length ``T``.
    symbols : Index
        Sorted symbols, length ``N`` (``["asset"]`` for a single-symbol frame).
    fields : dict of str to ndarray
        ``"open", "high", "low", "close", "volume"`` -> float64 ``[T, N]``. A panel built from a
        frame of prices holds ``"close"`` only; :meth:`require` names what is missing.
    index : Index or None
        The bars' own index; results are returned on it, row for row. None for a panel built
        from wide arrays (it has no bars rows to return to).
    rows, cols : ndarray of intp or None
        Time and symbol position of each bars row in the wide arrays (None as ``index``).
    dense_sorted : bool
        True when the bars fill every ``(timestamp, symbol)`` cell in sorted order.
    """

    timestamps: pd.DatetimeIndex
    symbols: pd.Index
    fields: dict[str, np.ndarray]
    index: pd.Index | None = None
    rows: np.ndarray | None = None
    cols: np.ndarray | None = None
    dense_sorted: bool = False

    @classmethod
    def from_arrays(
        cls,
        timestamps: pd.DatetimeIndex,
        symbols: pd.Index,
        *,
        close: np.ndarray,
        open: np.ndarray | None = None,
        high: np.ndarray | None = None,
        low: np.ndarray | None = None,
        volume: np.ndarray | None = None,
    ) -> Panel:
        """A panel of wide ``[T, N]`` arrays; fields given as None are absent."""
        given = {"open": open, "high": high, "low": low, "close": close, "volume": volume}
        return cls(timestamps, symbols, {k: v for k, v in given.items() if v is not None})

    @property
    def open(self) -> np.ndarray | None:
        """Opens ``[T, N]``, or None when the panel has none."""
        return self.fields.get("open")

    @property
    def high(self) -> np.ndarray | None:
        """Highs ``[T, N]``, or None."""
        return self.fields.get("high")

    @property
    def low(self) -> np.ndarray | None:
        """Lows ``[T, N]``, or None."""
        return self.fields.get("low")

    @property
    def close(self) -> np.ndarray:
        """Closes ``[T, N]`` (every panel has them)."""
        return self.fields["close"]

    @property
    def volume(self) -> np.ndarray | None:
        """Volumes ``[T, N]``, or None."""
        return self.fields.get("volume")

    def require(self, field: str, why: str) -> np.ndarray:
        """Return a field, or raise naming who needed it when the panel has no such field."""
        values = self.fields.get(field)
        if values is None:
            raise ValueError(
                f"{why} needs bar {field!r}, but the market was built from a frame of closes; "
                "pass the long Bars frame (timestamp, symbol) with open, high, low, close, volume."
            )
        return values

    def frame(self, values: np.ndarray) -> pd.DataFrame:
        """Wrap a ``[T, N]`` array as a wide frame with this panel's labels."""
        return pd.DataFrame(values, index=self.timestamps, columns=self.symbols)

    @property
    def shape(self) -> tuple[int, int]:
        """``(T, N)``."""
        return len(self.timestamps), len(self.symbols)

    def gather(self, wide: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Values of a wide ``[T, N]`` array at the bars' rows, in bars order (``[rows]``).

        ``out`` (any float dtype) receives the values when given. A complete panel sorted by
        (timestamp, symbol) is one strided copy; otherwise one flat index in the array's own
        memory order.
        """
        if self.rows is None or self.cols is None:
            raise ValueError("This panel was built from wide arrays; it has no bars rows.")
        n_time, n_sym = self.shape
        if wide.shape != (n_time, n_sym):
            raise ValueError(f"Expected a wide array of shape {(n_time, n_sym)}, got {wide.shape}.")
        if out is None:
            out = np.empty(len(self.rows), dtype=wide.dtype)
        if self.dense_sorted:
            np.copyto(out.reshape(n_time, n_sym), wide, casting="same_kind")
        elif wide.flags.f_contiguous:
            out[:] = np.take(wide.T.reshape(-1), self.cols * n_time + self.rows)
        else:
            out[:] = np.take(np.ascontiguousarray(wide).reshape(-1), self.rows * n_sym + self.cols)
        return out

    def to_series(self, wide: np.ndarray, name: str) -> pd.Series:
        """Gather a wide ``[T, N]`` result onto the bars' rows as a Series."""
        return pd.Series(self.gather(wide), index=self.index, name=name)

    def to_frame(self, columns: Mapping[str, np.ndarray], dtype: type = np.float64) -> pd.DataFrame:
        """Gather several wide ``[T, N]`` results onto the bars' rows as one DataFrame."""
        out = np.empty((len(columns), len(self.rows)), dtype=dtype)
        for j, wide in enumerate(columns.values()):
            self.gather(np.asarray(wide, dtype=np.float64), out=out[j])
        return pd.DataFrame(out.T, index=self.index, columns=list(columns), copy=False)


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
    flat = rows * shape[1] + cols
    dense = len(flat) == shape[0] * shape[1] and bool((flat == np.arange(len(flat))).all())
    return Panel(timestamps, symbols, fields, bars.index, rows, cols, dense)


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
