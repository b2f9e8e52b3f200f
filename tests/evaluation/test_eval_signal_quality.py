from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alphafactory.data.panel import to_wide
from alphafactory.data.synthetic import synthetic_market
from alphafactory.evaluation import (
    directional_accuracy,
    forward_compounded,
    ic_decay,
    quantile_returns,
)
from alphafactory.labels import forward_returns

STAMPS = pd.date_range("2021-01-04", periods=2, freq="D", tz="UTC", name="timestamp")


@pytest.fixture(scope="module")
def planted():
    return synthetic_market(30, 300, seed=1, alpha_ic=0.1)


def test_directional_accuracy_skips_zero_calls_and_outcomes():
    index = pd.date_range("2021-01-04", periods=6, freq="D", tz="UTC")
    scores = pd.Series([1.0, -2.0, 0.5, 0.0, 3.0, -1.0], index=index)
    labels = pd.Series([0.1, 0.2, -0.3, 0.4, 0.0, -0.5], index=index)
    # counted pairs: (1, .1) right, (-2, .2) wrong, (.5, -.3) wrong, (-1, -.5) right
    assert directional_accuracy(scores, labels) == 0.5


def test_directional_accuracy_no_calls_is_nan():
    index = pd.date_range("2021-01-04", periods=2, freq="D", tz="UTC")
    assert math.isnan(directional_accuracy(pd.Series(0.0, index=index), pd.Series(1.0, index)))


def test_forward_compounded_hand_computation_matches():
    index = pd.date_range("2021-01-04", periods=4, freq="D", tz="UTC")
    fwd = forward_compounded(pd.Series([0.5, 0.1, -0.2, 0.3], index=index), 2)
    # at t0: (1.1)(0.8) - 1; at t1: (0.8)(1.3) - 1; the last two have no full horizon
    assert fwd.tolist() == pytest.approx([1.1 * 0.8 - 1, 0.8 * 1.3 - 1])
    assert fwd.attrs["horizon"] == 2


def test_forward_compounded_panel_matches_close_to_close_labels(planted):
    close = to_wide(planted.bars, "close")
    one_bar = close / close.shift(1) - 1.0
    expected = forward_returns(planted.bars, 3, entry="close").dropna()
    got = forward_compounded(one_bar, 3)
    pd.testing.assert_series_equal(got, expected, check_names=False, rtol=1e-10)


def test_ic_decay_planted_alpha_recovers_ic_at_one_bar(planted):
    table = ic_decay(planted.truth, planted.bars, [1, 5], method="pearson")
    assert list(table.index) == [1, 5]
    assert list(table.columns) == ["mean", "std", "se", "t_stat", "icir", "n"]
    assert table.loc[1, "mean"] == pytest.approx(0.1, abs=2e-3)
    # five-bar labels overlap: the summary carries the wider Newey-West error
    assert table.loc[5, "se"] > table.loc[1, "se"]


def test_ic_decay_from_returns_equals_from_close_labels(planted):
    close = to_wide(planted.bars, "close")
    returns = close / close.shift(1) - 1.0
    from_returns = ic_decay(planted.truth, returns, [2])
    from_bars = ic_decay(planted.truth, planted.bars, [2], entry="close")
    pd.testing.assert_frame_equal(from_returns, from_bars, rtol=1e-9)


def test_ic_decay_empty_horizons_raise(planted):
    with pytest.raises(ValueError, match="horizons"):
        ic_decay(planted.truth, planted.bars, [])


def test_quantile_returns_hand_computation(make_panel):
    symbols = list("ABCDEF")
    scores = make_panel([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]], STAMPS, symbols)
    labels = make_panel([[1, 2, 3, 4, 5, 6], [10, 20, 30, 40, 50, 60]], STAMPS, symbols)
    table = quantile_returns(scores, labels, n_quantiles=3)
    # t0: buckets {A,B}, {C,D}, {E,F}; t1 reversed scores: {E,F} low, {A,B} high
    assert table.columns.tolist() == ["q1", "q2", "q3", "long_short"]
    assert table.iloc[0].tolist() == pytest.approx([1.5, 3.5, 5.5, 4.0])
    assert table.iloc[1].tolist() == pytest.approx([55.0, 35.0, 15.0, -40.0])


def test_quantile_returns_ties_share_a_bucket_and_small_dates_drop(make_panel):
    scores = make_panel([[1, 1, 1, 2], [1, 2, 3, np.nan]], STAMPS, list("ABCD"))
    labels = make_panel([[1, 2, 3, 4], [1, 2, 3, 4]], STAMPS, list("ABCD"))
    table = quantile_returns(scores, labels, n_quantiles=4)
    # t0 ranks (2, 2, 2, 4): bucket floor((2 - .5) * 4 / 4) + 1 = 2, and 4; t1 has 3 symbols
    assert len(table) == 1
    assert table.iloc[0, :4].tolist()[1] == pytest.approx(2.0)
    assert np.isnan(table.iloc[0]["q1"]) and table.iloc[0]["q4"] == 4.0


def test_quantile_returns_single_asset_raises():
    index = pd.date_range("2021-01-04", periods=10, freq="D", tz="UTC")
    series = pd.Series(np.arange(10.0), index=index)
    with pytest.raises(ValueError, match="cross-sectional"):
        quantile_returns(series, series)


def test_quantile_returns_planted_alpha_spread_positive(planted):
    labels = forward_returns(planted.bars, 1, entry="next_open")
    means = quantile_returns(planted.truth, labels).mean()
    assert means["long_short"] > 0
    assert means["q5"] > means["q1"]
