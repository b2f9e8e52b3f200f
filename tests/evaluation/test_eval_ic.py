from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alphafactory.data.panel import to_wide
from alphafactory.evaluation import ic_summary, icir, information_coefficient

STAMPS = pd.date_range("2021-01-04", periods=2, freq="D", tz="UTC", name="timestamp")


@pytest.fixture
def hand_panel(make_panel):
    scores = make_panel([[1, 2, 3], [1, 2, 10]], STAMPS, ["A", "B", "C"])
    labels = make_panel([[1, 3, 2], [1, 2, 3]], STAMPS, ["A", "B", "C"])
    return scores, labels


def test_ic_cross_sectional_hand_computation_matches(hand_panel):
    scores, labels = hand_panel
    ic = information_coefficient(scores, labels)
    # t0: demeaned s = (-1, 0, 1), y = (-1, 1, 0): 1 / sqrt(2 * 2)
    # t1: demeaned s = (-10, -7, 17) / 3, y = (-1, 0, 1): 9 / sqrt(438 / 9 * 2)
    assert ic.iloc[0] == pytest.approx(0.5)
    assert ic.iloc[1] == pytest.approx(9 / math.sqrt(438 / 9 * 2))
    assert ic.name == "ic"
    assert list(ic.index) == list(STAMPS)


def test_rank_ic_cross_sectional_uses_ranks(hand_panel):
    scores, labels = hand_panel
    rank_ic = information_coefficient(scores, labels, "spearman")
    assert rank_ic.tolist() == pytest.approx([0.5, 1.0])
    assert rank_ic.name == "rank_ic"


def test_ic_matches_per_timestamp_pandas_corr(noisy_panel):
    scores, labels = noisy_panel
    frame = pd.DataFrame({"s": scores, "y": labels})
    for method in ("pearson", "spearman"):
        expected = frame.groupby(level="timestamp").apply(
            lambda g, m=method: g["s"].corr(g["y"], method=m)
        )
        got = information_coefficient(scores, labels, method)
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-10)


def test_ic_wide_frames_equal_long_series(noisy_panel):
    scores, labels = noisy_panel
    long_ic = information_coefficient(scores, labels)
    wide_ic = information_coefficient(to_wide(scores), to_wide(labels))
    pd.testing.assert_series_equal(long_ic, wide_ic)


def test_ic_constant_scores_give_nan_and_small_cross_sections_are_dropped(make_panel):
    scores = make_panel([[0.1, 0.1, 0.1], [1, 2, 3]], STAMPS, ["A", "B", "C"])
    labels = make_panel([[1, 2, 3], [1, 2, np.nan]], STAMPS, ["A", "B", "C"])
    ic = information_coefficient(scores, labels)
    assert len(ic) == 1 and math.isnan(ic.iloc[0])  # second timestamp has only 2 pairs
    assert len(information_coefficient(scores, labels, min_obs=2)) == 2


def test_ic_single_asset_rolling_hand_computation_matches():
    index = pd.date_range("2021-01-04", periods=4, freq="D", tz="UTC", name="timestamp")
    scores = pd.Series([1.0, 2.0, 3.0, 4.0], index=index)
    labels = pd.Series([1.0, 3.0, 2.0, 5.0], index=index)
    ic = information_coefficient(scores, labels, window=3)
    # window 2: demeaned y = (-1, -4, 5) / 3: cov 2, var_s 2, var_y 42 / 9
    assert ic.tolist() == pytest.approx([0.5, 2 / math.sqrt(2 * 42 / 9)])
    assert list(ic.index) == list(index[2:])
    assert information_coefficient(scores, labels, "spearman", window=3).tolist() == (
        pytest.approx([0.5, 0.5])
    )
    assert ic.attrs["overlap"] == 3


def test_ic_overlap_attr_follows_label_horizon(noisy_panel):
    scores, labels = noisy_panel
    labels = labels.copy()
    labels.attrs["horizon"] = 5
    ic = information_coefficient(scores, labels)
    assert ic.attrs["overlap"] == 5
    assert ic_summary(ic) == ic_summary(ic, overlap=5)


