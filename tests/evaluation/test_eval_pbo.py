from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from alphafactory.evaluation import probability_of_backtest_overfitting


def test_pbo_two_block_hand_computation():
    # block means: c0 (1, -1), c1 (0, 0), c2 (-.5, .5). IS block 0 picks c0, OOS it ranks 1 of 3;
    # IS block 1 picks c2, OOS it ranks 1 of 3: both logits log((1/4) / (3/4)).
    grid = np.array([[1, 0, -0.5], [1, 0, -0.5], [-1, 0, 0.5], [-1, 0, 0.5]], dtype=float)
    result = probability_of_backtest_overfitting(grid, n_splits=2, metric="mean")
    assert result.n_combinations == 2
    np.testing.assert_allclose(result.logits, [math.log(1 / 3)] * 2)
    assert result.pbo == 1.0 == float(result)
    np.testing.assert_allclose(result.is_best, [1.0, 0.5])
    np.testing.assert_allclose(result.oos_of_best, [-1.0, -0.5])


def test_pbo_two_block_consistent_winner_is_zero():
    grid = np.array([[1, 0, 2], [1, 0, 2], [-1, 0, 0.5], [-1, 0, 0.5]], dtype=float)
    result = probability_of_backtest_overfitting(grid, n_splits=2, metric="mean")
    np.testing.assert_allclose(result.logits, [math.log(3)] * 2)
    assert result.pbo == 0.0


def test_pbo_grid_without_full_sample_edge_is_near_one():
    # pure noise demeaned per configuration: an in-sample gain is an out-of-sample loss
    noise = np.random.default_rng(5).normal(size=(960, 20))
    result = probability_of_backtest_overfitting(noise - noise.mean(axis=0), n_splits=16)
    assert result.n_combinations == math.comb(16, 8)
    assert result.pbo > 0.9


def test_pbo_unskilled_grids_average_about_one_half():
    values = [
        probability_of_backtest_overfitting(
            np.random.default_rng(seed).normal(size=(400, 12)), n_splits=8
        ).pbo
        for seed in range(30)
    ]
    assert 0.35 < np.mean(values) < 0.65


def test_pbo_one_truly_better_configuration_is_low():
    grid = np.random.default_rng(9).normal(size=(960, 20))
    grid[:, 3] += 0.25  # per-period Sharpe 0.25 against 0 for the rest
    assert probability_of_backtest_overfitting(grid).pbo < 0.05


@settings(max_examples=25, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(8, 40), st.integers(2, 6)),
        elements=st.floats(-1, 1, allow_nan=False, allow_subnormal=False),
    )
)
def test_pbo_within_unit_interval_property(grid):
    result = probability_of_backtest_overfitting(grid, n_splits=4)
    assert 0.0 <= result.pbo <= 1.0
    assert np.isfinite(result.logits).all()


@pytest.mark.parametrize(
    ("grid", "splits", "match"),
    [
        (np.ones((64, 1)), 16, "2 configurations"),
        (np.ones((64, 3)), 5, "even"),
        (np.ones((20, 3)), 16, "rows"),
        (np.full((64, 3), np.nan), 16, "NaN"),
        (np.ones(64), 16, "2-d"),
    ],
)
def test_pbo_bad_inputs_raise(grid, splits, match):
    with pytest.raises(ValueError, match=match):
        probability_of_backtest_overfitting(grid, n_splits=splits)
