"""Named TA-Lib indicators that accept a 1-D series or a ``T x N`` panel.

Each is TA-Lib's own function with its definitions and defaults, applied per symbol column by
:func:`alphafactory.features.talib_panel.apply_talib` (NaN before a symbol's first bar and after
its last, NaN warm-up). The output has the input's type and shape.
"""

from __future__ import annotations

from alphafactory.features.talib_panel import ArrayLike, apply_talib

__all__ = [
    "adx",
    "atr",
    "bbands",
    "cci",
    "ema",
    "macd",
    "mfi",
    "natr",
    "obv",
    "rsi",
    "sma",
    "stoch",
    "willr",
]


def rsi(close: ArrayLike, n: int = 14) -> ArrayLike:
    """Relative strength index (Wilder), in ``[0, 100]``; warm-up ``n`` bars."""
    return apply_talib("RSI", close, timeperiod=n)[0]


def macd(
    close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[ArrayLike, ArrayLike, ArrayLike]:
    """MACD line ``EMA(fast) - EMA(slow)``, its ``EMA(signal)``, and the histogram."""
    return apply_talib("MACD", close, fastperiod=fast, slowperiod=slow, signalperiod=signal)


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> ArrayLike:
    """Average true range (Wilder smoothing), price units; warm-up ``n`` bars."""
    return apply_talib("ATR", high, low, close, timeperiod=n)[0]


def natr(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> ArrayLike:
    """Normalized ATR, ``100 * ATR / close``."""
    return apply_talib("NATR", high, low, close, timeperiod=n)[0]


def bbands(
    close: ArrayLike, n: int = 20, k: float = 2.0
) -> tuple[ArrayLike, ArrayLike, ArrayLike]:
    """Bollinger bands ``(upper, middle, lower)``: SMA(n) +- k population std over ``n``."""
    return apply_talib("BBANDS", close, timeperiod=n, nbdevup=k, nbdevdn=k, matype=0)


def obv(close: ArrayLike, volume: ArrayLike) -> ArrayLike:
    """On-balance volume, cumulative from each symbol's first bar."""
    return apply_talib("OBV", close, volume)[0]


def sma(close: ArrayLike, n: int = 20) -> ArrayLike:
    """Simple moving average over ``n`` bars."""
    return apply_talib("SMA", close, timeperiod=n)[0]


def ema(close: ArrayLike, n: int = 20) -> ArrayLike:
    """Exponential moving average, ``alpha = 2 / (n + 1)``, seeded with the first SMA(n)."""
    return apply_talib("EMA", close, timeperiod=n)[0]


def adx(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> ArrayLike:
    """Average directional index, in ``[0, 100]``."""
    return apply_talib("ADX", high, low, close, timeperiod=n)[0]


def cci(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> ArrayLike:
    """Commodity channel index."""
    return apply_talib("CCI", high, low, close, timeperiod=n)[0]


def willr(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> ArrayLike:
    """Williams %R, in ``[-100, 0]``."""
    return apply_talib("WILLR", high, low, close, timeperiod=n)[0]


def mfi(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike, n: int = 14
) -> ArrayLike:
    """Money flow index, in ``[0, 100]``."""
    return apply_talib("MFI", high, low, close, volume, timeperiod=n)[0]


def stoch(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, k: int = 14, smooth_k: int = 3,
    d: int = 3,
) -> tuple[ArrayLike, ArrayLike]:
    """Slow stochastic ``(%K, %D)`` in ``[0, 100]``."""
    return apply_talib(
        "STOCH", high, low, close, fastk_period=k, slowk_period=smooth_k, slowd_period=d
    )
