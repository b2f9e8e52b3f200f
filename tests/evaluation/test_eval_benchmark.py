from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.evaluation import (
    alpha,
    benchmark_stats,
    beta,
    information_ratio,
    rolling_sharpe,
    sharpe_ratio,
    tracking_error,
)

R = np.array([0.02, -0.01, 0.03, 0.00])
B = np.array([0.01, -0.02, 0.02, 0.01])


def test_benchmark_metrics_hand_computed():
    # cov(r, b) = 0.0008 / 3, var(b) = 0.0009 / 3; active r - b = [.01, .01, .01, -.01]
    assert beta(R, B) == pytest.approx(0.8 / 0.9)
    assert alpha(R, B, 252) == pytest.approx((0.01 - 0.8 / 0.9 * 0.005) * 252)
    assert tracking_error(R, B, 252) == pytest.approx(0.01 * np.sqrt(252))
    assert information_ratio(R, B, 252) == pytest.approx(0.5 * np.sqrt(252))
    stats = benchmark_stats(R, B, 252)
    assert stats.beta == pytest.approx(0.8 / 0.9)
    assert stats.correlation == pytest.approx(np.corrcoef(R, B)[0, 1])


def test_benchmark_metrics_align_on_index_and_infer_periods():
    dates = pd.bdate_range("2024-01-01", periods=6, tz="UTC")
    r = pd.Series([0.5, *R, 0.7], index=dates)
    b = pd.Series([np.nan, *B], index=dates[:5])
    assert beta(r, b) == pytest.approx(0.8 / 0.9)
    assert tracking_error(r, b) == pytest.approx(0.01 * np.sqrt(252))
    assert beta(B, B) == pytest.approx(1.0) and alpha(B, B, 12) == pytest.approx(0.0)
    assert np.isnan(information_ratio(B, B, 12))


def test_benchmark_metrics_reject_mismatched_arrays_and_missing_periods():
    with pytest.raises(ValueError, match="same length"):
        beta(R, B[:3])
    with pytest.raises(ValueError, match="periods_per_year is needed"):
        alpha(R, B)


def test_rolling_sharpe_hand_computed_and_equal_to_sharpe_on_the_window():
    r = pd.Series([0.01, 0.03, -0.01, 0.02])
    out = rolling_sharpe(r, 2, periods_per_year=4)
    assert np.isnan(out.iloc[0])
    np.testing.assert_allclose(out.iloc[1:], [2 * np.sqrt(2), np.sqrt(2) / 2, np.sqrt(2) / 3])
    rng = np.random.default_rng(1)
    long = pd.Series(rng.normal(size=50))
    assert rolling_sharpe(long, 20, 252).iloc[-1] == pytest.approx(
        sharpe_ratio(long.iloc[-20:], 252)
    )
