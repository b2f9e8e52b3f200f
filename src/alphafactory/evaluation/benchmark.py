"""Returns against a benchmark: beta, alpha, tracking error, information ratio.

Every function takes per-period simple returns ``r`` of the strategy and ``b`` of the benchmark,
inner-joins them on their index (a 1-d array pair must have equal lengths) and drops periods
where either is NaN. ``P`` is ``periods_per_year`` (explicit, or inferred from the index).
Definitions follow quantstats' greeks, annualized where stated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.evaluation._inputs import ArrayLike, as_series
from alphafactory.evaluation.performance import resolve_periods_per_year


@dataclass(frozen=True, kw_only=True, slots=True)
class BenchmarkStats:
    """The relative metrics of a strategy against a benchmark (see each function)."""

    alpha: float
    beta: float
    correlation: float
    tracking_error: float
    information_ratio: float


def beta(returns: ArrayLike, benchmark: ArrayLike) -> float:
    """Market beta ``cov(r, b) / var(b)`` (both ``ddof=1``); NaN when ``var(b) = 0`` or n < 2."""
    r, b = aligned_returns(returns, benchmark)
    if len(r) < 2:
        return float("nan")
    var = b.var(ddof=1)
    if var == 0.0:
        return float("nan")
    return float(np.cov(r, b, ddof=1)[0, 1] / var)


def alpha(
    returns: ArrayLike, benchmark: ArrayLike, periods_per_year: float | None = None
) -> float:
    """Annualized Jensen's alpha with a zero risk-free rate: ``(mean(r) - beta * mean(b)) * P``."""
    r, b = aligned_returns(returns, benchmark)
    ppy = _ppy(returns, r, periods_per_year)
    slope = beta(r, b)
    return float((r.mean() - slope * b.mean()) * ppy)


def tracking_error(
    returns: ArrayLike, benchmark: ArrayLike, periods_per_year: float | None = None
) -> float:
    """Annualized tracking error ``std(r - b) * sqrt(P)`` (``ddof=1``); NaN for n < 2."""
    r, b = aligned_returns(returns, benchmark)
    ppy = _ppy(returns, r, periods_per_year)
    if len(r) < 2:
        return float("nan")
    return float((r - b).std(ddof=1) * np.sqrt(ppy))


def information_ratio(
    returns: ArrayLike, benchmark: ArrayLike, periods_per_year: float | None = None
) -> float:
    """Annualized information ratio ``mean(r - b) / std(r - b) * sqrt(P)``.

    NaN for n < 2 or a zero tracking error. (quantstats reports the per-period ratio, without
    ``sqrt(P)``; this one is annualized like the Sharpe ratio.)
    """
    r, b = aligned_returns(returns, benchmark)
    ppy = _ppy(returns, r, periods_per_year)
    if len(r) < 2:
        return float("nan")
    active = r - b
    sd = active.std(ddof=1)
    if sd == 0.0:
        return float("nan")
    return float(active.mean() / sd * np.sqrt(ppy))


def benchmark_stats(
    returns: ArrayLike, benchmark: ArrayLike, periods_per_year: float | None = None
) -> BenchmarkStats:
    """Return :func:`alpha`, :func:`beta`, the Pearson correlation of ``r`` and ``b``,
    :func:`tracking_error` and :func:`information_ratio` on the common periods."""
    r, b = aligned_returns(returns, benchmark)
    ppy = _ppy(returns, r, periods_per_year)
    defined = len(r) >= 2 and r.std() > 0 and b.std() > 0
    return BenchmarkStats(
        alpha=alpha(r, b, ppy),
        beta=beta(r, b),
        correlation=float(np.corrcoef(r, b)[0, 1]) if defined else float("nan"),
        tracking_error=tracking_error(r, b, ppy),
        information_ratio=information_ratio(r, b, ppy),
    )


def aligned_returns(returns: ArrayLike, benchmark: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Return the strategy and benchmark returns on their common periods, as float arrays.

    Raises when no period is shared or (for arrays) the lengths differ.
    """
    r = as_series(returns, "returns", dropna=False)
    b = as_series(benchmark, "benchmark", dropna=False)
    pandas = (pd.Series, pd.DataFrame)
    if isinstance(returns, pandas) and isinstance(benchmark, pandas):
        joined = pd.concat({"r": r, "b": b}, axis=1, join="inner").dropna()
    else:
        if len(r) != len(b):
            raise ValueError(
                f"returns ({len(r)}) and benchmark ({len(b)}) arrays must have the same length."
            )
        joined = pd.DataFrame({"r": r.to_numpy(), "b": b.to_numpy()}).dropna()
    if joined.empty:
        raise ValueError("returns and benchmark share no period with both values present.")
    return joined["r"].to_numpy(), joined["b"].to_numpy()


def _ppy(original: ArrayLike, r: np.ndarray, periods_per_year: float | None) -> float:
    if periods_per_year is None and isinstance(original, np.ndarray):
        raise ValueError("periods_per_year is needed for arrays (no index to infer it from).")
    if periods_per_year is None:
        return resolve_periods_per_year(as_series(original, "returns"), None)
    return resolve_periods_per_year(pd.Series(r), periods_per_year)
