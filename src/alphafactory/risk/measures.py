"""Value at risk and conditional value at risk over a trailing window, vectorized and causal.

Conventions
-----------
Returns are simple per-bar returns; VaR and CVaR are *losses*, reported as positive fractions
(a 99% VaR of 0.03 means a 1% chance of losing more than 3% over the next bar). The estimate at
bar t uses the ``window`` returns ``r[t-window+1 .. t]`` and nothing later: it forecasts the
return of bar t+1 (see :mod:`alphafactory.risk.var_backtest`). A window holding a NaN gives NaN.
With ``a = 1 - level`` (0.05 or 0.01), ``z_a = Phi^-1(a)`` (negative) and ``phi`` the standard
normal density:

``historical``
    Sorted window ``x_(1) <= ... <= x_(W)``, ``h = (W - 1) a``, ``k = floor(h) + 1``:
    ``VaR = -(x_(k) + (h - floor h)(x_(k+1) - x_(k)))`` (numpy's linear quantile) and
    ``CVaR = -mean(x_(1..k))`` (the returns at or below the VaR quantile).
``gaussian``
    Sample mean ``mu`` and standard deviation ``s`` (ddof 1):
    ``VaR = -(mu + s z_a)``, ``CVaR = -mu + s phi(z_a) / a``.
``cornish_fisher``
    The Gaussian quantile corrected by the sample skewness ``S`` and excess kurtosis ``K``
    (biased moments):
    ``z_cf(u) = z + (z^2 - 1) S/6 + (z^3 - 3 z) K/24 - (2 z^3 - 5 z) S^2/36``
    with ``z = Phi^-1(u)``; ``VaR = -(mu + s z_cf(a))`` and
    ``CVaR = -(mu + s * (1/a) int_0^a z_cf(u) du)``, in closed form (with ``c = z_a``)
    ``(1/a) int_0^a z_cf = -(phi(c)/a)(1 + c S/6 + (c^2 - 1) K/24 - (2 c^2 - 1) S^2/36)``.
``ewma``
    RiskMetrics variance with decay ``lam`` (zero mean), seeded inside the window with
    ``v_0 = mean(x^2)``: ``v_j = lam v_(j-1) + (1 - lam) x_j^2``; ``sigma = sqrt(v_W)`` forecasts
    bar t+1: ``VaR = -sigma z_a``, ``CVaR = sigma phi(z_a) / a``.
``fhs``
    Filtered historical simulation (Barone-Adesi et al. 1999): standardized residuals
    ``e_j = x_j / sqrt(v_(j-1))`` of the same EWMA, rescaled by the forecast ``sigma``:
    ``VaR = -sigma q_a(e)`` and ``CVaR = -sigma mean(e_(1..k))``, both as in ``historical``.

All five are positively homogeneous: scaling every return by ``c > 0`` scales VaR and CVaR by
``c`` (what :class:`alphafactory.risk.VaRLimit` relies on to scale a proposal down).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import lfilter
from scipy.stats import norm

Method = Literal["historical", "gaussian", "cornish_fisher", "ewma", "fhs"]
METHODS: tuple[str, ...] = ("historical", "gaussian", "cornish_fisher", "ewma", "fhs")
_CHUNK_CELLS = 1 << 22  # window cells per chunk (32 MiB of float64)


@dataclass(frozen=True, kw_only=True, slots=True)
class RiskEstimate:
    """Rolling VaR and CVaR of returns: ``var`` and ``cvar``, same shape and index as the input."""

    var: pd.DataFrame | pd.Series
    cvar: pd.DataFrame | pd.Series
    method: str
    level: float
    window: int


def window_var_cvar(
    windows: np.ndarray, *, method: Method = "historical", level: float = 0.99, lam: float = 0.94
) -> tuple[np.ndarray, np.ndarray]:
    """VaR and CVaR of each window of returns (the last axis), as positive losses.

    Parameters
    ----------
    windows : ndarray
        ``[..., W]`` returns, oldest first; any NaN in a window makes its estimates NaN.
    method, level, lam
        See the module docstring.

    Returns
    -------
    (ndarray, ndarray)
        VaR and CVaR, each of shape ``windows.shape[:-1]``.
    """
    _check(method, level, lam)
    x = np.asarray(windows, dtype=np.float64)
    if x.shape[-1] < 2:
        raise ValueError(f"a VaR window needs at least 2 returns, got {x.shape[-1]}.")
    a = 1.0 - level
    bad = np.isnan(x).any(axis=-1)
    x = np.where(bad[..., None], 0.0, x)
    if method == "historical":
        var, cvar = _empirical(x, a)
    elif method in ("gaussian", "cornish_fisher"):
        mu = x.mean(axis=-1)
        s = x.std(axis=-1, ddof=1)
        if method == "gaussian":
            z = norm.ppf(a)
            var, cvar = -(mu + s * z), -mu + s * norm.pdf(z) / a
        else:
            dev = x - mu[..., None]
            m2 = (dev**2).mean(axis=-1)
            with np.errstate(divide="ignore", invalid="ignore"):
                skew = np.where(m2 > 0, (dev**3).mean(axis=-1) / m2**1.5, 0.0)
                kurt = np.where(m2 > 0, (dev**4).mean(axis=-1) / m2**2 - 3.0, 0.0)
            var = -(mu + s * _cornish_fisher(np.array(a), skew, kurt))
            z = norm.ppf(a)
            tail = -norm.pdf(z) / a * (
                1.0 + z * skew / 6.0 + (z**2 - 1.0) * kurt / 24.0
                - (2.0 * z**2 - 1.0) * skew**2 / 36.0
            )
            cvar = -(mu + s * tail)
    else:
        v = _ewma_variance(x, lam)
        sigma = np.sqrt(v[..., -1])
        if method == "ewma":
            z = norm.ppf(a)
            var, cvar = -sigma * z, sigma * norm.pdf(z) / a
        else:
            previous = np.concatenate([np.mean(x**2, axis=-1, keepdims=True), v[..., :-1]], -1)
            with np.errstate(divide="ignore", invalid="ignore"):
                resid = np.where(previous > 0, x / np.sqrt(previous), 0.0)
            q, tail = _empirical(resid, a)
            var, cvar = sigma * q, sigma * tail
    return np.where(bad, np.nan, var), np.where(bad, np.nan, cvar)


def rolling_var(
    returns: pd.Series | pd.DataFrame,
    *,
    method: Method = "historical",
    level: float = 0.99,
    window: int = 250,
    lam: float = 0.94,
) -> RiskEstimate:
    """Rolling VaR and CVaR of each column of ``returns`` (per position), causal.

    Parameters
    ----------
    returns : Series or DataFrame
        Per-bar simple returns, ``T`` or ``T x N`` (one column a position or a portfolio).
    method : {"historical", "gaussian", "cornish_fisher", "ewma", "fhs"}
        Estimator (formulas in the module docstring).
    level : float
        Confidence level in (0.5, 1), e.g. 0.95 or 0.99.
    window : int
        Trailing returns per estimate; the first ``window - 1`` bars are NaN.
    lam : float
        EWMA decay in (0, 1) for ``ewma`` and ``fhs`` (RiskMetrics daily: 0.94).

    Returns
    -------
    RiskEstimate
        ``var`` and ``cvar`` shaped like ``returns``; row t forecasts the loss of bar t+1.
    """
    _check(method, level, lam)
    if window < 2:
        raise ValueError(f"window must be at least 2 bars, got {window}.")
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    x = np.asarray(frame.to_numpy(dtype=np.float64))
    n_bars, n_cols = x.shape
    var = np.full((n_bars, n_cols), np.nan)
    cvar = np.full((n_bars, n_cols), np.nan)
    if n_bars >= window:
        views = sliding_window_view(x, window, axis=0)  # [T - W + 1, N, W], no copy
        for start, stop in _chunks(len(views), n_cols * window):
            v, c = window_var_cvar(views[start:stop], method=method, level=level, lam=lam)
            var[window - 1 + start : window - 1 + stop] = v
            cvar[window - 1 + start : window - 1 + stop] = c
    if isinstance(returns, pd.Series):
        out_var = pd.Series(var[:, 0], index=returns.index, name="var")
        out_cvar = pd.Series(cvar[:, 0], index=returns.index, name="cvar")
    else:
        out_var = pd.DataFrame(var, index=frame.index, columns=frame.columns)
        out_cvar = pd.DataFrame(cvar, index=frame.index, columns=frame.columns)
    return RiskEstimate(var=out_var, cvar=out_cvar, method=method, level=level, window=window)


def portfolio_returns(returns: pd.DataFrame, weights: pd.DataFrame) -> pd.Series:
    """Returns of a book holding ``weights`` decided at the previous bar.

    ``r_p[t] = sum_i w[t-1, i] r[t, i]`` (NaN returns and weights count as 0); the first bar is
    NaN. Rows of ``weights`` missing from ``returns``' index are ignored, missing ones hold.
    """
    held = weights.reindex(index=returns.index, columns=returns.columns).ffill().shift(1)
    values = (held.fillna(0.0).to_numpy() * returns.fillna(0.0).to_numpy()).sum(axis=1)
    out = pd.Series(values, index=returns.index, name="portfolio")
    out.iloc[:1] = np.nan
    return out


def portfolio_var(
    returns: pd.DataFrame,
    weights: pd.DataFrame,
    *,
    method: Method = "historical",
    level: float = 0.99,
    window: int = 250,
    lam: float = 0.94,
) -> RiskEstimate:
    """Rolling VaR and CVaR of the portfolio's returns (:func:`portfolio_returns`), causal."""
    return rolling_var(
        portfolio_returns(returns, weights), method=method, level=level, window=window, lam=lam
    )


