from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from alphafactory.features.rolling import (
    rolling_corr,
    rolling_cov,
    rolling_mean,
    rolling_moments,
    rolling_std,
    rolling_sum,
    shift,
)


@pytest.fixture
def panel():
    rng = np.random.default_rng(7)
    x = rng.normal(0, 1, (200, 4)).cumsum(axis=0) + 100.0
    x[:30, 1] = np.nan  # lists late
    x[150:, 2] = np.nan  # delists early
    x[80, 3] = np.nan  # one gap
    return x


def test_rolling_sum_mean_std_match_pandas(panel):
    frame = pd.DataFrame(panel)
    for n in (1, 5, 20):
        np.testing.assert_allclose(rolling_sum(panel, n), frame.rolling(n).sum(), rtol=1e-9)
        np.testing.assert_allclose(rolling_mean(panel, n), frame.rolling(n).mean(), rtol=1e-9)
    np.testing.assert_allclose(rolling_std(panel, 20), frame.rolling(20).std(), rtol=1e-7)


def test_rolling_cov_corr_match_pandas(panel):
    rng = np.random.default_rng(1)
    other = panel * 0.3 + rng.normal(0, 1, panel.shape)
    a, b = pd.DataFrame(panel), pd.DataFrame(other)
    np.testing.assert_allclose(rolling_cov(panel, other, 15), a.rolling(15).cov(b), rtol=1e-6)
    np.testing.assert_allclose(rolling_corr(panel, other, 15), a.rolling(15).corr(b), rtol=1e-6,
                               atol=1e-9)


def test_rolling_moments_match_pandas_population_moments(panel):
    ret = np.diff(np.log(panel), axis=0, prepend=np.nan)
    skew, kurt = rolling_moments(ret, 30)
    frame = pd.DataFrame(ret)
    n = 30
    # pandas uses unbiased estimators: convert them to population moments
    g1 = frame.rolling(n).skew() * (n - 2) / np.sqrt(n * (n - 1))
    g2 = (frame.rolling(n).kurt() * (n - 2) * (n - 3) / (n - 1) - 6) / (n + 1)
    np.testing.assert_allclose(skew, g1, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(kurt, g2, rtol=1e-6, atol=1e-8)


def test_rolling_any_nan_in_window_gives_nan(panel):
    out = rolling_mean(panel, 10)
    assert np.isnan(out[80:90, 3]).all()
    assert np.isfinite(out[90, 3])


def test_shift_moves_rows_and_pads_nan():
    x = np.arange(5.0)
    np.testing.assert_array_equal(shift(x, 2), [np.nan, np.nan, 0, 1, 2])
    np.testing.assert_array_equal(shift(x, -1), [1, 2, 3, 4, np.nan])


def test_rolling_bad_window_raises():
    with pytest.raises(ValueError, match="positive integer"):
        rolling_sum(np.ones(5), 0)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    data=hnp.arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(1, 4)),
                    elements=st.one_of(st.floats(-1e3, 1e3), st.just(np.nan))),
    n=st.integers(1, 8),
)
def test_rolling_sum_and_std_any_nan_pattern_match_pandas(data, n):
    frame = pd.DataFrame(data)
    np.testing.assert_allclose(rolling_sum(data, n), frame.rolling(n).sum(), rtol=1e-9,
                               atol=1e-6)
    if n >= 2:
        np.testing.assert_allclose(rolling_std(data, n), frame.rolling(n).std(), rtol=1e-6,
                                   atol=1e-6)
