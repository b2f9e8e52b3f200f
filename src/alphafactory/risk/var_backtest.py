"""Backtests of a VaR forecast: exceptions, Kupiec's and Christoffersen's likelihood-ratio tests.

The VaR at bar t (a positive loss, see :mod:`alphafactory.risk.measures`) forecasts bar t+1; an
*exception* is ``r[t+1] < -VaR[t]``. With ``n`` forecasts, ``x`` exceptions and the expected
rate ``p = 1 - level``:

* Kupiec (1995), proportion of failures:
  ``LR_pof = -2 ln[(1 - p)^(n - x) p^x] + 2 ln[(1 - x/n)^(n - x) (x/n)^x] ~ chi2(1)``.
* Christoffersen (1998), independence: with ``n_ij`` the transitions from state i to state j
  (1 = exception) and ``pi_01 = n_01 / (n_00 + n_01)``, ``pi_11 = n_11 / (n_10 + n_11)``,
  ``pi = (n_01 + n_11) / (n_00 + n_01 + n_10 + n_11)``:
  ``LR_ind = -2 ln[(1 - pi)^(n_00 + n_10) pi^(n_01 + n_11)]
  + 2 ln[(1 - pi_01)^n_00 pi_01^n_01 (1 - pi_11)^n_10 pi_11^n_11] ~ chi2(1)``.
* Conditional coverage: ``LR_cc = LR_pof + LR_ind ~ chi2(2)``.

A test passes when its p-value is at least ``significance`` (``0 ln 0 = 0`` throughout).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2

from alphafactory.risk.measures import METHODS, Method, rolling_var


@dataclass(frozen=True, kw_only=True, slots=True)
class LRTest:
    """A likelihood-ratio test: ``statistic``, ``p_value`` and whether it ``passed``."""

    statistic: float
    p_value: float
    passed: bool


def exceptions(returns: pd.Series, var: pd.Series) -> pd.Series:
    """Boolean exceptions ``r[t] < -VaR[t-1]`` on the bars that have a forecast, named ``hit``."""
    forecast = var.reindex(returns.index).shift(1)
    valid = forecast.notna() & returns.notna()
    return (returns[valid] < -forecast[valid]).rename("hit")


def kupiec_pof(n_exceptions: int, n_obs: int, level: float, significance: float = 0.05) -> LRTest:
    """Kupiec's proportion-of-failures test of ``n_exceptions`` in ``n_obs`` at ``level``."""
    if n_obs <= 0 or not 0 <= n_exceptions <= n_obs:
        raise ValueError(f"need 0 <= exceptions <= observations > 0, got {n_exceptions}/{n_obs}.")
    p = 1.0 - level
    x, n = int(n_exceptions), int(n_obs)
    null = _loglik(n - x, 1.0 - p) + _loglik(x, p)
    alt = _loglik(n - x, 1.0 - x / n) + _loglik(x, x / n)
    stat = max(-2.0 * (null - alt), 0.0)
    p_value = float(chi2.sf(stat, 1))
    return LRTest(statistic=stat, p_value=p_value, passed=p_value >= significance)


def kupiec_region(n_obs: int, level: float, significance: float = 0.05) -> tuple[int, int]:
    """The exception counts ``[low, high]`` that Kupiec's test accepts for ``n_obs`` forecasts."""
    centre = round(n_obs * (1.0 - level))
    width = int(6 * np.sqrt(n_obs * (1.0 - level) * level)) + 5
    counts = np.arange(max(0, centre - width), min(n_obs, centre + width) + 1)
    accepted = [int(c) for c in counts if kupiec_pof(int(c), n_obs, level, significance).passed]
    return min(accepted), max(accepted)


def christoffersen_independence(hits: Sequence[bool] | np.ndarray, significance: float = 0.05
                                ) -> LRTest:
    """Christoffersen's test that exceptions do not cluster (first-order Markov alternative)."""
    h = np.asarray(hits, dtype=bool)
    if h.size < 2:
        raise ValueError(f"the independence test needs at least 2 observations, got {h.size}.")
    prev, cur = h[:-1], h[1:]
    n00 = int(np.sum(~prev & ~cur))
    n01 = int(np.sum(~prev & cur))
    n10 = int(np.sum(prev & ~cur))
    n11 = int(np.sum(prev & cur))
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    null = _loglik(n00 + n10, 1.0 - pi) + _loglik(n01 + n11, pi)
    alt = (_loglik(n00, 1.0 - pi01) + _loglik(n01, pi01)
           + _loglik(n10, 1.0 - pi11) + _loglik(n11, pi11))
    stat = max(-2.0 * (null - alt), 0.0)
    p_value = float(chi2.sf(stat, 1))
    return LRTest(statistic=stat, p_value=p_value, passed=p_value >= significance)


def var_backtest(
    returns: pd.Series,
    *,
    methods: Sequence[Method] = METHODS,
    levels: Sequence[float] = (0.95, 0.99),
    window: int = 250,
    lam: float = 0.94,
    significance: float = 0.05,
) -> pd.DataFrame:
    """Backtest every VaR method on one return series.

    Parameters
    ----------
    returns : Series
        Per-bar simple returns (a position or a portfolio).
    methods, levels, window, lam
        Passed to :func:`~alphafactory.risk.rolling_var`.
    significance : float
        Size of the tests (a test passes when its p-value is at least this).

    Returns
    -------
    DataFrame
        One row per (``method``, ``level``): ``n_obs`` (forecasts tested), ``exceptions``,
        ``expected_rate`` (``1 - level``), ``exception_rate``, ``mean_var``, ``kupiec_stat``,
        ``kupiec_p``, ``kupiec_pass``, ``christoffersen_stat``, ``christoffersen_p``,
        ``christoffersen_pass``, ``cc_stat``, ``cc_p`` (conditional coverage, chi2(2)),
        ``cc_pass``.
    """
    if returns.notna().sum() < window + 2:
        raise ValueError(f"a VaR backtest with a {window}-bar window needs at least {window + 2} "
                         f"returns, got {int(returns.notna().sum())}.")
    rows = []
    for method in methods:
        for level in levels:
            est = rolling_var(returns, method=method, level=level, window=window, lam=lam)
            hit = exceptions(returns, est.var)
            n, x = int(hit.size), int(hit.sum())
            pof = kupiec_pof(x, n, level, significance)
            ind = christoffersen_independence(hit.to_numpy(), significance)
            cc_stat = pof.statistic + ind.statistic
            cc_p = float(chi2.sf(cc_stat, 2))
            rows.append({
                "method": method, "level": level, "n_obs": n, "exceptions": x,
                "expected_rate": 1.0 - level, "exception_rate": x / n,
                "mean_var": float(est.var.mean()),
                "kupiec_stat": pof.statistic, "kupiec_p": pof.p_value, "kupiec_pass": pof.passed,
                "christoffersen_stat": ind.statistic, "christoffersen_p": ind.p_value,
                "christoffersen_pass": ind.passed,
                "cc_stat": cc_stat, "cc_p": cc_p, "cc_pass": cc_p >= significance,
            })
    return pd.DataFrame(rows).set_index(["method", "level"])


def _loglik(count: int, prob: float) -> float:
    """``count * ln(prob)`` with ``0 ln 0 = 0``."""
    if count == 0:
        return 0.0
    return float(count * np.log(prob)) if prob > 0 else -np.inf
