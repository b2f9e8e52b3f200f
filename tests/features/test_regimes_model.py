"""RegimeModel: finds the stressed spells, orders states by volatility, stores as JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import synthetic_market
from alphafactory.errors import DataError, ModelError
from alphafactory.features import NotFittedError, check_causal
from alphafactory.features.regimes import (
    RegimeModel,
    market_returns,
    market_series,
    mask_scores,
    regime_filter,
    regime_mask,
)

pytest.importorskip("hmmlearn")

SPELLS = ((200, 320), (600, 700), (1000, 1180), (1350, 1420))


def two_regime_returns(n_time: int = 1500, seed: int = 0) -> tuple[pd.Series, np.ndarray]:
    """Daily returns, calm (sd 0.8%) with four stressed spells (sd 2.5%); and the stress flag."""
    stressed = np.zeros(n_time, dtype=bool)
    for start, stop in SPELLS:
        stressed[start:stop] = True
    ret = np.random.default_rng(seed).normal(0.0003, np.where(stressed, 0.025, 0.008))
    index = pd.date_range("2020-01-01", periods=n_time, freq="D", tz="UTC", name="timestamp")
    return pd.Series(ret, index=index, name="ret"), stressed


@pytest.fixture(scope="module")
def regimes() -> tuple[pd.Series, np.ndarray]:
    return two_regime_returns()


@pytest.fixture(scope="module")
def fitted(regimes) -> RegimeModel:
    returns, _ = regimes
    return RegimeModel(seed=0).fit(returns.iloc[:1000])


def _accuracy(proba: pd.DataFrame, stressed: np.ndarray) -> float:
    p1 = proba["regime_p1"].to_numpy()
    known = np.isfinite(p1)
    return float(((p1[known] > 0.5) == stressed[known]).mean())


def test_filtered_probabilities_identify_the_stressed_spells(fitted, regimes):
    returns, stressed = regimes
    proba = fitted.filter_proba(returns)
    assert list(proba.columns) == ["regime_p0", "regime_p1"]
    assert proba.index.equals(returns.index)
    assert proba.iloc[:19].isna().all().all() and proba.iloc[19:].notna().all().all()
    np.testing.assert_allclose(proba.iloc[19:].sum(axis=1), 1.0)
    assert _accuracy(proba, stressed) > 0.9
    assert _accuracy(proba.iloc[1000:], stressed[1000:]) > 0.85  # out of sample
    state = fitted.state(returns)
    assert state.dtype == "Int64" and state.iloc[:19].isna().all()
    assert (state.iloc[19:].to_numpy() == proba.iloc[19:].to_numpy().argmax(axis=1)).all()


@pytest.mark.parametrize("features", [("ret",), ("vol", "ret"), ("ret", "log_vol")])
def test_state_zero_is_the_calm_state_for_every_seed_and_fit_window(regimes, features):
    returns, stressed = regimes
    states = []
    for seed, window in ((0, slice(0, 900)), (1, slice(500, 1500)), (7, slice(None))):
        model = RegimeModel(features=features, seed=seed, n_restarts=2).fit(returns.iloc[window])
        ret_sd = np.sqrt(model.covars_[:, features.index("ret"), features.index("ret")])
        assert ret_sd[0] < ret_sd[1]
        assert model.transmat_[0, 0] > 0.9  # persistent calm
        states.append(model.state(returns).iloc[25:].to_numpy(dtype=float))
    # the labels mean the same thing whatever the seed and the training window
    assert (states[0] == states[1]).mean() > 0.95 and (states[0] == states[2]).mean() > 0.95
    assert (states[0] == stressed[25:]).mean() > 0.8


def test_fit_is_deterministic_in_the_seed(fitted, regimes):
    again = RegimeModel(seed=0).fit(regimes[0].iloc[:1000])
    np.testing.assert_array_equal(again.transmat_, fitted.transmat_)
    np.testing.assert_array_equal(again.covars_, fitted.covars_)


def test_synthetic_market_stress_raises_the_stressed_probability():
    """The synthetic market's stress (x2.2 market volatility) shows through GARCH clustering."""
    market = synthetic_market(n_symbols=10, n_bars=1500, seed=2)
    returns = market_returns(market.bars)
    stressed = market.regime.reindex(returns.index).to_numpy() == 1
    proba = RegimeModel(seed=0, n_restarts=2).fit(returns.iloc[:1000]).filter_proba(returns)
    p1 = proba["regime_p1"].to_numpy()
    known = np.isfinite(p1)
    hit, false_alarm = (p1[known & stressed] > 0.5).mean(), (p1[known & ~stressed] > 0.5).mean()
    assert hit - false_alarm > 0.4, (hit, false_alarm)


