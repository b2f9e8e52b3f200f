"""Rolling-window kernels on wide ``T x N`` arrays (time on axis 0), vectorized numpy.

Our own kernels are vectorized numpy: every window statistic here is a difference of prefix
sums along time, so one pass costs O(T x N) whatever the window, with no per-row Python. The
prefix sums come from a compiled loop (``_engine.cumsum_columns``) that makes numpy's cumsum
additions in numpy's order, several columns at a time (one column's running sum is a chain of
dependent additions, 4-5x slower in numpy). A window is valid only when all of its ``n`` values
are finite; otherwise the output is NaN (so NaN before a symbol's first bar and after its last
propagates).

Prefix sums make every output at ``t`` a function of rows ``<= t`` only, and truncating the input
after ``t`` leaves the output at ``t`` bit-identical, which ``check_causal`` relies on. Second and
higher moments are computed on values minus the column's first finite value (a causal anchor) to
limit cancellation.
"""

from __future__ import annotations

import numpy as np

from alphafactory import _engine

__all__ = [
    "rolling_corr",
    "rolling_cov",
    "rolling_mean",
    "rolling_moments",
    "rolling_std",
    "rolling_sum",
    "rolling_var",
    "shift",
]


def _as_float(x: np.ndarray) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim not in (1, 2):
        raise ValueError(f"Expected a 1-D series or a 2-D [T, N] panel, got shape {arr.shape}.")
    return arr


def _check_window(n: int) -> int:
    if int(n) != n or n < 1:
        raise ValueError(f"Window must be a positive integer number of bars, got {n!r}.")
    return int(n)