def proposal_var(
    window_returns: np.ndarray,
    weights: np.ndarray,
    *,
    method: Method = "historical",
    level: float = 0.99,
    lam: float = 0.94,
) -> tuple[float, float]:
    """Ex-ante VaR and CVaR of holding ``weights`` over the last bars' returns.

    The scenarios are ``window_returns @ weights`` (``[W, N] @ [N]``, NaN returns as 0): the
    returns the proposed book would have had (historical simulation of the current book).
    """
    x = np.asarray(window_returns, dtype=np.float64)
    if np.isnan(x).any():
        x = np.where(np.isnan(x), 0.0, x)
    scenarios = x @ np.asarray(weights, dtype=np.float64)
    var, cvar = window_var_cvar(scenarios, method=method, level=level, lam=lam)
    return float(var), float(cvar)


def _empirical(x: np.ndarray, a: float) -> tuple[np.ndarray, np.ndarray]:
    ordered = np.sort(x, axis=-1)
    h = (x.shape[-1] - 1) * a
    lo = int(np.floor(h))
    hi = min(lo + 1, x.shape[-1] - 1)
    quantile = ordered[..., lo] + (h - lo) * (ordered[..., hi] - ordered[..., lo])
    return -quantile, -ordered[..., : lo + 1].mean(axis=-1)


