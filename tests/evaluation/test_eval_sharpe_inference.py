from __future__ import annotations

import math

import numpy as np
import pytest

from alphafactory.evaluation import (
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
    psr_from_moments,
    sharpe_ratio,
)
from alphafactory.evaluation._stats import norm_cdf


def test_dsr_paper_numerical_example_matches():
    # Bailey and Lopez de Prado (2014), section "A numerical example": 100 trials, annualized
    # SR 2.5 over 1250 daily returns, variance of annualized trial SRs 1/2, skew -3, kurtosis 10.
    sr0 = expected_max_sharpe(100, 0.5 / 250)
    assert sr0 == pytest.approx(0.1132, abs=1e-4)
    dsr = psr_from_moments(2.5 / math.sqrt(250), sr0, 1250, skew=-3.0, kurtosis=10.0)
    assert dsr == pytest.approx(0.9004, abs=1e-4)


def test_psr_matches_hand_formula():
    r = np.array([0.02, -0.01, 0.03, 0.0, 0.015, -0.02, 0.01])
    c = r - r.mean()
    m2, m3, m4 = (c**2).mean(), (c**3).mean(), (c**4).mean()
    sr = r.mean() / r.std(ddof=1)
    skew, kurt = m3 / m2**1.5, m4 / m2**2
    z = (sr - 0.05) * math.sqrt(len(r) - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    assert probabilistic_sharpe_ratio(r, 0.05) == pytest.approx(norm_cdf(z), rel=1e-12)


def test_dsr_single_trial_is_psr_against_zero():
    r = np.random.default_rng(0).normal(0.001, 0.01, 500)
    assert deflated_sharpe_ratio(r, n_trials=1) == probabilistic_sharpe_ratio(r, 0.0)


def test_dsr_falls_as_trials_grow():
    r = np.random.default_rng(1).normal(0.002, 0.01, 750)
    values = [deflated_sharpe_ratio(r, n) for n in (1, 10, 100, 1000)]
    assert values == sorted(values, reverse=True)
    assert values[0] > values[-1]


def test_dsr_best_of_noise_trials_is_not_significant():
    rng = np.random.default_rng(11)
    trials = rng.normal(0.0, 0.01, size=(500, 200))
    sharpes = trials.mean(axis=0) / trials.std(axis=0, ddof=1)
    best = trials[:, np.argmax(sharpes)]
    assert probabilistic_sharpe_ratio(best) > 0.95  # looks significant alone
    assert deflated_sharpe_ratio(best, 200, sharpes.var(ddof=1)) < 0.95
    assert deflated_sharpe_ratio(best, 200) < 0.95


def test_dsr_strong_strategy_stays_significant():
    r = np.random.default_rng(2).normal(0.003, 0.01, 1000)  # daily SR about 0.3
    assert sharpe_ratio(r, 252) > 3
    assert deflated_sharpe_ratio(r, 1000) > 0.99


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: expected_max_sharpe(0, 0.1), "n_trials"),
        (lambda: expected_max_sharpe(10, -1.0), "sharpe_variance"),
        (lambda: probabilistic_sharpe_ratio(np.array([0.01])), "at least 2"),
        (lambda: probabilistic_sharpe_ratio(np.full(5, 0.01)), "constant"),
    ],
)
def test_sharpe_inference_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
