"""Rules of the momentum, breakout and z-score sources on hand-built prices; the contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError, DataError
from alphafactory.features import check_causal
from alphafactory.strategies import (
    SOURCES,
    Breakout,
    MeanReversion,
    Momentum,
    NotFittedError,
    feature_mask,
    get_source,
)
from alphafactory.strategies.mean_reversion import threshold_positions


def _series(frame: pd.DataFrame, column: str, symbol: str) -> pd.Series:
    return frame[column].xs(symbol, level="symbol")


def test_breakout_enters_exits_and_reverses_at_the_right_bars(make_bars):
    close = np.r_[np.full(25, 100.0), np.full(5, 102.0), 98.5, 98.0, 98.0]
    high = np.r_[np.full(25, 101.0), np.full(5, 102.5), 99.0, 98.5, 98.5]
    low = np.r_[np.full(25, 99.0), np.full(5, 101.5), 98.5, 97.9, 97.9]
    bars = make_bars({"A": close}, {"A": high}, {"A": low})
    out = Breakout(window=20, exit_window=10).fit(bars).scores(bars)
    score = _series(out, "score", "A").to_numpy()
    # the first 20 bars have no prior 20-bar channel: no score
    assert len(score) == len(close) - 20
    position = dict(enumerate(score, start=20))
    assert position[24] == 0 and position[25] == 1 and position[29] == 1  # breaks out at 25
    assert position[30] == 0  # below the 10-bar low (99): exits, enters nothing that bar
    assert position[31] == -1 and position[32] == -1  # below the 20-bar low (98.5): short
    weights = _series(out, "target_weight", "A").to_numpy()
    np.testing.assert_array_equal(weights, score)  # one symbol: weight = position


def test_breakout_long_only_never_shorts(make_bars):
    close = np.r_[np.full(25, 100.0), np.full(10, 90.0)]
    bars = make_bars({"A": close})
    out = Breakout(window=20, exit_window=5, short=False).fit(bars).scores(bars)
    assert (out["score"] >= 0).all()


def test_zscore_bands_enter_exit_and_stop():
    z = np.array([0, -2.5, -1.0, -0.4, 0, 2.5, 1.0, 0.3, 0, -2.1, -4.5, -3.0, -0.2, -2.2])
    got = threshold_positions(z[:, None], entry=2.0, exit=0.5, stop=4.0)[:, 0]
    #          0  1  2  3  4   5   6  7  8  9 10 11 12 13
    expected = [0, 1, 1, 0, 0, -1, -1, 0, 0, 1, 0, 0, 0, 1]
    # 10: stopped at |z| > 4; 11: still beyond the entry but blocked until |z| < 0.5 (bar 12)
    np.testing.assert_array_equal(got, expected)


def test_mean_reversion_buys_a_drop_and_sells_the_recovery(make_bars):
    close = 100 * (1 + 0.002 * np.sin(np.arange(60.0)))  # |z| stays below 2 before the drop
    close[40:45] *= 0.95  # a 5% drop for five bars, then back
    bars = make_bars({"A": close})
    out = MeanReversion(window=20, entry=2.0, exit=0.5, stop=None).fit(bars).scores(bars)
    score = _series(out, "score", "A")
    ts = bars.index.get_level_values("timestamp").unique()
    assert score[ts[40]] == 1  # the drop is 2+ standard deviations below the mean
    assert score[ts[46]] == 0  # the recovery exits


def test_momentum_scores_the_skipped_windowed_returns(make_bars):
    close = 100 * np.exp(np.linspace(0, 0.3, 40))
    close[-1] = 10.0  # the skipped last bar does not count
    bars = make_bars({"A": close, "B": close[::-1].copy()})
    out = Momentum(windows=(5, 10), skip=1).fit(bars).scores(bars)
    last = out.xs(bars.index.get_level_values(0)[-1], level="timestamp")["score"]
    logc = np.log(close)
    expected = 0.5 * (logc[-2] - logc[-7]) / np.sqrt(5) + 0.5 * (logc[-2] - logc[-12]) / np.sqrt(10)
    assert last["A"] == pytest.approx(expected)
    agree = Momentum(windows=(5, 10), mode="agreement").fit(bars).scores(bars)
    assert set(np.unique(agree["score"])) <= {-1.0, 0.0, 1.0}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_source_is_causal(name, make_bars, make_pair):
    closes, _ = make_pair(n=200, noise=2)
    bars = make_bars(closes)
    # short warm-ups: check_causal needs a score before its earliest cut (a fifth in)
    params = {"pairs": {"window": 30, "min_rows": 60}, "momentum": {"windows": [5, 20]}}
    params = params.get(name, {})
    source = get_source(name, params).fit(bars)
    report = check_causal(source.scores, bars, n_cuts=3, seed=1)
    assert report.ok, report.failures[:3]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_source_follows_the_estimator_contract(name, make_bars):
    bars = make_bars({"A": np.linspace(100, 110, 30), "B": np.linspace(100, 90, 30)})
    source = get_source(name)
    with pytest.raises(NotFittedError):
        source.scores(bars)
    clone = source.clone()
    assert type(clone) is type(source) and clone.get_params() == source.get_params()
    assert not hasattr(clone, "fitted_")
    with pytest.raises(DataError, match="indexed"):
        source.fit(bars.droplevel("symbol"))


def test_get_source_rejects_unknown_names_and_parameters(make_bars):
    with pytest.raises(ConfigError, match="not one of"):
        get_source("nope")
    with pytest.raises(ConfigError, match=r"unknown parameter\(s\) \['windw'\]"):
        get_source("momentum", {"windw": 3})
    with pytest.raises(ConfigError, match="exit < entry"):
        get_source("mean_reversion", {"entry": 0.4}).fit(make_bars({"A": np.ones(5)}))


def test_mask_zeroes_scores_where_the_filter_fails(make_bars):
    close = np.r_[np.linspace(100, 130, 40), np.linspace(130, 100, 40)]
    bars = make_bars({"A": close, "B": close[::-1].copy()})
    plain = Momentum(windows=(5,)).fit(bars).scores(bars)
    masked = get_source("momentum", {"windows": [5], "mask": "tech_filter"}).fit(bars)
    out = masked.scores(bars)
    gate = feature_mask("tech_filter")(bars).reindex(out.index)
    assert (out["score"][gate != 1] == 0).all()
    passed = gate == 1
    np.testing.assert_array_equal(out["score"][passed], plain["score"].reindex(out.index)[passed])
    assert (gate == 1).any() and (gate == 0).any()


def test_regimes_fit_on_the_training_bars_and_zero_scores_outside_the_chosen_states():
    """``regimes`` fits the HMM in ``fit`` on the training bars only and masks causally."""
    pytest.importorskip("hmmlearn")
    from alphafactory.data import synthetic_market
    from alphafactory.features.regimes import RegimeModel, market_returns, regime_filter

    bars = synthetic_market(n_symbols=8, n_bars=700, seed=3).bars
    times = bars.index.get_level_values(0).unique()
    train = bars[bars.index.get_level_values(0) < times[400]]
    spec = {"states": [0], "n_states": 2, "seed": 1}
    source = get_source("momentum", {"windows": [5, 20], "regimes": spec}).fit(train)
    out = source.scores(bars)
    plain = Momentum(windows=(5, 20)).fit(train).scores(bars)
    model = RegimeModel(n_states=2, seed=1).fit(market_returns(train))
    calm = regime_filter(model, [0])(bars).reindex(out.index) == 1.0
    assert 0.1 < calm.mean() < 0.99  # both regimes occur
    assert (out["score"][~calm] == 0).all()
    np.testing.assert_array_equal(out["score"][calm], plain["score"].reindex(out.index)[calm])
    poisoned = bars.copy()
    late = poisoned.index.get_level_values(0) >= times[400]
    poisoned.loc[late, ["open", "high", "low", "close"]] *= 3.0
    refit = get_source("momentum", {"windows": [5, 20], "regimes": spec}).fit(train)
    early = out.index.get_level_values(0) < times[400]
    # later bars cannot move earlier scores, through the rules or the regime filter
    pd.testing.assert_frame_equal(
        refit.scores(poisoned).loc[out.index[early]], out.loc[out.index[early]]
    )
    with pytest.raises(ConfigError, match="regimes"):
        get_source("momentum", {"regimes": {"n_state": 2}}).fit(train)