def _ewma_variance(x: np.ndarray, lam: float) -> np.ndarray:
    """``v_j = lam v_(j-1) + (1 - lam) x_j^2`` along the last axis from ``v_0 = mean(x^2)``."""
    squared = x**2
    seed = squared.mean(axis=-1, keepdims=True)
    out, _ = lfilter([1.0 - lam], [1.0, -lam], squared, axis=-1, zi=lam * seed)
    return out


def _cornish_fisher(u: np.ndarray, skew: np.ndarray, kurt: np.ndarray) -> np.ndarray:
    z = norm.ppf(u)
    return (
        z
        + (z**2 - 1.0) * skew / 6.0
        + (z**3 - 3.0 * z) * kurt / 24.0
        - (2.0 * z**3 - 5.0 * z) * skew**2 / 36.0
    )


def _chunks(n: int, cells_per_row: int) -> Iterator[tuple[int, int]]:
    step = max(1, _CHUNK_CELLS // max(cells_per_row, 1))
    for start in range(0, n, step):
        yield start, min(n, start + step)


def _check(method: str, level: float, lam: float) -> None:
    if method not in METHODS:
        raise ValueError(f"VaR method must be one of {list(METHODS)}, got {method!r}.")
    if not 0.5 < level < 1.0:
        raise ValueError(f"VaR level must be in (0.5, 1), e.g. 0.99, got {level}.")
    if not 0.0 < lam < 1.0:
        raise ValueError(f"EWMA decay lam must be in (0, 1), got {lam}.")
