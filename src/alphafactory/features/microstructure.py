"""Market-microstructure proxies estimated from OHLCV bars, on ``T x N`` panels.

Own kernels (TA-Lib has none of them), vectorized numpy over wide arrays with prefix-sum rolling
windows; no per-row Python. The value at ``t`` uses bars ``t-n+1 .. t`` (and ``t-n`` where a
price change is needed).

References: Amihud (2002); Roll (1984); Corwin and Schultz (2012); Kyle (1985) with lambda as a
rolling regression slope; Easley, Lopez de Prado and O'Hara (2012) for bulk-volume VPIN.
"""

from __future__ import annotations

import numpy as np

from alphafactory.features._arraylike import ArrayLike, as_panel, restore
from alphafactory.features.rolling import rolling_cov, rolling_mean, rolling_std, rolling_sum, shift

__all__ = [
    "amihud",
    "amihud_term",
    "corwin_schultz",
    "corwin_schultz_spread",
    "kyle_lambda",
    "normal_cdf",
    "order_flow_imbalance",
    "roll_spread",
    "vpin",
]


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF, vectorized (Abramowitz-Stegun 7.1.26 erf, abs. error < 1.5e-7)."""
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return a / b


def amihud_term(c: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per-bar ``|C_t / C_t-1 - 1| / (C_t V_t)`` (NaN for zero traded value), ``[T, N]``."""
    ret = np.abs(_ratio(c, shift(c, 1)) - 1.0)
    dollar = c * v
    return np.where(dollar > 0, _ratio(ret, dollar), np.nan)


def amihud(close: ArrayLike, volume: ArrayLike, n: int = 20) -> ArrayLike:
    """Amihud illiquidity: mean over ``n`` bars of ``|r_t| / (close_t * volume_t)``.

    ``r_t`` is the simple close-to-close return; units are return per unit of traded value.
    Bars with zero traded value make the window NaN.
    """
    term = amihud_term(as_panel(close, "close"), as_panel(volume, "volume"))
    return restore(close, rolling_mean(term, n))


def roll_spread(price: ArrayLike, n: int = 20) -> ArrayLike:
    """Roll's spread: ``2 sqrt(-cov(dp_t, dp_{t-1}))`` over ``n`` bars, 0 when the cov >= 0.

    Given prices the spread is in price units; given log prices it is a relative spread.
    """
    p = as_panel(price, "price")
    dp = p - shift(p, 1)
    cov = rolling_cov(dp, shift(dp, 1), n)
    return restore(price, np.where(np.isnan(cov), np.nan, 2.0 * np.sqrt(np.maximum(-cov, 0.0))))


def corwin_schultz_spread(h: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Per-pair-of-bars Corwin-Schultz spread estimate (before the window mean), ``[T, N]``."""
    h1, l1 = shift(h, 1), shift(lo, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.log(h / lo) ** 2 + np.log(h1 / l1) ** 2
        gamma = np.log(np.maximum(h, h1) / np.minimum(lo, l1)) ** 2
    denom = 3.0 - 2.0 * np.sqrt(2.0)
    alpha = (np.sqrt(2.0 * beta) - np.sqrt(beta)) / denom - np.sqrt(gamma / denom)
    ea = np.exp(alpha)
    spread = np.maximum(2.0 * (ea - 1.0) / (1.0 + ea), 0.0)
    return np.where(np.isfinite(alpha), spread, np.nan)


def corwin_schultz(high: ArrayLike, low: ArrayLike, n: int = 20) -> ArrayLike:
    """Corwin-Schultz high-low spread estimate, averaged over ``n`` bars.

    For each pair of bars ``(t-1, t)``: ``beta = ln(H_t/L_t)^2 + ln(H_{t-1}/L_{t-1})^2``,
    ``gamma = ln(max(H_t, H_{t-1}) / min(L_t, L_{t-1}))^2``,
    ``alpha = (sqrt(2 beta) - sqrt(beta)) / (3 - 2 sqrt 2) - sqrt(gamma / (3 - 2 sqrt 2))``,
    ``S = 2 (e^alpha - 1) / (1 + e^alpha)``, negative estimates set to 0 (as in the paper).
    Returns a relative spread (fraction of price).
    """
    h, lo = as_panel(high, "high"), as_panel(low, "low")
    return restore(high, rolling_mean(corwin_schultz_spread(h, lo), n))


def kyle_lambda(returns: ArrayLike, signed_volume: ArrayLike, n: int = 20) -> ArrayLike:
    """Kyle's lambda: rolling OLS slope of ``returns`` on ``signed_volume`` over ``n`` bars.

    ``lambda = cov(r, q) / var(q)``; NaN when the signed volume has no variance in the window.
    With bars only, ``q`` is usually ``sign(close_t - close_{t-1}) * volume_t`` (tick rule).
    """
    r, q = as_panel(returns, "returns"), as_panel(signed_volume, "signed_volume")
    cov = rolling_cov(r, q, n)
    var = rolling_cov(q, q, n)
    return restore(returns, np.where(var > 0, _ratio(cov, var), np.nan))


def vpin(close: ArrayLike, volume: ArrayLike, n: int = 50, sigma_window: int = 50) -> ArrayLike:
    """Bulk-volume VPIN over ``n`` bars: ``sum |V_buy - V_sell| / sum V``.

    Each bar's volume is split by bulk classification, ``V_buy = V * Phi(dp / sigma)``, where
    ``dp`` is the bar's log close change and ``sigma`` the std of ``dp`` over the
    ``sigma_window`` bars ending at ``t``. In ``[0, 1]``; higher means more one-sided flow.
    """
    c, v = as_panel(close, "close"), as_panel(volume, "volume")
    with np.errstate(divide="ignore", invalid="ignore"):
        dp = np.log(c / shift(c, 1))
    sigma = rolling_std(dp, sigma_window)
    z = np.where(sigma > 0, _ratio(dp, sigma), np.where(np.isnan(sigma), np.nan, 0.0))
    buy = v * normal_cdf(z)
    imbalance = np.abs(2.0 * buy - v)
    total = rolling_sum(v, n)
    return restore(close, np.where(total > 0, _ratio(rolling_sum(imbalance, n), total), np.nan))


def order_flow_imbalance(
    open_: ArrayLike, high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike,
    n: int = 20,
) -> ArrayLike:
    """Order-flow imbalance proxy in ``[-1, 1]``: ``sum(V_t (C_t - O_t) / (H_t - L_t)) / sum V_t``.

    Each bar's volume is signed by where the close sits relative to the open within the bar's
    range (0 for a bar with no range).
    """
    o, h, lo, c, v = (as_panel(a) for a in (open_, high, low, close, volume))
    rng = h - lo
    frac = np.where(rng > 0, _ratio(c - o, rng), np.where(np.isnan(rng), np.nan, 0.0))
    total = rolling_sum(v, n)
    return restore(close, np.where(total > 0, _ratio(rolling_sum(v * frac, n), total), np.nan))
