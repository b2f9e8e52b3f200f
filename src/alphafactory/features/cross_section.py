"""Cross-sectional transforms (per timestamp, across symbols) and market co-movement.

Own kernels on wide ``T x N`` arrays, vectorized numpy: each row is one timestamp, so the value
at ``t`` uses row ``t`` only (and rolling windows of past rows for beta and correlation).
"""

from __future__ import annotations

import numpy as np

from alphafactory.features._arraylike import ArrayLike, as_panel, restore
from alphafactory.features.rolling import rolling_cov, rolling_var

__all__ = ["cs_demean", "cs_rank", "cs_zscore", "market_return", "rolling_beta"]


def _row_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    finite = np.isfinite(x)
    count = finite.sum(axis=1, keepdims=True)
    safe = np.maximum(count, 1)
    filled = np.where(finite, x, 0.0)
    mean = filled.sum(axis=1, keepdims=True) / safe
    dev = np.where(finite, x - mean, 0.0)
    var = (dev * dev).sum(axis=1, keepdims=True) / np.maximum(count - 1, 1)
    return mean, np.sqrt(var), count


def _row_ranks(arr: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, as floats) within each row; NaN stays NaN, +-inf are ranked.

    The same numbers as ``DataFrame.rank(axis=1, method="average")`` (an average of
    consecutive integers is exact in float64) from one sort of every row at once.
    """
    a = np.ascontiguousarray(arr)  # rows contiguous for the sort
    n_time, n_sym = a.shape
    order = np.argsort(a, axis=1)  # NaN sort last
    ordered = np.take_along_axis(a, order, axis=1)
    pos = np.arange(n_sym)
    starts = np.ones((n_time, n_sym), dtype=bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]  # ties (0.0 == -0.0) share a group
    ends = np.ones_like(starts)
    ends[:, :-1] = starts[:, 1:]
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, pos, n_sym)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty((n_time, n_sym))
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=1)
    ranks[np.isnan(a)] = np.nan
    return ranks


def cs_rank(x: ArrayLike) -> ArrayLike:
    """Cross-sectional percentile rank per timestamp, scaled to ``[-0.5, 0.5]``.

    Ties get their average rank; NaN stays NaN; a timestamp with one finite value gets 0.
    """
    arr = as_panel(x)
    ranks = _row_ranks(arr)
    count = np.isfinite(arr).sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(count > 1, (ranks - 1.0) / (count - 1.0) - 0.5, 0.0)
    return restore(x, np.where(np.isfinite(arr), scaled, np.nan))


def cs_zscore(x: ArrayLike, clip: float | None = 5.0) -> ArrayLike:
    """Cross-sectional z-score per timestamp (sample std), clipped to ``[-clip, clip]``.

    NaN where the value is NaN or the timestamp has fewer than 2 finite values or zero spread.
    """
    arr = as_panel(x)
    mean, std, count = _row_stats(arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where((count > 1) & (std > 0), (arr - mean) / std, np.nan)
    if clip is not None:
        z = np.clip(z, -clip, clip)
    return restore(x, z)


def cs_demean(x: ArrayLike) -> ArrayLike:
    """Subtract the cross-sectional mean of the finite values at each timestamp."""
    arr = as_panel(x)
    mean, _, _ = _row_stats(arr)
    return restore(x, arr - mean)


def market_return(returns: ArrayLike, weights: ArrayLike | None = None) -> np.ndarray:
    """Market return per timestamp, ``[T]``: equal-weight (or ``weights``-weighted) mean of the
    finite returns; NaN where no symbol has one. ``weights`` (``[T, N]``, e.g. lagged market
    cap) must be known at ``t``."""
    r = as_panel(returns, "returns")
    w = np.ones_like(r) if weights is None else as_panel(weights, "weights")
    ok = np.isfinite(r) & np.isfinite(w)
    wsum = np.where(ok, w, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mkt = np.where(ok, r * w, 0.0).sum(axis=1) / wsum
    return np.where(wsum > 0, mkt, np.nan)


def rolling_beta(returns: ArrayLike, market: ArrayLike, n: int = 60) -> ArrayLike:
    """Rolling OLS beta of each column on ``market`` (``[T]``) over the last ``n`` bars."""
    r = as_panel(returns, "returns")
    m = np.asarray(market, dtype=np.float64).reshape(-1)
    cov = rolling_cov(r, m, n)
    var = rolling_var(np.broadcast_to(m[:, None], r.shape) + np.where(np.isnan(r), np.nan, 0.0), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.where(var > 0, cov / var, np.nan)
    return restore(returns, beta)


