from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from alphafactory.evaluation import (
    annual_volatility,
    cagr,
    calmar_ratio,
    drawdown_series,
    hit_rate,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
)

R = np.array([0.01, -0.02, 0.03, 0.00])


def test_sharpe_hand_computation_matches():
    # mean = 0.005, sample var = (0.005^2 + 0.025^2 + 0.025^2 + 0.005^2) / 3 = 0.0013/3
    expected = 0.005 / math.sqrt(0.0013 / 3) * math.sqrt(252)
    assert sharpe_ratio(R, 252) == pytest.approx(expected, rel=1e-12)


def test_sharpe_risk_free_subtracts_per_period_rate():
    rf_period = 1.05 ** (1 / 252) - 1
    expected = (0.005 - rf_period) / math.sqrt(0.0013 / 3) * math.sqrt(252)
    assert sharpe_ratio(R, 252, risk_free=0.05) == pytest.approx(expected, rel=1e-12)


def test_sharpe_infers_periods_from_daily_index():
    index = pd.bdate_range("2021-01-04", periods=4, tz="UTC")
    assert sharpe_ratio(pd.Series(R, index=index)) == pytest.approx(sharpe_ratio(R, 252))


def test_sharpe_array_without_periods_raises():
    with pytest.raises(ValueError, match="periods_per_year"):
        sharpe_ratio(R)


def test_sharpe_constant_returns_is_nan():
    assert math.isnan(sharpe_ratio(np.full(5, 0.01), 252))


def test_sortino_hand_computation_matches():
    # downside deviation = sqrt((0 + 0.02^2 + 0 + 0) / 4) = 0.01
    assert sortino_ratio(R, 12) == pytest.approx(0.005 / 0.01 * math.sqrt(12), rel=1e-12)


def test_volatility_and_cagr_hand_computation_match():
    assert annual_volatility(R, 252) == pytest.approx(math.sqrt(0.0013 / 3 * 252), rel=1e-12)
    growth = 1.01 * 0.98 * 1.03 * 1.0
    assert cagr(R, 2) == pytest.approx(growth ** (2 / 4) - 1, rel=1e-12)


def test_cagr_total_loss_is_minus_one():
    assert cagr(np.array([0.1, -1.0, 0.2]), 252) == -1.0


def test_max_drawdown_episode_dates_and_duration():
    index = pd.date_range("2020-01-01", periods=5, freq="D", tz="UTC")
    # wealth 1.1, 0.55, 0.66, 1.32, 1.188: peak 1.1, trough 0.55, back above at the 4th bar
    dd = max_drawdown(pd.Series([0.1, -0.5, 0.2, 1.0, -0.1], index=index))
    assert dd.depth == pytest.approx(-0.5)
    assert (dd.start, dd.trough, dd.end) == (index[1], index[1], index[3])
    assert dd.duration == 2


def test_max_drawdown_first_period_loss_and_no_recovery():
    dd = max_drawdown(np.array([-0.1, 0.05, -0.2]))
    # wealth 0.9, 0.945, 0.756 against the starting capital 1
    assert dd.depth == pytest.approx(0.756 - 1.0)
    assert (dd.start, dd.trough, dd.end, dd.duration) == (0, 2, None, 3)


def test_max_drawdown_rising_curve_is_zero():
    dd = max_drawdown(np.array([0.01, 0.02, 0.0]))
    assert (dd.depth, dd.duration, dd.start, dd.end) == (0.0, 0, None, None)
    assert math.isnan(calmar_ratio(np.array([0.01, 0.02, 0.0]), 252))


def test_calmar_is_cagr_over_depth():
    r = np.array([0.1, -0.5, 0.2, 1.0, -0.1])
    assert calmar_ratio(r, 5) == pytest.approx(cagr(r, 5) / 0.5)


def test_hit_rate_counts_positive_share():
    assert hit_rate(R) == 0.5
    assert hit_rate(R, exclude_zeros=True) == pytest.approx(2 / 3)
    assert hit_rate(np.array([np.nan, 1.0, -1.0])) == 0.5


@pytest.mark.parametrize(
    ("bad", "match"),
    [([], "empty"), ([np.nan, np.nan], "only NaN"), ([0.1, np.inf], "infinite")],
)
def test_sharpe_bad_input_raises_with_reason(bad, match):
    with pytest.raises(ValueError, match=match):
        sharpe_ratio(np.array(bad, dtype=float), 252)


def test_sharpe_string_input_raises_type_error():
    with pytest.raises(TypeError, match="numeric"):
        sharpe_ratio(pd.Series(["a", "b"]), 252)


finite_returns = arrays(
    np.float64,
    st.integers(3, 60),
    elements=st.floats(-0.5, 0.5, allow_nan=False, allow_subnormal=False),
)


@settings(max_examples=60, deadline=None)
@given(finite_returns, st.floats(0.01, 100.0))
def test_sharpe_scale_invariant_property(r, scale):
    base, scaled = sharpe_ratio(r, 252), sharpe_ratio(r * scale, 252)
    if np.isfinite(base) and r.std() > 1e-6:
        assert scaled == pytest.approx(base, rel=1e-7, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(finite_returns)
def test_drawdown_nonpositive_property(r):
    dd = max_drawdown(r)
    curve = drawdown_series(r)
    assert dd.depth <= 0.0
    assert (curve <= 0.0).all()
    assert dd.depth == pytest.approx(curve.min())
    assert 0 <= dd.duration <= len(r)
