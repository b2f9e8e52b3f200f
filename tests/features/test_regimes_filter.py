"""The forward filter: a slow reference, hmmlearn's last smoothed row, and causality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal

from alphafactory.features import check_causal
from alphafactory.features.hmm_filter import forward_filter, gaussian_log_likelihood
from alphafactory.features.regimes import RegimeModel, market_returns


def two_regime_returns(n_time: int = 1200, seed: int = 0) -> tuple[pd.Series, np.ndarray]:
    """Daily returns, calm (sd 0.8%) with four stressed spells (sd 2.5%); and the stress flag."""
    stressed = np.zeros(n_time, dtype=bool)
    for start, stop in ((200, 320), (600, 700), (1000, 1180), (1350, 1420)):
        stressed[start:stop] = True
    ret = np.random.default_rng(seed).normal(0.0003, np.where(stressed, 0.025, 0.008))
    index = pd.date_range("2020-01-01", periods=n_time, freq="D", tz="UTC", name="timestamp")
    return pd.Series(ret, index=index, name="ret"), stressed


@pytest.fixture(scope="module")
def regime_returns() -> pd.Series:
    return two_regime_returns()[0]


def _random_hmm(rng: np.random.Generator, k: int, d: int) -> dict[str, np.ndarray]:
    transmat = rng.dirichlet(np.ones(k) * 0.5, size=k) * 0.3 + np.eye(k) * 0.7
    factors = rng.normal(size=(k, d, d))
    covars = factors @ factors.transpose(0, 2, 1) + 0.1 * np.eye(d)
    return {"startprob": rng.dirichlet(np.ones(k)), "transmat": transmat,
            "means": rng.normal(size=(k, d)), "covars": covars}  # fmt: skip


def _reference_filter(x: np.ndarray, hmm: dict[str, np.ndarray]) -> np.ndarray:
    """Plain loop in probability space; a NaN row only propagates the previous one."""
    k = len(hmm["startprob"])
    out = np.full((len(x), k), np.nan)
    prob = None
    for t, row in enumerate(x):
        if np.isnan(row).any():
            if prob is not None:
                prob = prob @ hmm["transmat"]
                out[t] = prob
            continue
        lik = np.array([multivariate_normal.pdf(row, hmm["means"][j], hmm["covars"][j])
                        for j in range(k)])  # fmt: skip
        prior = hmm["startprob"] if prob is None else prob @ hmm["transmat"]
        prob = prior * lik / (prior * lik).sum()
        out[t] = prob
    return out


@pytest.mark.parametrize(("k", "d"), [(2, 1), (3, 2)])
def test_forward_filter_matches_reference_loop(k, d):
    rng = np.random.default_rng(k * 10 + d)
    hmm = _random_hmm(rng, k, d)
    x = rng.normal(size=(60, d)) * 1.5
    x[:3] = np.nan  # warm-up
    x[[20, 21, 40]] = np.nan  # missing observations inside
    log_lik = gaussian_log_likelihood(x, hmm["means"], hmm["covars"])
    got = forward_filter(log_lik, hmm["startprob"], hmm["transmat"])
    expected = _reference_filter(x, hmm)
    assert np.isnan(got[:3]).all()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[3:].sum(axis=1), 1.0, rtol=1e-12)


def test_gaussian_log_likelihood_matches_scipy():
    rng = np.random.default_rng(1)
    hmm = _random_hmm(rng, 3, 2)
    x = rng.normal(size=(25, 2))
    got = gaussian_log_likelihood(x, hmm["means"], hmm["covars"])
    for j in range(3):
        expected = multivariate_normal.logpdf(x, hmm["means"][j], hmm["covars"][j])
        np.testing.assert_allclose(got[:, j], expected, rtol=1e-12)


def test_forward_filter_survives_outliers_far_beyond_exp_range():
    hmm = {"startprob": np.array([0.5, 0.5]), "transmat": np.array([[1.0, 0.0], [0.0, 1.0]]),
           "means": np.array([[0.0], [10.0]]), "covars": np.array([[[1.0]], [[1.0]]])}  # fmt: skip
    x = np.array([[0.0], [0.0], [1e4], [10.0]])  # state 1 impossible a priori after row 0
    log_lik = gaussian_log_likelihood(x, hmm["means"], hmm["covars"])
    got = forward_filter(log_lik, hmm["startprob"], hmm["transmat"])
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got.sum(axis=1), 1.0)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(5, 40), st.integers(1, 4))
def test_forward_filter_rows_do_not_depend_on_later_rows(seed, n_time, cut):
    rng = np.random.default_rng(seed)
    hmm = _random_hmm(rng, 3, 2)
    x = rng.normal(size=(n_time, 2)) * 2.0
    x[rng.random(n_time) < 0.1] = np.nan
    log_lik = gaussian_log_likelihood(x, hmm["means"], hmm["covars"])
    full = forward_filter(log_lik, hmm["startprob"], hmm["transmat"])
    t = max(1, n_time - cut)
    prefix = forward_filter(
        gaussian_log_likelihood(x[:t], hmm["means"], hmm["covars"]),
        hmm["startprob"], hmm["transmat"],
    )  # fmt: skip
    np.testing.assert_array_equal(prefix, full[:t])  # bit for bit, NaN equal to NaN


# ------------------------------------------------------------------- against hmmlearn
def _hmmlearn_model(model: RegimeModel):
    hmm_mod = pytest.importorskip("hmmlearn.hmm")
    hmm = hmm_mod.GaussianHMM(n_components=model.n_states, covariance_type="full")
    hmm.n_features = len(model.features)
    hmm.startprob_, hmm.transmat_ = model.startprob_, model.transmat_
    hmm.means_, hmm.covars_ = model.means_, model.covars_
    return hmm


def _observations(model: RegimeModel, returns: pd.Series) -> np.ndarray:
    vol = returns.rolling(model.vol_window).std().to_numpy()
    return np.column_stack([returns.to_numpy(), vol])


@pytest.fixture(scope="module")
def fixed_model() -> RegimeModel:
    """A fixed two-state model on (ret, vol), no fitting needed."""
    return RegimeModel.from_parameters(
        startprob=[0.6, 0.4], transmat=[[0.97, 0.03], [0.06, 0.94]],
        means=[[0.0005, 0.009], [-0.001, 0.02]],
        covars=[[[1e-4, 0.0], [0.0, 4e-6]], [[4e-4, -2e-6], [-2e-6, 2.5e-5]]],
        n_states=2, features=("ret", "vol"), vol_window=20,
    )  # fmt: skip


def test_filtered_equals_last_smoothed_row_at_every_end(fixed_model, regime_returns):
    """p(s_t | x_1..x_t) is forward-backward's last row when the sequence ends at t."""
    hmm = _hmmlearn_model(fixed_model)
    returns = regime_returns.iloc[:400]
    filtered = fixed_model.filter_proba(returns).to_numpy()
    x = _observations(fixed_model, returns)
    first = int(np.isfinite(x).all(axis=1).argmax())  # first full volatility window
    assert first == fixed_model.vol_window - 1 and np.isnan(filtered[:first]).all()
    for end in (first, first + 1, 57, 150, 233, 399):
        smoothed = hmm.predict_proba(x[first : end + 1])
        np.testing.assert_allclose(filtered[end], smoothed[-1], rtol=1e-7, atol=1e-10)
    smoothed_all = hmm.predict_proba(x[first:])
    assert np.abs(smoothed_all[:-1] - filtered[first:-1]).max() > 0.05  # smoothing differs


