from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import OHLCV_COLUMNS, check_bars, planted_alpha, synthetic_market, to_wide


@pytest.fixture(scope="module")
def planted():
    return synthetic_market(n_symbols=40, n_bars=1000, seed=3, alpha_ic=0.06, momentum_weight=0.3)


@pytest.fixture(scope="module")
def null_market():
    return synthetic_market(n_symbols=40, n_bars=1500, seed=4, alpha_ic=0.0)


def _ics(market, kind: str) -> pd.Series:
    close = to_wide(market.bars, "close")
    open_ = to_wide(market.bars, "open")
    if kind == "close_log":
        nxt = np.log(close).diff().shift(-1)
    elif kind == "open_log":
        nxt = np.log(close / open_).shift(-1)
    else:
        nxt = (close / open_ - 1.0).shift(-1)
    truth = to_wide(market.truth)
    return truth.corrwith(nxt, axis=1).dropna()


def test_synthetic_market_same_seed_identical_output():
    a = synthetic_market(n_symbols=8, n_bars=120, seed=11, alpha_ic=0.1)
    b = synthetic_market(n_symbols=8, n_bars=120, seed=11, alpha_ic=0.1)
    c = synthetic_market(n_symbols=8, n_bars=120, seed=12, alpha_ic=0.1)
    pd.testing.assert_frame_equal(a.bars, b.bars)
    pd.testing.assert_series_equal(a.truth, b.truth)
    assert not np.allclose(a.bars["close"].to_numpy(), c.bars["close"].to_numpy())


def test_synthetic_market_bars_follow_contract(planted):
    bars = planted.bars
    check_bars(bars)
    assert list(bars.columns) == list(OHLCV_COLUMNS)
    assert all(dtype == np.float64 for dtype in bars.dtypes)
    assert bars.index.names == ["timestamp", "symbol"]
    timestamps = bars.index.get_level_values("timestamp")
    assert str(timestamps.tz) == "UTC"
    assert bars.index.is_monotonic_increasing and bars.index.is_unique
    assert bars.shape == (40 * 1000, 5)
    assert np.isfinite(bars.to_numpy()).all()
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()
    assert (bars[["open", "high", "low", "close", "volume"]] > 0).all().all()
    pd.testing.assert_index_equal(planted.truth.index, bars.index)


@pytest.mark.parametrize("kind", ["close_log", "open_log"])
def test_synthetic_market_planted_ic_exact_for_log_returns(planted, kind):
    ics = _ics(planted, kind)
    assert len(ics) == 1000 - 20 - 1
    np.testing.assert_allclose(ics.to_numpy(), 0.06, atol=1e-9)


def test_synthetic_market_planted_ic_close_for_simple_returns(planted):
    assert _ics(planted, "open_simple").mean() == pytest.approx(0.06, abs=3e-3)


def test_synthetic_market_inexact_ic_matches_in_expectation():
    market = synthetic_market(n_symbols=60, n_bars=1500, seed=5, alpha_ic=0.08, exact_ic=False)
    ics = _ics(market, "close_log")
    assert ics.std() > 0.05  # sampling noise is present
    assert ics.mean() == pytest.approx(0.08, abs=3 * ics.std() / np.sqrt(len(ics)))


def test_synthetic_market_null_market_has_no_ic(null_market):
    ics = _ics(null_market, "close_log")
    assert abs(ics.mean()) < 3 * ics.std() / np.sqrt(len(ics))
    assert null_market.truth.notna().sum() == 40 * (1500 - 5)


def test_synthetic_market_truth_is_planted_alpha_of_past_bars(planted):
    recomputed = planted_alpha(planted.bars, momentum_weight=0.3)
    pd.testing.assert_series_equal(recomputed, planted.truth, rtol=1e-9, atol=1e-9)
    cut = planted.bars.index.get_level_values("timestamp").unique()[500]
    past = planted.bars.loc[planted.bars.index.get_level_values("timestamp") <= cut]
    pd.testing.assert_series_equal(
        planted_alpha(past, momentum_weight=0.3), planted.truth.loc[past.index], rtol=1e-9
    )


def test_synthetic_market_stylized_facts_present(null_market):
    close = to_wide(null_market.bars, "close")
    volume = to_wide(null_market.bars, "volume")
    returns = np.log(close).diff().iloc[1:]
    flat = returns.to_numpy().ravel()
    assert pd.Series(flat).kurt() > 1.0  # fat tails
    abs_ret = returns.abs()
    clustering = np.nanmean([abs_ret[c].autocorr(1) for c in abs_ret.columns])
    assert clustering > 0.05  # volatility clustering
    vol_link = np.nanmean([abs_ret[c].corr(np.log(volume[c].iloc[1:])) for c in abs_ret.columns])
    assert vol_link > 0.1  # volume co-moves with volatility
    corr = returns.corr().to_numpy()
    sectors = null_market.sectors.reindex(returns.columns).to_numpy()
    same = (sectors[:, None] == sectors[None, :]) & ~np.eye(len(sectors), dtype=bool)
    different = sectors[:, None] != sectors[None, :]
    assert corr[different].mean() > 0.1  # market factor
    assert corr[same].mean() > corr[different].mean() + 0.05  # sector factor
    regime = null_market.regime.reindex(returns.index)
    market_ret = returns.mean(axis=1)
    assert set(regime.unique()) == {0, 1}
    assert market_ret[regime == 1].std() > 1.5 * market_ret[regime == 0].std()


def test_synthetic_market_intraday_has_sessions_and_u_shape():
    market = synthetic_market(n_symbols=20, n_bars=78 * 30, freq="5min", seed=1, alpha_ic=0.05)
    stamps = market.bars.index.get_level_values("timestamp").unique()
    minutes = stamps.hour * 60 + stamps.minute
    assert minutes.min() == 14 * 60 + 35 and minutes.max() == 21 * 60
    volume = to_wide(market.bars, "volume")
    by_time = volume.mean(axis=1).groupby(volume.index.time).mean()
    middle = by_time.iloc[30:48].mean()
    assert by_time.iloc[0] > 2 * middle and by_time.iloc[-1] > 2 * middle
    np.testing.assert_allclose(_ics(market, "open_log").to_numpy(), 0.05, atol=1e-9)
    close, open_ = to_wide(market.bars, "close"), to_wide(market.bars, "open")
    same_session = pd.Series(stamps.normalize(), index=stamps).duplicated().to_numpy()
    gaps = (open_ / close.shift(1)).to_numpy()[same_session]
    np.testing.assert_allclose(gaps, 1.0, rtol=1e-12)  # no gap inside a session


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha_ic": 1.0}, "alpha_ic"),
        ({"n_symbols": 2, "alpha_ic": 0.1}, "at least 3"),
        ({"freq": "2D"}, "freq"),
        ({"freq": "banana"}, "freq"),
        ({"momentum_weight": 1.5}, "momentum_weight"),
        ({"n_bars": 0}, ">= 1"),
    ],
)
def test_synthetic_market_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        synthetic_market(**{"n_symbols": 5, "n_bars": 50, **kwargs})