def test_ic_panel_against_single_series_raises(hand_panel):
    scores, _ = hand_panel
    with pytest.raises(ValueError, match="both be panels"):
        information_coefficient(scores, pd.Series([1.0, 2.0], index=STAMPS))


def test_ic_disjoint_indexes_raise(hand_panel):
    scores, labels = hand_panel
    later = labels.copy()
    later.index = later.index.set_levels(STAMPS + pd.Timedelta(days=10), level="timestamp")
    with pytest.raises(ValueError, match="share no index key"):
        information_coefficient(scores, later)


def test_ic_duplicated_index_raises(hand_panel):
    scores, labels = hand_panel
    with pytest.raises(ValueError, match="duplicated"):
        information_coefficient(pd.concat([scores, scores]), labels)


def test_ic_unknown_method_raises(hand_panel):
    scores, labels = hand_panel
    with pytest.raises(ValueError, match="method"):
        information_coefficient(scores, labels, "kendall")


def test_ic_summary_hand_computation_matches():
    ic = pd.Series([0.1, 0.2, 0.3, 0.0])
    plain = ic_summary(ic)
    std = math.sqrt(0.05 / 3)
    assert (plain.mean, plain.std, plain.n) == (pytest.approx(0.15), pytest.approx(std), 4)
    assert plain.se == pytest.approx(std / 2)
    assert plain.t_stat == pytest.approx(0.15 / (std / 2))
    assert plain.icir == pytest.approx(0.15 / std) == icir(ic)
    # one Bartlett lag: g0 = 0.0125, g1 = -0.004375, S = 4/3 * (g0 + g1)
    hac = ic_summary(ic, lags=1)
    assert hac.se == pytest.approx(math.sqrt(4 / 3 * (0.0125 - 0.004375) / 4))


def test_ic_summary_newey_west_tracks_overlap_naive_does_not():
    rng = np.random.default_rng(3)
    h, n = 5, 20_000
    overlapping = np.convolve(rng.normal(size=n + h - 1), np.ones(h), mode="valid")
    true_se = math.sqrt(h * h / n)  # long-run variance of a sum of h iid unit normals is h^2
    assert ic_summary(overlapping, overlap=h).se / true_se == pytest.approx(1.0, abs=0.1)
    assert ic_summary(overlapping, overlap=1).se / true_se < 0.6
    # Bartlett weights over only h - 1 lags give sqrt(17 / 25) of the true se
    assert ic_summary(overlapping, lags=h - 1).se / true_se < 0.88


def test_ic_summary_bad_overlap_or_lags_raise():
    with pytest.raises(ValueError, match="overlap"):
        ic_summary(pd.Series([0.1, 0.2]), overlap=0)
    with pytest.raises(ValueError, match="lags"):
        ic_summary(pd.Series([0.1, 0.2]), lags=-1)


def test_ic_panel_with_one_symbol_falls_back_to_rolling(make_panel):
    stamps = pd.date_range("2021-01-04", periods=4, freq="D", tz="UTC", name="timestamp")
    scores = make_panel([[1.0], [2.0], [3.0], [4.0]], stamps, ["A"])
    labels = make_panel([[1.0], [3.0], [2.0], [5.0]], stamps, ["A"])
    ic = information_coefficient(scores, labels, window=3)
    assert ic.tolist() == pytest.approx([0.5, 2 / math.sqrt(2 * 42 / 9)])


def test_ic_rolling_window_longer_than_series_raises():
    index = pd.date_range("2021-01-04", periods=5, freq="D", tz="UTC", name="timestamp")
    series = pd.Series(np.arange(5.0), index=index)
    with pytest.raises(ValueError, match="at least 10 aligned pairs"):
        information_coefficient(series, series, window=10)


def test_ic_accepts_prediction_frame_with_score_column(noisy_panel):
    scores, labels = noisy_panel
    predictions = pd.DataFrame({"score": scores, "fold": 0})
    pd.testing.assert_series_equal(
        information_coefficient(predictions, labels), information_coefficient(scores, labels)
    )


def test_ic_numpy_labels_raise_type_error(hand_panel):
    scores, _ = hand_panel
    with pytest.raises(TypeError, match="pandas Series or DataFrame"):
        information_coefficient(scores, np.ones(6))
