"""Returns compounded over calendar months and years: the tables of a tearsheet.

The calendar is the one of the returns' UTC timestamps (a daily bar stamped with its session
date falls in that session's month).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.evaluation._inputs import ArrayLike, as_series


def monthly_returns(returns: ArrayLike) -> pd.DataFrame:
    """Compound the returns within each calendar month: one row a year, one column a month.

    ``R_{y,m} = prod_{t in (y, m)} (1 + r_t) - 1`` over the periods of month ``m`` of year ``y``.

    Parameters
    ----------
    returns : Series
        Per-period simple returns on a DatetimeIndex; NaN dropped.

    Returns
    -------
    DataFrame
        Index ``year`` (int), columns ``1 .. 12`` (``month``); NaN for a month without periods.
    """
    series = _dated(returns)
    index = pd.DatetimeIndex(series.index)
    grouped = _compound(series, [index.year, index.month])
    table = grouped.unstack().reindex(columns=range(1, 13))
    table.index.name, table.columns.name = "year", "month"
    return table.astype(np.float64)


def yearly_returns(returns: ArrayLike) -> pd.Series:
    """Compound the returns within each calendar year: ``R_y = prod_{t in y} (1 + r_t) - 1``.

    Returns
    -------
    Series
        Index ``year`` (int), the years that have periods; named ``return``.
    """
    series = _dated(returns)
    yearly = _compound(series, [pd.DatetimeIndex(series.index).year])
    yearly.index.name = "year"
    return yearly.astype(np.float64).rename("return")


def _compound(series: pd.Series, keys: list[pd.Index]) -> pd.Series:
    return (1.0 + series).groupby(keys).prod() - 1.0


def _dated(returns: ArrayLike) -> pd.Series:
    series = as_series(returns, "returns")
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ValueError(
            "returns need a DatetimeIndex for calendar tables; got an index of type "
            f"{type(series.index).__name__}."
        )
    return series
