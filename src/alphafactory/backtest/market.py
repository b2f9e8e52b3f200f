"""The market a backtest trades: the wide :class:`~alphafactory.data.Panel` of bars or prices.

Cost models and the backtest loop read the same panel, built once from either the long
Bars frame (``(timestamp, symbol)`` index, OHLCV columns), a single-symbol Bars frame, or a wide
``T x N`` frame of prices (taken as closes; no open, high, low or volume).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.data.panel import OHLCV_COLUMNS, is_panel, panel_arrays
from alphafactory.data.wide import Panel


def market_from(prices_or_bars: pd.DataFrame | Panel) -> Panel:
    """Build the panel a backtest trades from long bars, single bars or wide prices (closes)."""
    if isinstance(prices_or_bars, Panel):
        return prices_or_bars
    if not isinstance(prices_or_bars, pd.DataFrame):
        raise TypeError(
            "Expected the long Bars frame, a single-symbol Bars frame or a wide T x N price frame, "
            f"got {type(prices_or_bars).__name__}."
        )
    frame = prices_or_bars
    if is_panel(frame):
        timestamps, symbols, arrays = panel_arrays(frame)
        return Panel.from_arrays(timestamps, symbols, **arrays)
    index = _datetime_index(frame.index)
    if all(field in frame.columns for field in OHLCV_COLUMNS):
        symbol = frame.attrs.get("symbol", "asset")
        arrays = {f: frame[f].to_numpy(dtype=np.float64).reshape(-1, 1) for f in OHLCV_COLUMNS}
        return Panel.from_arrays(index, pd.Index([symbol], name="symbol"), **arrays)
    close = frame.to_numpy(dtype=np.float64)
    return Panel.from_arrays(index, pd.Index(frame.columns, name="symbol"), close=close)


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