def test_json_round_trip_keeps_the_filter_bit_for_bit(fitted, regimes):
    document = json.loads(json.dumps(fitted.to_state()))
    restored = RegimeModel.from_state(document)
    assert restored.get_params() == fitted.get_params()
    assert restored.log_likelihood_ == fitted.log_likelihood_
    pd.testing.assert_frame_equal(restored.filter_proba(regimes[0]),
                                  fitted.filter_proba(regimes[0]))  # fmt: skip
    with pytest.raises(ModelError, match="regime_model"):
        RegimeModel.from_state({"kind": "ridge"})
    with pytest.raises(ModelError, match="shapes"):
        RegimeModel.from_state({**document, "transmat": [[1.0]]})


def test_contract_unfitted_errors_and_bad_arguments(regimes):
    model = RegimeModel(n_states=3, features=("ret",))
    assert model.get_params()["n_states"] == 3 and "RegimeModel(n_states=3" in repr(model)
    assert not any(k.endswith("_") for k in vars(model))
    with pytest.raises(NotFittedError):
        model.filter_proba(regimes[0])
    with pytest.raises(NotFittedError):
        model.to_state()
    with pytest.raises(ValueError, match="features"):
        RegimeModel(features=("ret", "volume")).fit(regimes[0])
    with pytest.raises(ValueError, match="n_states"):
        RegimeModel(n_states=1).fit(regimes[0])
    with pytest.raises(DataError, match="at least"):
        RegimeModel().fit(regimes[0].iloc[:50])
    with pytest.raises(DataError, match="sorted"):
        RegimeModel().fit(regimes[0].iloc[::-1])


def test_market_series_is_the_equal_weight_log_return_and_its_volatility(bars_factory):
    bars = bars_factory(n_symbols=3, n_bars=60, seed=1, ragged=False)
    series = market_series(bars, vol_window=5)
    logret = np.log(bars["close"].unstack()).diff()
    np.testing.assert_allclose(series["ret"].iloc[1:], logret.mean(axis=1).iloc[1:], atol=1e-15)
    assert np.isnan(series["ret"].iloc[0])
    expected_vol = logret.mean(axis=1).rolling(5).std()
    np.testing.assert_allclose(series["vol"], expected_vol, rtol=1e-9, equal_nan=True)


# ------------------------------------------------------------------------- as a filter
def test_regime_mask_and_mask_scores():
    index = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC", name="timestamp")
    p1 = np.array([np.nan, 0.1, 0.6, 0.8])
    proba = pd.DataFrame({"regime_p0": 1.0 - p1, "regime_p1": p1}, index=index)
    calm = regime_mask(proba, [0])
    assert calm.tolist() == [False, True, False, False]
    assert regime_mask(proba, [1], min_prob=0.7).tolist() == [False, False, False, True]
    assert regime_mask(proba, [0, 1]).tolist() == [False, True, True, True]
    rows = pd.MultiIndex.from_product([index, ["A", "B"]], names=["timestamp", "symbol"])
    scores = pd.Series(1.0, index=rows)
    masked = mask_scores(scores, calm)
    assert masked.tolist() == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    wide = pd.DataFrame({"A": [1.0, 2.0, 3.0, 4.0]}, index=index)
    assert mask_scores(wide, calm.iloc[1:2])["A"].tolist() == [0.0, 2.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="allowed_states"):
        regime_mask(proba, [2])
    with pytest.raises(ValueError, match="min_prob"):
        regime_mask(proba, [0], min_prob=0.0)


def test_regime_filter_is_a_causal_strategy_mask():
    market = synthetic_market(n_symbols=5, n_bars=700, seed=3)
    bars = market.bars
    times = bars.index.get_level_values("timestamp")
    history, later = bars[times < times.unique()[400]], bars[times >= times.unique()[300]]
    model = RegimeModel(seed=0, n_restarts=1).fit(market_returns(history))
    calm = regime_filter(model, [0], min_prob=0.6)
    mask = calm(later)
    assert mask.index.equals(later.index) and set(mask.unique()) == {0.0, 1.0}
    proba = model.filter_proba(market_returns(later))
    expected = regime_mask(proba, [0], 0.6).reindex(later.index.get_level_values(0))
    np.testing.assert_array_equal(mask.to_numpy() == 1.0, expected.to_numpy())
    assert check_causal(calm, later, n_cuts=4, seed=2).ok
    with pytest.raises(ValueError, match="allowed_states"):
        regime_filter(model, [2])
    strategies = pytest.importorskip("alphafactory.strategies")
    source = strategies.Momentum(windows=(20,), mask=calm).fit(history)
    scores = source.scores(later)["score"]
    outside = mask.reindex(scores.index) == 0.0
    assert outside.any() and (scores[outside] == 0.0).all() and (scores[~outside] != 0).any()
