"""Kupiec and Christoffersen tests by hand, and every method's 99% VaR on known volatility."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alphafactory.risk import (
    METHODS,
    christoffersen_independence,
    exceptions,
    kupiec_pof,
    kupiec_region,
    var_backtest,
)


def test_kupiec_statistic_by_hand_for_five_exceptions_in_250_days():
    test = kupiec_pof(5, 250, 0.99)
    by_hand = 2 * (245 * math.log(0.98 / 0.99) + 5 * math.log(2.0))
    assert test.statistic == pytest.approx(by_hand)
    assert test.statistic == pytest.approx(1.9568, abs=1e-4)
    assert test.passed and test.p_value == pytest.approx(0.1619, abs=1e-3)


def test_kupiec_region_for_250_days_at_99_percent_is_one_to_six():
    # zero exceptions in 250 days is rejected too: LR = -500 ln 0.99 = 5.03 > 3.84
    assert kupiec_region(250, 0.99) == (1, 6)
    assert not kupiec_pof(7, 250, 0.99).passed and not kupiec_pof(0, 250, 0.99).passed


def test_christoffersen_statistic_by_hand_and_clustering_fails():
    hits = [0, 1, 1, 0, 0, 0, 1, 0]  # n00=2 n01=2 n10=2 n11=1
    pi, pi01, pi11 = 3 / 7, 2 / 4, 1 / 3
    null = 4 * math.log(1 - pi) + 3 * math.log(pi)
    alt = 2 * math.log(1 - pi01) + 2 * math.log(pi01) + 2 * math.log(1 - pi11) + math.log(pi11)
    assert christoffersen_independence(hits).statistic == pytest.approx(-2 * (null - alt))
    clustered = np.zeros(500, dtype=bool)
    clustered[100:110] = True
    assert not christoffersen_independence(clustered).passed


def test_exceptions_compare_each_return_with_the_previous_forecast():
    idx = pd.date_range("2020-01-01", periods=4, freq="D", tz="UTC")
    r = pd.Series([0.0, -0.03, -0.01, -0.05], index=idx)
    var = pd.Series([0.02, 0.02, np.nan, 0.04], index=idx)
    hit = exceptions(r, var)
    assert list(hit.index) == list(idx[1:3]) and list(hit) == [True, False]


def test_every_method_passes_kupiec_at_99_percent_on_known_volatility():
    n = 3250  # 3000 forecasts after the 250-bar window; Gaussian returns with sigma = 1%
    rng = np.random.default_rng(7)
    idx = pd.date_range("2000-01-03", periods=n, freq="B", tz="UTC")
    returns = pd.Series(0.01 * rng.standard_normal(n), index=idx)
    table = var_backtest(returns, levels=(0.99,), window=250)
    assert list(table.index.get_level_values("method")) == list(METHODS)
    for method, row in table.groupby(level="method"):
        low, high = kupiec_region(int(row["n_obs"].iloc[0]), 0.99)
        assert low <= row["exceptions"].iloc[0] <= high, (method, row.T)
        assert bool(row["kupiec_pass"].iloc[0])
