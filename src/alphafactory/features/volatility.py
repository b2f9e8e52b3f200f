"""Range-based and close-to-close volatility estimators on ``T x N`` panels (vectorized numpy).

TA-Lib has ATR/NATR and a standard deviation of prices but none of these estimators, so they are
our own kernels: per-bar variance terms followed by a prefix-sum rolling mean (see
:mod:`alphafactory.features.rolling`), O(T x N) for any window, no per-row Python. Every output is
a per-bar volatility (standard deviation of log returns over one bar), not annualized: multiply
by ``sqrt(periods_per_year)`` to annualize. The value at ``t`` uses bars ``t-n+1 .. t`` (and the
close of ``t-n`` where a close-to-open or close-to-close return is needed).

References: Parkinson (1980), Garman and Klass (1980), Rogers and Satchell (1991), Yang and Zhang
(2000).
"""

from __future__ import annotations

import numpy as np

from alphafactory.features._arraylike import ArrayLike, as_panel, restore
from alphafactory.features.rolling import rolling_mean, rolling_var, shift

__all__ = [
    "close_to_close",
    "garman_klass",
    "parkinson",
    "rogers_satchell",
    "yang_zhang",
]


def _log_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(a / b)


def close_to_close(close: ArrayLike, n: int = 20) -> ArrayLike:
    """Sample standard deviation (ddof=1) of the last ``n`` one-bar log close returns."""
    c = as_panel(close, "close")
    return restore(close, np.sqrt(rolling_var(_log_ratio(c, shift(c, 1)), n)))


def parkinson(high: ArrayLike, low: ArrayLike, n: int = 20) -> ArrayLike:
    """Parkinson's range estimator: ``sqrt(mean(ln(H/L)^2) / (4 ln 2))`` over ``n`` bars."""
    hl = _log_ratio(as_panel(high, "high"), as_panel(low, "low"))
    return restore(high, np.sqrt(rolling_mean(hl * hl, n) / (4.0 * np.log(2.0))))


def garman_klass(
    open_: ArrayLike, high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 20
) -> ArrayLike:
    """Garman-Klass: ``sqrt(mean(0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2))`` over ``n`` bars.

    Negative window means (possible on tiny ranges) are floored at 0.
    """
    o, h, lo, c = (as_panel(a) for a in (open_, high, low, close))
    hl, co = _log_ratio(h, lo), _log_ratio(c, o)
    term = 0.5 * hl * hl - (2.0 * np.log(2.0) - 1.0) * co * co
    return restore(close, np.sqrt(np.maximum(rolling_mean(term, n), 0.0)))


def _rs_term(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    return _log_ratio(h, c) * _log_ratio(h, o) + _log_ratio(lo, c) * _log_ratio(lo, o)


def rogers_satchell(
    open_: ArrayLike, high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 20
) -> ArrayLike:
    """Rogers-Satchell (drift-independent): ``sqrt(mean(ln(H/C) ln(H/O) + ln(L/C) ln(L/O)))``."""
    o, h, lo, c = (as_panel(a) for a in (open_, high, low, close))
    return restore(close, np.sqrt(np.maximum(rolling_mean(_rs_term(o, h, lo, c), n), 0.0)))


def yang_zhang(
    open_: ArrayLike, high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 20
) -> ArrayLike:
    """Yang-Zhang: ``sqrt(var_overnight + k var_open_to_close + (1 - k) var_RS)``.

    ``var_overnight`` is the sample variance of ``ln(O_t / C_{t-1})``, ``var_open_to_close`` of
    ``ln(C_t / O_t)``, ``var_RS`` the Rogers-Satchell mean, all over ``n`` bars, and
    ``k = 0.34 / (1.34 + (n + 1) / (n - 1))``. Needs ``n >= 2``.
    """
    if n < 2:
        raise ValueError(f"yang_zhang needs n >= 2, got {n}.")
    o, h, lo, c = (as_panel(a) for a in (open_, high, low, close))
    k = 0.34 / (1.34 + (n + 1) / (n - 1))
    overnight = rolling_var(_log_ratio(o, shift(c, 1)), n)
    intraday = rolling_var(_log_ratio(c, o), n)
    rs = rolling_mean(_rs_term(o, h, lo, c), n)
    return restore(close, np.sqrt(np.maximum(overnight + k * intraday + (1 - k) * rs, 0.0)))
