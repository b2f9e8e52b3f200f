"""VaR and CVaR measures against numbers computed by hand, causality and homogeneity."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from alphafactory.risk import METHODS, portfolio_returns, proposal_var, rolling_var, window_var_cvar

X5 = np.array([0.01, -0.02, 0.03, -0.05, 0.00])
Z95, PHI95 = 1.6448536269514722, 0.10313564037537128  # -Phi^-1(0.05), phi(Phi^-1(0.05))
Z99 = 2.3263478740408408


def test_historical_var_interpolates_the_sorted_window_and_cvar_averages_the_tail():
    var, cvar = window_var_cvar(X5, method="historical", level=0.95)
    # sorted [-0.05, -0.02, 0, 0.01, 0.03]; h = 4 * 0.05 = 0.2 -> -0.05 + 0.2 * 0.03
    assert var == pytest.approx(0.044)
    assert cvar == pytest.approx(0.05)
    var, cvar = window_var_cvar(X5, method="historical", level=0.6)
    # h = 4 * 0.4 = 1.6 -> -0.02 + 0.6 * 0.02 = -0.008; tail = mean(-0.05, -0.02)
    assert var == pytest.approx(0.008)
    assert cvar == pytest.approx(0.035)


def test_gaussian_var_and_cvar_from_mean_and_sample_std():
    mu, s = -0.006, math.sqrt(0.00372 / 4)
    var, cvar = window_var_cvar(X5, method="gaussian", level=0.95)
    assert var == pytest.approx(0.006 + s * Z95)
    assert cvar == pytest.approx(-mu + s * PHI95 / 0.05)


def test_cornish_fisher_matches_scipy_moments_and_integrated_tail():
    rng = np.random.default_rng(3)
    x = rng.standard_t(4, 300) * 0.01
    skew, kurt = stats.skew(x), stats.kurtosis(x)
    mu, s = x.mean(), x.std(ddof=1)

    def zcf(u):
        z = stats.norm.ppf(u)
        return (z + (z**2 - 1) * skew / 6 + (z**3 - 3 * z) * kurt / 24
                - (2 * z**3 - 5 * z) * skew**2 / 36)

    var, cvar = window_var_cvar(x, method="cornish_fisher", level=0.99)
    assert var == pytest.approx(-(mu + s * zcf(0.01)))
    tail = integrate.quad(zcf, 0, 0.01, limit=200)[0] / 0.01
    assert cvar == pytest.approx(-(mu + s * tail), rel=1e-7)
    assert cvar > var


def test_ewma_and_fhs_follow_the_recursion_by_hand():
    x = np.array([0.01, -0.02, 0.03])
    v0 = (1e-4 + 4e-4 + 9e-4) / 3
    v1 = 0.9 * v0 + 0.1 * 1e-4
    v2 = 0.9 * v1 + 0.1 * 4e-4
    v3 = 0.9 * v2 + 0.1 * 9e-4
    sigma = math.sqrt(v3)
    var, cvar = window_var_cvar(x, method="ewma", level=0.99, lam=0.9)
    assert var == pytest.approx(sigma * Z99)
    assert cvar == pytest.approx(sigma * stats.norm.pdf(Z99) / 0.01)
    e = np.sort([0.01 / math.sqrt(v0), -0.02 / math.sqrt(v1), 0.03 / math.sqrt(v2)])
    var, cvar = window_var_cvar(x, method="fhs", level=0.95, lam=0.9)
    h = 2 * 0.05
    assert var == pytest.approx(-sigma * (e[0] + h * (e[1] - e[0])))
    assert cvar == pytest.approx(-sigma * e[0])


@pytest.mark.parametrize("method", METHODS)
def test_measure_is_positively_homogeneous_and_cvar_not_below_var(method):
    x = np.random.default_rng(0).standard_normal((4, 120)) * 0.01
    var, cvar = window_var_cvar(x, method=method, level=0.99)
    var3, cvar3 = window_var_cvar(3 * x, method=method, level=0.99)
    np.testing.assert_allclose(var3, 3 * var)
    np.testing.assert_allclose(cvar3, 3 * cvar)
    assert np.all(cvar >= var - 1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_rolling_var_is_causal_and_equals_the_window_estimate(method):
    rng = np.random.default_rng(1)
    idx = pd.date_range("2020-01-01", periods=80, freq="D", tz="UTC")
    r = pd.DataFrame(rng.standard_normal((80, 3)) * 0.01, index=idx, columns=list("abc"))
    est = rolling_var(r, method=method, level=0.95, window=30)
    assert est.var.iloc[:29].isna().all().all() and est.var.iloc[29:].notna().all().all()
    v, c = window_var_cvar(r["b"].to_numpy()[20:50], method=method, level=0.95)
    assert est.var["b"].iloc[49] == pytest.approx(v)
    assert est.cvar["b"].iloc[49] == pytest.approx(c)
    changed = r.copy()
    changed.iloc[50:] *= 5.0  # the future moves, the past must not
    again = rolling_var(changed, method=method, level=0.95, window=30)
    pd.testing.assert_frame_equal(again.var.iloc[:50], est.var.iloc[:50])


def test_rolling_var_window_with_nan_is_nan_and_series_stays_series():
    idx = pd.date_range("2020-01-01", periods=12, freq="D", tz="UTC")
    r = pd.Series(np.linspace(-0.02, 0.02, 12), index=idx)
    r.iloc[5] = np.nan
    est = rolling_var(r, method="gaussian", level=0.95, window=4)
    assert isinstance(est.var, pd.Series)
    assert est.var.iloc[5:9].isna().all() and est.var.iloc[[4, 9]].notna().all()


def test_portfolio_returns_use_the_previous_bars_weights():
    idx = pd.date_range("2020-01-01", periods=3, freq="D", tz="UTC")
    r = pd.DataFrame({"a": [0.0, 0.1, -0.2], "b": [0.0, 0.02, 0.04]}, index=idx)
    w = pd.DataFrame({"a": [0.5, 1.0], "b": [0.5, 0.0]}, index=idx[:2])
    out = portfolio_returns(r, w)
    assert np.isnan(out.iloc[0])
    assert out.iloc[1] == pytest.approx(0.5 * 0.1 + 0.5 * 0.02)
    assert out.iloc[2] == pytest.approx(-0.2)


def test_proposal_var_is_the_var_of_the_book_scenarios():
    window = np.array([[0.01, 0.0], [-0.02, 0.01], [0.03, -0.01], [-0.05, 0.0], [0.0, 0.02]])
    var, _ = proposal_var(window, np.array([2.0, 0.0]), method="historical", level=0.95)
    assert var == pytest.approx(2 * 0.044)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"method": "monte_carlo"}, "method"), ({"level": 1.2}, "level"), ({"lam": 1.0}, "lam"),
])
def test_bad_arguments_raise_with_the_name(kwargs, match):
    with pytest.raises(ValueError, match=match):
        window_var_cvar(X5, **kwargs)
