"""Metrics over a trailing window of returns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.errors import ConfigError
from alphafactory.evaluation._inputs import ArrayLike, as_series
from alphafactory.evaluation.performance import resolve_periods_per_year


def rolling_sharpe(
    returns: ArrayLike, window: int, periods_per_year: float | None = None
) -> pd.Series:
    """Trailing annualized Sharpe ratio over ``window`` periods (risk-free 0).

    ``SR_t = mean(r_{t-w+1..t}) / std(r_{t-w+1..t}) * sqrt(P)`` with ``ddof=1``, the same
    definition as :func:`~alphafactory.evaluation.sharpe_ratio` on the window; NaN for the first
    ``window - 1`` periods and where the window's volatility is 0.

    Returns
    -------
    Series
        On the returns' index (NaN dropped first), named ``rolling_sharpe``.
    """
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 2:
        raise ConfigError(f"window must be an integer >= 2 periods, got {window!r}.")
    series = as_series(returns, "returns")
    ppy = resolve_periods_per_year(series, periods_per_year)
    rolling = series.rolling(window, min_periods=window)
    sd = rolling.std(ddof=1)
    out = rolling.mean() / sd.where(sd > 0) * np.sqrt(ppy)
    return out.rename("rolling_sharpe")
