"""Probabilistic and deflated Sharpe ratios (Bailey and Lopez de Prado 2012, 2014).

All Sharpe ratios here are **per period** (not annualized): ``SR = mean(r - rf) / std(r)``.
Divide an annualized Sharpe by ``sqrt(P)`` and an annualized variance of Sharpes by ``P``.
"""

from __future__ import annotations

import numpy as np

from alphafactory.errors import ConfigError
from alphafactory.evaluation._inputs import ArrayLike, as_series
from alphafactory.evaluation._stats import EULER_GAMMA, norm_cdf, norm_ppf, skew_kurtosis


def psr_from_moments(
    sharpe: float, benchmark: float, n: int, skew: float = 0.0, kurtosis: float = 3.0
) -> float:
    """Probabilistic Sharpe ratio from summary statistics.

    ``PSR = Phi((SR - SR*) * sqrt(n - 1) / sqrt(1 - g3 * SR + (g4 - 1) / 4 * SR^2))``
    with per-period ``SR``, benchmark ``SR*``, ``n`` returns, skewness ``g3`` and
    (non-excess) kurtosis ``g4``.
    """
    if n < 2:
        raise ValueError(f"the PSR needs at least 2 returns; got n={n}.")
    denominator = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if not denominator > 0.0:
        return float("nan")
    return norm_cdf((sharpe - benchmark) * np.sqrt(n - 1.0) / np.sqrt(denominator))


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """Expected maximum per-period Sharpe of ``N`` unskilled trials (the DSR's ``SR_0``).

    ``SR_0 = sqrt(V) * ((1 - gamma) * Phi^-1(1 - 1/N) + gamma * Phi^-1(1 - 1/(N e)))``,
    ``gamma`` the Euler-Mascheroni constant, ``V`` the variance of the trials' Sharpes.
    ``SR_0 = 0`` for a single trial.
    """
    if (isinstance(n_trials, bool) or not isinstance(n_trials, (int, float, np.number))
            or not np.isfinite(n_trials) or int(n_trials) != n_trials or n_trials < 1):
        raise ConfigError(f"n_trials must be an integer >= 1; got {n_trials!r}.")
    if not sharpe_variance >= 0.0:
        raise ValueError(f"sharpe_variance must be >= 0; got {sharpe_variance!r}.")
    if n_trials == 1:
        return 0.0
    z = (1.0 - EULER_GAMMA) * norm_ppf(1.0 - 1.0 / n_trials) + EULER_GAMMA * norm_ppf(
        1.0 - 1.0 / (n_trials * np.e)
    )
    return float(np.sqrt(sharpe_variance) * z)


def _moments(returns: ArrayLike, risk_free: float) -> tuple[float, int, float, float]:
    r = as_series(returns, "returns").to_numpy() - risk_free
    if len(r) < 2:
        raise ValueError(f"the PSR needs at least 2 returns; got {len(r)}.")
    sd = r.std(ddof=1)
    if sd == 0.0:
        raise ValueError("returns are constant; the Sharpe ratio is undefined.")
    skew, kurt = skew_kurtosis(r)
    return float(r.mean() / sd), len(r), skew, kurt


def probabilistic_sharpe_ratio(
    returns: ArrayLike, benchmark: float = 0.0, *, risk_free: float = 0.0
) -> float:
    """Probability that the true Sharpe exceeds ``benchmark`` (Bailey and Lopez de Prado 2012).

    Parameters
    ----------
    returns : Series or array
        Per-period returns (NaN dropped).
    benchmark : float
        ``SR*``, a per-period Sharpe ratio.
    risk_free : float
        Per-period risk-free return subtracted from ``returns``.

    Returns
    -------
    float
        See :func:`psr_from_moments`; sample skewness and kurtosis of ``returns``.
    """
    sharpe, n, skew, kurt = _moments(returns, risk_free)
    return psr_from_moments(sharpe, benchmark, n, skew, kurt)


def deflated_sharpe_ratio(
    returns: ArrayLike,
    n_trials: int,
    sharpe_variance: float | None = None,
    *,
    risk_free: float = 0.0,
) -> float:
    """Deflated Sharpe ratio: the PSR against the best Sharpe luck alone would give.

    ``DSR = PSR(SR_0)`` with ``SR_0 = expected_max_sharpe(n_trials, V)`` (Bailey and
    Lopez de Prado 2014, eq. 2).

    Parameters
    ----------
    returns : Series or array
        Per-period returns of the selected strategy.
    n_trials : int
        Number of independent configurations tried before this one was picked. Record it
        (run manifests do); ``1`` gives the plain PSR against 0.
    sharpe_variance : float, optional
        Variance across trials of their per-period Sharpe ratios. Default ``1 / (n - 1)``:
        the sampling variance of a Sharpe estimate when the true Sharpe is 0, i.e. all trials
        unskilled. Pass the measured variance when the trials' returns are at hand.
    risk_free : float
        Per-period risk-free return.

    Returns
    -------
    float
        A probability in ``[0, 1]``; above 0.95 is significant at the 5% level.
    """
    sharpe, n, skew, kurt = _moments(returns, risk_free)
    variance = 1.0 / (n - 1.0) if sharpe_variance is None else float(sharpe_variance)
    return psr_from_moments(sharpe, expected_max_sharpe(n_trials, variance), n, skew, kurt)
