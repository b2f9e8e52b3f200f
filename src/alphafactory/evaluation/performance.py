"""Return-based performance metrics: Sharpe, Sortino, drawdown, Calmar, CAGR, volatility, hits.

Every function takes per-period **simple** returns ``r_1 .. r_n`` (a Series, or a 1-d array
with ``periods_per_year`` given), drops NaN, and states its formula. ``P`` below is
``periods_per_year``: explicit, or inferred from a DatetimeIndex by
:func:`~alphafactory.evaluation.periods.infer_periods_per_year`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.evaluation._inputs import ArrayLike, as_series
from alphafactory.evaluation.periods import infer_periods_per_year


@dataclass(frozen=True, kw_only=True, slots=True)
class Drawdown:
    """The deepest peak-to-trough loss of a wealth curve.

    Attributes
    ----------
    depth : float
        ``min_t (W_t / max_{s<=t} W_s - 1)``, a fraction ``<= 0`` (``-0.25`` is a 25% loss).
    duration : int
        Periods spent under the previous peak in that episode: from ``start`` up to the period
        before ``end`` (to the last period when not recovered). 0 when there is no drawdown.
    start : Any
        Index label of the first period below the peak; None when there is no drawdown.
    trough : Any
        Index label of the lowest wealth; None when there is no drawdown.
    end : Any
        Index label of the first period back at or above the peak; None if never recovered.
    """

    depth: float
    duration: int
    start: Any
    trough: Any
    end: Any


def resolve_periods_per_year(returns: pd.Series, periods_per_year: float | None) -> float:
    """Return ``periods_per_year`` if given (checked > 0), else infer it from the index."""
    if periods_per_year is None:
        return infer_periods_per_year(returns.index)
    if not _finite(periods_per_year) or periods_per_year <= 0:  # type: ignore[operator]
        raise ConfigError(f"periods_per_year must be a positive finite number of periods; got "
                          f"{periods_per_year!r}.")
    return float(periods_per_year)


def _finite(value: object) -> bool:
    """A real number (not a bool) that is finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return False
    return bool(np.isfinite(value))


def _prepare(
    returns: ArrayLike, periods_per_year: float | None, risk_free: float = 0.0
) -> tuple[np.ndarray, float, float]:
    series = as_series(returns, "returns")
    ppy = resolve_periods_per_year(series, periods_per_year)
    if not _finite(risk_free) or risk_free <= -1.0:  # type: ignore[operator]
        raise ConfigError(f"risk_free must be a finite annual rate > -1; got {risk_free!r}.")
    rf_period = (1.0 + risk_free) ** (1.0 / ppy) - 1.0
    return series.to_numpy(), ppy, rf_period


def sharpe_ratio(
    returns: ArrayLike, periods_per_year: float | None = None, risk_free: float = 0.0
) -> float:
    """Annualized Sharpe ratio.

    ``SR = mean(r - rf) / std(r) * sqrt(P)``, ``std`` with ``ddof=1``, ``rf`` the per-period
    rate ``(1 + risk_free)^(1/P) - 1`` of the annual ``risk_free``. NaN for fewer than two
    returns or zero volatility.
    """
    r, ppy, rf = _prepare(returns, periods_per_year, risk_free)
    if len(r) < 2:
        return float("nan")
    sd = r.std(ddof=1)
    if sd == 0.0:
        return float("nan")
    return float((r.mean() - rf) / sd * np.sqrt(ppy))


def sortino_ratio(
    returns: ArrayLike, periods_per_year: float | None = None, risk_free: float = 0.0
) -> float:
    """Annualized Sortino ratio (Sortino and Price 1994).

    ``SO = mean(r - rf) / DD * sqrt(P)`` with the downside deviation
    ``DD = sqrt(mean(min(r - rf, 0)^2))`` taken over all ``n`` periods. NaN when ``DD = 0``.
    """
    r, ppy, rf = _prepare(returns, periods_per_year, risk_free)
    excess = r - rf
    downside = np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2))
    if downside == 0.0:
        return float("nan")
    return float(excess.mean() / downside * np.sqrt(ppy))


def annual_volatility(returns: ArrayLike, periods_per_year: float | None = None) -> float:
    """Annualized volatility ``std(r) * sqrt(P)`` (``ddof=1``); NaN for fewer than 2 returns."""
    r, ppy, _ = _prepare(returns, periods_per_year)
    if len(r) < 2:
        return float("nan")
    return float(r.std(ddof=1) * np.sqrt(ppy))


def cagr(returns: ArrayLike, periods_per_year: float | None = None) -> float:
    """Compound annual growth rate ``prod(1 + r)^(P / n) - 1``; ``-1`` after a total loss."""
    r, ppy, _ = _prepare(returns, periods_per_year)
    growth = float(np.prod(1.0 + r))
    if growth <= 0.0:
        return -1.0
    return float(growth ** (ppy / len(r)) - 1.0)


def drawdown_series(returns: ArrayLike) -> pd.Series:
    """Underwater curve ``W_t / max(1, max_{s<=t} W_s) - 1`` with ``W_t = prod_{s<=t} (1 + r_s)``.

    Wealth starts at 1 before the first period, so a first-period loss is a drawdown.
    """
    series = as_series(returns, "returns")
    wealth = np.cumprod(1.0 + series.to_numpy())
    peak = np.maximum.accumulate(np.maximum(wealth, 1.0))
    return pd.Series(wealth / peak - 1.0, index=series.index, name="drawdown")


def max_drawdown(returns: ArrayLike) -> Drawdown:
    """Deepest drawdown of the compounded wealth curve, its duration and dates.

    ``depth = min_t (W_t / max(1, max_{s<=t} W_s) - 1)``; see :class:`Drawdown` for the rest.
    Labels are index labels of a Series, positions for an array.
    """
    underwater = drawdown_series(returns)
    dd = underwater.to_numpy()
    labels = underwater.index
    trough = int(np.argmin(dd))
    if dd[trough] >= 0.0:
        return Drawdown(depth=0.0, duration=0, start=None, trough=None, end=None)
    at_peak = np.flatnonzero(dd[:trough] >= 0.0)
    start = int(at_peak[-1]) + 1 if len(at_peak) else 0
    recovered = np.flatnonzero(dd[trough:] >= 0.0)
    end = trough + int(recovered[0]) if len(recovered) else None
    duration = (end if end is not None else len(dd)) - start
    return Drawdown(
        depth=float(dd[trough]),
        duration=int(duration),
        start=labels[start],
        trough=labels[trough],
        end=labels[end] if end is not None else None,
    )


def calmar_ratio(returns: ArrayLike, periods_per_year: float | None = None) -> float:
    """Calmar ratio ``CAGR / |max drawdown depth|``; NaN when there is no drawdown."""
    depth = max_drawdown(returns).depth
    if depth == 0.0:
        return float("nan")
    return cagr(returns, periods_per_year) / abs(depth)


def hit_rate(returns: ArrayLike, *, exclude_zeros: bool = False) -> float:
    """Share of positive periods ``#{r > 0} / n`` (``n`` counts only ``r != 0`` if asked).

    NaN when no period is counted.
    """
    r = as_series(returns, "returns").to_numpy()
    if exclude_zeros:
        r = r[r != 0.0]
    if len(r) == 0:
        return float("nan")
    return float(np.mean(r > 0.0))
