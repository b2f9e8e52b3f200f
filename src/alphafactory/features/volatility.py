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
    "garman_klass_term",
    "log_ratio",
    "mean_vol_from_term",
    "parkinson",
    "parkinson_from_term",
    "parkinson_term",
    "rogers_satchell",
    "rs_term",
    "yang_zhang",
    "yang_zhang_from_terms",
]


def log_ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``ln(a / b)`` without warnings (NaN or inf where undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(a / b)


def close_to_close(close: ArrayLike, n: int = 20) -> ArrayLike:
    """Sample standard deviation (ddof=1) of the last ``n`` one-bar log close returns."""
    c = as_panel(close, "close")
    return restore(close, np.sqrt(rolling_var(log_ratio(c, shift(c, 1)), n)))


# Per-bar terms and their window statistics, apart so that a caller computing several windows
# (the volatility family) computes each term's logarithms once.


def parkinson_term(h: np.ndarray, lo: np.ndarray) -> np.ndarray:
    hl = log_ratio(h, lo)
    return hl * hl


def parkinson_from_term(term: np.ndarray, n: int) -> np.ndarray:
    return np.sqrt(rolling_mean(term, n) / (4.0 * np.log(2.0)))


def garman_klass_term(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    hl, co = log_ratio(h, lo), log_ratio(c, o)
    return 0.5 * hl * hl - (2.0 * np.log(2.0) - 1.0) * co * co


def mean_vol_from_term(term: np.ndarray, n: int) -> np.ndarray:
    """``sqrt(max(rolling mean of a per-bar variance term, 0))`` (Garman-Klass, RS)."""
    return np.sqrt(np.maximum(rolling_mean(term, n), 0.0))


def rs_term(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> np.ndarray:
    return log_ratio(h, c) * log_ratio(h, o) + log_ratio(lo, c) * log_ratio(lo, o)


def yang_zhang_from_terms(
    overnight: np.ndarray, intraday: np.ndarray, rs: np.ndarray, n: int
) -> np.ndarray:
    """Yang-Zhang from ``ln(O_t / C_t-1)``, ``ln(C_t / O_t)`` and the Rogers-Satchell term."""
    if n < 2:
        raise ValueError(f"yang_zhang needs n >= 2, got {n}.")
    k = 0.34 / (1.34 + (n + 1) / (n - 1))
    var_overnight = rolling_var(overnight, n)
    var_intraday = rolling_var(intraday, n)
    var_rs = rolling_mean(rs, n)
    return np.sqrt(np.maximum(var_overnight + k * var_intraday + (1 - k) * var_rs, 0.0))


def parkinson(high: ArrayLike, low: ArrayLike, n: int = 20) -> ArrayLike:
    """Parkinson's range estimator: ``sqrt(mean(ln(H/L)^2) / (4 ln 2))`` over ``n`` bars."""
    term = parkinson_term(as_panel(high, "high"), as_panel(low, "low"))
    return restore(high, parkinson_from_term(term, n))


def garman_klass(
    open_: ArrayLike, high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 20
) -> ArrayLike:
    """Garman-Klass: ``sqrt(mean(0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2))`` over ``n`` bars.

    Negative window means (possible on tiny ranges) are floored at 0.
    """
    o, h, lo, c = (as_panel(a) for a in (open_, high, low, close))
    return restore(close, mean_vol_from_term(garman_klass_term(o, h, lo, c), n))


def rogers_satchell(
    open_: ArrayLike, high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 20
) -> ArrayLike:
    """Rogers-Satchell (drift-independent): ``sqrt(mean(ln(H/C) ln(H/O) + ln(L/C) ln(L/O)))``."""
    o, h, lo, c = (as_panel(a) for a in (open_, high, low, close))
    return restore(close, mean_vol_from_term(rs_term(o, h, lo, c), n))


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
    return restore(close, yang_zhang_from_terms(
        log_ratio(o, shift(c, 1)), log_ratio(c, o), rs_term(o, h, lo, c), n))
