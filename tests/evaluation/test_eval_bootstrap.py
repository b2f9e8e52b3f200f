from __future__ import annotations

import math

import numpy as np
import pytest

from alphafactory.evaluation import block_bootstrap_ci, sharpe_ratio
from alphafactory.evaluation.bootstrap import bootstrap_indices


def _ar1(phi: float, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shocks = rng.normal(size=n)
    out = np.empty(n)
    out[0] = shocks[0]
    for t in range(1, n):
        out[t] = phi * out[t - 1] + shocks[t]
    return out


def test_bootstrap_stationary_indices_run_in_blocks_of_mean_length():
    positions = bootstrap_indices(1000, 50, 10, np.random.default_rng(0), "stationary")
    assert positions.shape == (50, 1000)
    assert positions.min() >= 0 and positions.max() < 1000
    continues = (np.diff(positions, axis=1) % 1000) == 1
    assert continues.mean() == pytest.approx(0.9, abs=0.01)


def test_bootstrap_moving_indices_are_fixed_contiguous_blocks():
    positions = bootstrap_indices(103, 20, 10, np.random.default_rng(0), "moving")
    assert positions.shape == (20, 103)
    blocks = np.pad(positions, ((0, 0), (0, 7)), mode="edge")[:, :110].reshape(20, 11, 10)
    assert (np.diff(blocks[:, :10], axis=2) == 1).all()
    assert positions.max() <= 102


def test_bootstrap_iid_mean_interval_matches_normal_theory():
    x = np.random.default_rng(4).normal(0.0, 1.0, 2000)
    ci = block_bootstrap_ci(x, np.mean, n_boot=2000, block=1, method="moving", seed=1)
    theory = 1.96 * x.std(ddof=1) / math.sqrt(len(x))
    assert ci.high - ci.low == pytest.approx(2 * theory, rel=0.1)
    assert ci.estimate == pytest.approx(x.mean())
    assert ci.low < ci.estimate < ci.high


def test_bootstrap_blocks_widen_interval_under_autocorrelation():
    x = _ar1(0.8, 2000, seed=6)
    iid = block_bootstrap_ci(x, np.mean, n_boot=500, block=1, seed=2)
    blocked = block_bootstrap_ci(x, np.mean, n_boot=500, block=50, seed=2)
    # the long-run sd of an AR(1) mean is sqrt((1 + phi) / (1 - phi)) = 3 times the iid one
    assert blocked.std_error / iid.std_error > 2.0


def test_bootstrap_same_seed_same_interval_other_seed_differs():
    x = np.random.default_rng(8).normal(0.001, 0.01, 500)
    stat = lambda r: sharpe_ratio(r, 252)  # noqa: E731
    first = block_bootstrap_ci(x, stat, n_boot=200, seed=3)
    assert first == block_bootstrap_ci(x, stat, n_boot=200, seed=3)
    assert first != block_bootstrap_ci(x, stat, n_boot=200, seed=4)
    assert first.block == round(500 ** (1 / 3)) and first.method == "stationary"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"block": 0}, "block"),
        ({"block": 11}, "block"),
        ({"alpha": 1.0}, "alpha"),
        ({"n_boot": 5}, "n_boot"),
        ({"method": "circular"}, "method"),
    ],
)
def test_bootstrap_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        block_bootstrap_ci(np.arange(10.0), np.mean, **kwargs)