# ------------------------------------------------------------------------- causality
@pytest.fixture(scope="module")
def causal_bars(bars_factory):
    bars = bars_factory(n_symbols=5, n_bars=360, seed=4)
    ts = bars.index.get_level_values("timestamp").unique()
    return bars.drop(pd.MultiIndex.from_product([ts[[150, 151]], ["S3"]]))


def test_filtered_regime_probabilities_are_causal(fixed_model, causal_bars):
    def regime_proba(bars: pd.DataFrame) -> pd.DataFrame:
        return fixed_model.filter_proba(market_returns(bars))

    report = check_causal(regime_proba, causal_bars, n_cuts=8, seed=3)
    assert report.ok, report.failures[:3]


def test_smoothed_predict_proba_fails_the_same_check(fixed_model, causal_bars):
    """Why hmmlearn's predict_proba is never a feature: its past moves with the future."""
    hmm = _hmmlearn_model(fixed_model)

    def smoothed(bars: pd.DataFrame) -> pd.DataFrame:
        returns = market_returns(bars)
        x = _observations(fixed_model, returns)
        ok = np.isfinite(x).all(axis=1)
        out = np.full((len(x), 2), np.nan)
        out[ok] = hmm.predict_proba(x[ok])
        return pd.DataFrame(out, index=returns.index, columns=["p0", "p1"])

    report = check_causal(smoothed, causal_bars, n_cuts=4, seed=3)
    assert not report.ok
    assert set(report.offending) == {"p0", "p1"}
    assert {f.check for f in report.failures} == {"truncate", "noise", "nan"}
    assert all(f.first_difference < f.cut for f in report.failures)  # earlier rows moved
