"""The market a backtest trades: wide ``T x N`` float64 arrays of OHLCV taken from bars or prices.

Cost models and the backtest loop read the same :class:`Market`, built once from either the long
Bars frame (``(timestamp, symbol)`` index, OHLCV columns), a single-symbol Bars frame, or a wide
``T x N`` frame of prices (taken as closes; no open, high, low or volume).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.data.panel import OHLCV_COLUMNS, is_panel, panel_arrays


@dataclass(frozen=True, kw_only=True, slots=True)
class Market:
    """Wide float64 arrays ``[T, N]`` (NaN where a symbol has no bar) and their labels.

    ``open``, ``high``, ``low`` and ``volume`` are None when built from a frame of closes.
    """

    timestamps: pd.DatetimeIndex
    symbols: pd.Index
    close: np.ndarray
    open: np.ndarray | None = None
    high: np.ndarray | None = None
    low: np.ndarray | None = None
    volume: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(T, N)``."""
        return self.close.shape  # type: ignore[return-value]

    def require(self, field: str, why: str) -> np.ndarray:
        """Return a field, or raise naming who needed it when the market has no such field."""
        values = getattr(self, field)
        if values is None:
            raise ValueError(
                f"{why} needs bar {field!r}, but the market was built from a frame of closes; "
                "pass the long Bars frame (timestamp, symbol) with open, high, low, close, volume."
            )
        return values

    def frame(self, values: np.ndarray) -> pd.DataFrame:
        """Wrap a ``[T, N]`` array as a wide frame with this market's labels."""
        return pd.DataFrame(values, index=self.timestamps, columns=self.symbols)


def market_from(prices_or_bars: pd.DataFrame | Market) -> Market:
    """Build a :class:`Market` from long bars, single-symbol bars or a wide price frame."""
    if isinstance(prices_or_bars, Market):
        return prices_or_bars
    if not isinstance(prices_or_bars, pd.DataFrame):
        raise TypeError(
            "Expected the long Bars frame, a single-symbol Bars frame or a wide T x N price frame, "
            f"got {type(prices_or_bars).__name__}."
        )
    frame = prices_or_bars
    if is_panel(frame):
        timestamps, symbols, arrays = panel_arrays(frame)
        return Market(timestamps=timestamps, symbols=symbols, **arrays)
    index = _datetime_index(frame.index)
    if all(field in frame.columns for field in OHLCV_COLUMNS):
        symbol = frame.attrs.get("symbol", "asset")
        arrays = {f: frame[f].to_numpy(dtype=np.float64).reshape(-1, 1) for f in OHLCV_COLUMNS}
        return Market(timestamps=index, symbols=pd.Index([symbol], name="symbol"), **arrays)
    close = frame.to_numpy(dtype=np.float64)
    return Market(timestamps=index, symbols=pd.Index(frame.columns, name="symbol"), close=close)


def trailing_volatility(close: np.ndarray, window: int) -> np.ndarray:
    """Std of close-to-close returns over the ``window`` bars before t (not including t).

    Shape ``[T, N]``; the first bars, before two returns exist, take the first estimate
    (back-filled), so the start of a backtest is costed rather than free.
    """
    returns = pd.DataFrame(close).ffill().pct_change(fill_method=None)
    vol = returns.rolling(window, min_periods=2).std().shift(1)
    return vol.bfill().to_numpy(dtype=np.float64)


def trailing_mean_volume(volume: np.ndarray, window: int) -> np.ndarray:
    """Mean bar volume over the ``window`` bars before t (ADV for daily bars), ``[T, N]``.

    Zero or missing volumes are ignored; the first bar takes the first estimate (back-filled).
    """
    frame = pd.DataFrame(np.where(volume > 0, volume, np.nan))
    adv = frame.rolling(window, min_periods=1).mean().shift(1)
    return adv.bfill().to_numpy(dtype=np.float64)


def _datetime_index(index: pd.Index) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        raise TypeError(f"Expected a DatetimeIndex named 'timestamp', got {type(index).__name__}.")
    if not index.is_monotonic_increasing or not index.is_unique:
        raise ValueError("The price index must be sorted and unique.")
    return index