def _like(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``y`` shaped like ``a``: same shape, or a ``[T]`` series broadcast over columns."""
    b = _as_float(y)
    if b.shape == a.shape:
        return b
    if b.size == len(a):
        return np.broadcast_to(b.reshape(len(a), *([1] * (a.ndim - 1))), a.shape)
    raise ValueError(f"Second input has shape {b.shape}; expected {a.shape} or ({len(a)},).")


def _cumsum(x: np.ndarray) -> np.ndarray:
    """``np.cumsum(x, axis=0)``, bit for bit (float64 1-D or 2-D through the compiled loop)."""
    if x.dtype != np.float64 or x.ndim not in (1, 2) or x.size == 0:
        return np.cumsum(x, axis=0)
    out = np.empty_like(x)
    if x.ndim == 1:
        _engine.cumsum_columns(x[:, None], out[:, None])
    else:
        _engine.cumsum_columns(x, out)
    return out


def _window_diff(cs: np.ndarray, n: int) -> np.ndarray:
    """``out[t] = cs[t] - cs[t - n]`` with ``cs[-1] = 0`` (prefix sums to window sums)."""
    out = np.empty_like(cs)  # cs's memory order: no transposing copy of column-major sums
    out[:n] = cs[:n]
    np.subtract(cs[n:], cs[:-n], out=out[n:])
    return out


def _anchor(x: np.ndarray) -> np.ndarray:
    """First finite value of each column (0 where none): a causal centring constant."""
    finite = np.isfinite(x)
    first = np.argmax(finite, axis=0)
    anchor = np.take_along_axis(x, np.expand_dims(first, 0), axis=0)[0]
    return np.where(np.isfinite(anchor), anchor, 0.0)


def _full_windows(valid: np.ndarray, n: int) -> np.ndarray:
    """Where the ``n`` rows ending at ``t`` are all valid.

    When each column's valid rows form one block (a symbol listed late, delisted early, a
    warm-up), this needs no prefix count; otherwise it counts with a cumulative sum.
    """
    n_time = len(valid)
    first = np.argmax(valid, axis=0)
    last = n_time - 1 - np.argmax(valid[::-1], axis=0)
    any_valid = valid.any(axis=0)
    if (valid.sum(axis=0) == np.where(any_valid, last - first + 1, 0)).all():
        t = np.arange(n_time).reshape(-1, *([1] * (valid.ndim - 1)))
        return (t >= first + n - 1) & (t <= last) & any_valid
    count = _window_diff(np.cumsum(valid, axis=0, dtype=np.int32), n)
    return count == n


def _window_sums(
    values: list[np.ndarray], n: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """Window sums of each array over rows where all arrays are finite, and the valid mask."""
    valid = np.isfinite(values[0])
    for v in values[1:]:
        valid &= np.isfinite(v)
    if valid.all():  # common fast path: only the first n - 1 rows lack a full window
        full = np.zeros(valid.shape, dtype=bool)
        full[n - 1 :] = True
        sums = [_window_diff(_cumsum(v), n) for v in values]
        return sums, full
    full = _full_windows(valid, n)
    sums = [_window_diff(_cumsum(np.where(valid, v, 0.0)), n) for v in values]
    return sums, full


def shift(x: np.ndarray, k: int) -> np.ndarray:
    """Shift along time: ``out[t] = x[t - k]`` (``k > 0`` looks back), NaN where undefined."""
    arr = _as_float(x)
    out = np.full_like(arr, np.nan)
    if k == 0:
        out[:] = arr
    elif 0 < k < len(arr):
        out[k:] = arr[:-k]
    elif -len(arr) < k < 0:
        out[:k] = arr[-k:]
    return out


def rolling_sum(x: np.ndarray, n: int) -> np.ndarray:
    """Sum of the last ``n`` values (rows ``t-n+1 .. t``), NaN unless all are finite."""
    arr, n = _as_float(x), _check_window(n)
    (s,), full = _window_sums([arr], n)
    return np.where(full, s, np.nan)


def rolling_mean(x: np.ndarray, n: int) -> np.ndarray:
    """Mean of the last ``n`` values, NaN unless all are finite."""
    return rolling_sum(x, n) / n


def rolling_var(x: np.ndarray, n: int, ddof: int = 1) -> np.ndarray:
    """Variance of the last ``n`` values (``ddof`` as in numpy), NaN unless all are finite."""
    arr, n = _as_float(x), _check_window(n)
    if n - ddof <= 0:
        raise ValueError(f"rolling_var needs n > ddof; got n={n}, ddof={ddof}.")
    d = arr - _anchor(arr)
    (s1, s2), full = _window_sums([d, d * d], n)
    var = np.maximum((s2 - s1 * s1 / n) / (n - ddof), 0.0)
    return np.where(full, var, np.nan)


def rolling_std(x: np.ndarray, n: int, ddof: int = 1) -> np.ndarray:
    """Standard deviation of the last ``n`` values, NaN unless all are finite."""
    return np.sqrt(rolling_var(x, n, ddof))


def rolling_cov(x: np.ndarray, y: np.ndarray, n: int, ddof: int = 1) -> np.ndarray:
    """Covariance of ``x`` and ``y`` over the last ``n`` rows where both are finite.

    ``y`` may be ``[T]`` or ``[T, 1]`` (e.g. a market series) and broadcasts over columns.
    """
    a, n = _as_float(x), _check_window(n)
    b = _like(a, y)
    da, db = a - _anchor(a), b - _anchor(np.ascontiguousarray(b))
    (sa, sb, sab), full = _window_sums([da, db, da * db], n)
    return np.where(full, (sab - sa * sb / n) / (n - ddof), np.nan)


def rolling_corr(x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Pearson correlation over the last ``n`` jointly finite rows (NaN on zero variance)."""
    a, n = _as_float(x), _check_window(n)
    b = _like(a, y)
    da, db = a - _anchor(a), b - _anchor(np.ascontiguousarray(b))
    (sa, sb, saa, sbb, sab), full = _window_sums([da, db, da * da, db * db, da * db], n)
    va = saa - sa * sa / n
    vb = sbb - sb * sb / n
    cov = sab - sa * sb / n
    denom = np.sqrt(np.maximum(va, 0.0) * np.maximum(vb, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(denom > 0, cov / denom, np.nan)
    return np.where(full, np.clip(corr, -1.0, 1.0), np.nan)


def rolling_moments(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample skewness and excess kurtosis (population moments) of the last ``n`` values.

    Returns
    -------
    skew, kurt : ndarray
        ``m3 / m2**1.5`` and ``m4 / m2**2 - 3``, NaN unless all ``n`` values are finite or
        when the window has zero variance.
    """
    arr, n = _as_float(x), _check_window(n)
    d = arr - _anchor(arr)
    d2 = d * d
    (s1, s2, s3, s4), full = _window_sums([d, d2, d2 * d, d2 * d2], n)
    mu = s1 / n
    m2 = s2 / n - mu**2
    m3 = s3 / n - 3 * mu * s2 / n + 2 * mu**3
    m4 = s4 / n - 4 * mu * s3 / n + 6 * mu**2 * s2 / n - 3 * mu**4
    ok = full & (m2 > 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = np.where(ok, m3 / np.maximum(m2, 1e-300) ** 1.5, np.nan)
        kurt = np.where(ok, m4 / np.maximum(m2, 1e-300) ** 2 - 3.0, np.nan)
    return skew, kurt
