"""Small statistical kernels without a SciPy dependency: normal CDF/PPF, moments, HAC variance."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

_STANDARD_NORMAL = NormalDist()
EULER_GAMMA = 0.5772156649015329


def norm_cdf(x: float) -> float:
    """Standard normal CDF ``Phi(x)``; ``0`` or ``1`` at minus or plus infinity."""
    if np.isnan(x):
        return float("nan")
    return _STANDARD_NORMAL.cdf(float(x))


def norm_ppf(p: float) -> float:
    """Standard normal quantile ``Phi^-1(p)`` for ``p`` in ``(0, 1)``."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"norm_ppf needs a probability strictly between 0 and 1; got {p!r}.")
    return _STANDARD_NORMAL.inv_cdf(float(p))


def skew_kurtosis(x: np.ndarray) -> tuple[float, float]:
    """Return the sample skewness ``m3 / m2^1.5`` and (non-excess) kurtosis ``m4 / m2^2``.

    ``m_k = mean((x - mean(x))^k)`` are the biased central moments, as in Bailey and
    Lopez de Prado (2012, 2014). A constant sample gives ``(0, 3)`` (the normal values).
    """
    centred = x - x.mean()
    m2 = float(np.mean(centred**2))
    if m2 == 0.0:
        return 0.0, 3.0
    return float(np.mean(centred**3) / m2**1.5), float(np.mean(centred**4) / m2**2)


def newey_west_variance(x: np.ndarray, lags: int) -> float:
    """Long-run variance ``S`` of ``x`` with Bartlett weights (Newey and West 1987).

    ``S = n/(n-1) * (g_0 + 2 * sum_{l=1..L} (1 - l/(L+1)) * g_l)`` with the autocovariances
    ``g_l = (1/n) * sum_{t>l} (x_t - xbar)(x_{t-l} - xbar)``. The factor ``n/(n-1)`` makes
    ``L = 0`` equal the usual sample variance (ddof=1), so ``sqrt(S / n)`` is then ``s/sqrt(n)``.
    """
    n = len(x)
    if n < 2:
        return float("nan")
    lags = min(int(lags), n - 1)
    centred = x - x.mean()
    total = float(centred @ centred) / n
    for lag in range(1, lags + 1):
        weight = 1.0 - lag / (lags + 1.0)
        total += 2.0 * weight * float(centred[lag:] @ centred[:-lag]) / n
    return total * n / (n - 1)
