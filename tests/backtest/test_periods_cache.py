"""backtest() keeps the bars-per-year of the last index it inferred it from, and only for it."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd

from alphafactory.backtest.market import market_from
from alphafactory.backtest.vectorized import periods_per_year_of


def _market(freq: str):
    index = pd.date_range("2021-01-04", periods=120, freq=freq, tz="UTC", name="timestamp")
    return market_from(pd.DataFrame(np.ones((120, 2)), index=index, columns=["A", "B"]))


def test_each_index_gets_its_own_periods_per_year():
    daily, business = _market("D"), _market("B")
    assert periods_per_year_of(business) == 252.0
    assert periods_per_year_of(business) == 252.0  # the kept answer
    assert periods_per_year_of(daily) == 365.0
    assert periods_per_year_of(business) == 252.0
    del business
    gc.collect()
    assert periods_per_year_of(_market("D")) == 365.0  # a new index, even at a reused address
