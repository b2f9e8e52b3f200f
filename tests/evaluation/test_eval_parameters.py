"""Bad evaluation parameters are one ConfigError naming the parameter and the value."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.evaluation import (
    annual_volatility,
    cagr,
    calmar_ratio,
    deflated_sharpe_ratio,
    rolling_sharpe,
    sharpe_ratio,
    sortino_ratio,
    summary,
)

RETURNS = pd.Series(np.random.default_rng(0).normal(0, 0.01, 50),
                    index=pd.date_range("2024-01-01", periods=50, freq="B", tz="UTC"))


@pytest.mark.parametrize("metric", [sharpe_ratio, sortino_ratio, annual_volatility, cagr,
                                    calmar_ratio, summary])
@pytest.mark.parametrize("bad", [0, -252, math.nan, math.inf, "252"])
def test_periods_per_year_must_be_positive_and_finite(metric, bad):
    with pytest.raises(ConfigError, match=r"periods_per_year must be a positive finite number "
                                          r"of periods; got"):
        metric(RETURNS, periods_per_year=bad)


@pytest.mark.parametrize("bad", [math.nan, -1.0, -2.0])
def test_risk_free_must_be_a_finite_rate_above_minus_one(bad):
    with pytest.raises(ConfigError, match=r"risk_free must be a finite annual rate > -1"):
        sharpe_ratio(RETURNS, periods_per_year=252, risk_free=bad)


@pytest.mark.parametrize("bad", [0, 1, 2.5, math.nan])
def test_rolling_sharpe_window_must_be_an_integer_of_at_least_two(bad):
    with pytest.raises(ConfigError, match=r"window must be an integer >= 2 periods"):
        rolling_sharpe(RETURNS, bad, periods_per_year=252)


@pytest.mark.parametrize("bad", [0, math.nan, 1.5])
def test_n_trials_must_be_an_integer_of_at_least_one(bad):
    with pytest.raises(ConfigError, match=r"n_trials must be an integer >= 1"):
        deflated_sharpe_ratio(RETURNS, bad)
