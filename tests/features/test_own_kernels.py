"""Closed-form checks of the volatility, microstructure and cross-sectional kernels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.features import (
    amihud,
    close_to_close,
    corwin_schultz,
    cs_rank,
    cs_zscore,
    garman_klass,
    kyle_lambda,
    market_return,
    order_flow_imbalance,
    parkinson,
    rogers_satchell,
    roll_spread,
    rolling_beta,
    vpin,
    yang_zhang,
)

N_BARS = 300


@pytest.fixture
def flat_range_bars():
    """Constant price P with H = P e^a and L = P e^-a on every bar, open = close = P."""
    a = 0.01
    price = np.full(N_BARS, 100.0)
    return price, price * np.exp(a), price * np.exp(-a), price, a


def test_parkinson_constant_range_is_closed_form(flat_range_bars):
    _, high, low, _, a = flat_range_bars
    out = parkinson(high, low, 20)
    np.testing.assert_allclose(out[19:], 2 * a / np.sqrt(4 * np.log(2)), rtol=1e-12)
    assert np.isnan(out[:19]).all()


def test_garman_klass_and_rogers_satchell_constant_range(flat_range_bars):
    o, h, lo, c, a = flat_range_bars
    np.testing.assert_allclose(garman_klass(o, h, lo, c, 10)[9:], np.sqrt(0.5) * 2 * a,
                               rtol=1e-12)
    np.testing.assert_allclose(rogers_satchell(o, h, lo, c, 10)[9:], np.sqrt(2) * a,
                               rtol=1e-12)


def test_close_to_close_and_yang_zhang_match_direct_formulas():
    rng = np.random.default_rng(3)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, N_BARS)))
    open_ = np.r_[100.0, close[:-1]] * np.exp(rng.normal(0, 0.004, N_BARS))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.005, N_BARS)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.005, N_BARS)))
    n = 20
    c, o, h, lo = (pd.Series(x) for x in (close, open_, high, low))
    np.testing.assert_allclose(close_to_close(close, n), np.log(c).diff().rolling(n).std(),
                               rtol=1e-8)
    k = 0.34 / (1.34 + (n + 1) / (n - 1))
    overnight = np.log(o / c.shift(1)).rolling(n).var()
    intraday = np.log(c / o).rolling(n).var()
    rs = (np.log(h / c) * np.log(h / o) + np.log(lo / c) * np.log(lo / o)).rolling(n).mean()
    expected = np.sqrt(overnight + k * intraday + (1 - k) * rs)
    np.testing.assert_allclose(yang_zhang(open_, high, low, close, n), expected, rtol=1e-7)


def test_roll_spread_recovers_simulated_bid_ask_bounce():
    rng = np.random.default_rng(11)
    n, spread = 20_000, 0.10
    mid = 50.0 + np.cumsum(rng.normal(0, 0.005, n))
    price = mid + spread / 2 * rng.choice([-1.0, 1.0], n)
    est = roll_spread(price, n - 2)[-1]
    assert est == pytest.approx(spread, rel=0.05)


def test_corwin_schultz_known_case_is_exact():
    spread = 0.02
    price = np.full(50, 40.0)
    high, low = price * (1 + spread / 2), price * (1 - spread / 2)
    out = corwin_schultz(high, low, 5)
    np.testing.assert_allclose(out[5:], spread, rtol=1e-10)
    assert np.isnan(out[:5]).all()


def test_kyle_lambda_recovers_planted_impact():
    rng = np.random.default_rng(5)
    n, lam = 3_000, 2.5e-7
    flow = rng.normal(0, 1e5, n)
    ret = lam * flow + rng.normal(0, 0.002, n)
    est = kyle_lambda(ret, flow, 2_000)
    assert est[-1] == pytest.approx(lam, rel=0.05)
    assert np.isnan(est[:1_999]).all()


def test_amihud_constant_inputs_closed_form():
    close = 100 * 1.01 ** np.arange(40)  # +1% every bar
    volume = np.full(40, 1_000.0)
    out = amihud(close, volume, 10)
    expected = 0.01 / (close * volume)
    np.testing.assert_allclose(out[10:], pd.Series(expected).rolling(10).mean()[10:], rtol=1e-9)


def test_vpin_bounded_and_symmetric_in_direction():
    rng = np.random.default_rng(2)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, N_BARS)))
    volume = rng.lognormal(10, 0.3, N_BARS)
    out = vpin(close, volume, 20, 20)
    finite = out[np.isfinite(out)]
    assert len(finite) == N_BARS - 39 and (finite >= 0).all() and (finite <= 1).all()
    mirrored = vpin(100 * 100 / close, volume, 20, 20)  # every log change flips sign
    np.testing.assert_allclose(mirrored, out, rtol=1e-9)


def test_order_flow_imbalance_all_buying_is_one():
    low = np.full(30, 10.0)
    high = np.full(30, 11.0)
    out = order_flow_imbalance(low, high, low, high, np.full(30, 5.0), 5)
    np.testing.assert_allclose(out[4:], 1.0)


def test_cs_rank_and_zscore_per_timestamp():
    x = np.array([[1.0, 2.0, 2.0, np.nan, 4.0], [np.nan, np.nan, 3.0, np.nan, np.nan]])
    rank = cs_rank(x)
    np.testing.assert_allclose(rank[0], [-0.5, 0.0, 0.0, np.nan, 0.5])
    np.testing.assert_array_equal(rank[1], [np.nan, np.nan, 0.0, np.nan, np.nan])
    z = cs_zscore(x)
    finite = z[0][np.isfinite(z[0])]
    assert finite.mean() == pytest.approx(0.0, abs=1e-12)
    assert finite.std(ddof=1) == pytest.approx(1.0)
    assert np.isnan(z[1]).all()


def test_rolling_beta_recovers_planted_betas():
    rng = np.random.default_rng(9)
    mkt = rng.normal(0, 0.01, 2_000)
    betas = np.array([0.5, 1.0, 1.5])
    ret = mkt[:, None] * betas + rng.normal(0, 0.001, (2_000, 3))
    est = rolling_beta(ret, mkt, 1_500)
    np.testing.assert_allclose(est[-1], betas, rtol=0.02)
    np.testing.assert_allclose(market_return(ret), ret.mean(axis=1))


def test_own_kernels_keep_input_type(bars):
    high, low = bars["high"].unstack("symbol"), bars["low"].unstack("symbol")
    out = parkinson(high, low, 10)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(high.index) and out.columns.equals(high.columns)
    one = corwin_schultz(high["S0"], low["S0"], 10)
    assert isinstance(one, pd.Series) and one.index.equals(high.index)
    np.testing.assert_allclose(one.to_numpy(), corwin_schultz(high.to_numpy(), low.to_numpy(),
                                                              10)[:, 0])
