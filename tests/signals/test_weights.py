from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.signals import (
    quantile_long_short,
    rebalance_every,
    score_proportional,
    threshold_long_flat,
    top_bottom_k,
    universe_from_prices,
    vol_target,
)
from alphafactory.signals.weights import UninformativeScoresWarning


@pytest.fixture
def scores() -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=40, freq="D", tz="UTC", name="timestamp")
    rng = np.random.default_rng(7)
    columns = [f"S{i}" for i in range(10)]
    return pd.DataFrame(rng.normal(size=(40, 10)), index=index, columns=columns)


def test_top_bottom_k_hand_row_picks_extremes():
    index = pd.DatetimeIndex(["2024-01-01"], tz="UTC")
    row = pd.DataFrame([[0.3, -1.0, 2.0, 0.1, np.nan]], index=index, columns=list("ABCDE"))
    weights = top_bottom_k(row, 1, 1).iloc[0]
    assert weights.to_dict() == {"A": 0.0, "B": -0.5, "C": 0.5, "D": 0.0, "E": 0.0}


def test_top_bottom_k_legs_sum_to_half_gross(scores):
    weights = top_bottom_k(scores, 3, 3, gross=2.0)
    assert np.allclose(weights.clip(lower=0).sum(axis=1), 1.0)
    assert np.allclose(weights.clip(upper=0).sum(axis=1), -1.0)
    assert ((weights != 0).sum(axis=1) == 6).all()


def test_quantile_long_short_dollar_neutral(scores):
    weights = quantile_long_short(scores, 5)
    assert np.allclose(weights.sum(axis=1), 0.0)
    assert np.allclose(weights.abs().sum(axis=1), 1.0)
    top = scores.rank(axis=1) > 8
    assert (weights[top] > 0).sum().sum() == top.sum().sum()


@pytest.mark.parametrize("max_weight", [None, 0.15])
def test_score_proportional_respects_gross_net_and_caps(scores, max_weight):
    weights = score_proportional(
        scores, gross=1.0, max_net=0.05, max_weight=max_weight, demean=False
    )
    assert (weights.abs().sum(axis=1) <= 1.0 + 1e-12).all()
    assert (weights.sum(axis=1).abs() <= 0.05 + 1e-12).all()
    if max_weight is not None:
        assert (weights.abs() <= max_weight + 1e-12).all().all()


def test_score_proportional_cap_redistributes_within_side():
    index = pd.DatetimeIndex(["2024-01-01"], tz="UTC")
    row = pd.DataFrame([[10.0, 1.0, 1.0, 1.0]], index=index, columns=list("ABCD"))
    weights = score_proportional(row, max_weight=0.4, demean=False).iloc[0]
    assert weights["A"] == pytest.approx(0.4)
    assert weights[["B", "C", "D"]].to_numpy() == pytest.approx([0.2, 0.2, 0.2])


def test_threshold_long_flat_hysteresis_holds_until_exit():
    index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    score = pd.DataFrame({"A": [0.0, 1.0, 0.4, -0.1, 0.6]}, index=index)
    weights = threshold_long_flat(score, enter=0.5, exit=0.0)["A"].tolist()
    assert weights == [0.0, 1.0, 1.0, 0.0, 1.0]


def test_universe_mask_excludes_unpriced_symbols(scores):
    prices = pd.DataFrame(100.0, index=scores.index, columns=scores.columns)
    prices.iloc[:20, 0] = np.nan
    weights = top_bottom_k(scores, 3, 3, universe=universe_from_prices(prices))
    assert (weights.iloc[:20, 0] == 0).all()


def test_weights_are_causal_future_scores_do_not_move_past(scores):
    changed = scores.copy()
    changed.iloc[25:] = np.random.default_rng(3).normal(size=changed.iloc[25:].shape)
    for rule in (
        lambda s: top_bottom_k(s, 2, 2),
        lambda s: quantile_long_short(s, 4),
        lambda s: score_proportional(s, max_weight=0.2),
        lambda s: threshold_long_flat(s, enter=0.5, exit=-0.5),
    ):
        pd.testing.assert_frame_equal(rule(scores).iloc[:25], rule(changed).iloc[:25])


def test_rebalance_every_int_and_weekly_keep_first_rows(scores):
    weights = top_bottom_k(scores, 2)
    every5 = rebalance_every(weights, 5)
    assert every5.notna().all(axis=1).to_numpy().nonzero()[0].tolist() == list(range(0, 40, 5))
    weekly = rebalance_every(weights, "W")
    kept = weekly.index[weekly.notna().all(axis=1)]
    assert kept[0] == scores.index[0]
    assert all(ts.day_of_week == 0 for ts in kept[1:])


def test_all_nan_score_row_is_no_decision(scores):
    scores = scores.copy()
    scores.iloc[3] = np.nan
    weights = top_bottom_k(scores, 2)
    assert weights.iloc[3].isna().all()
    assert weights.drop(index=scores.index[3]).notna().all().all()


def test_vol_target_scales_toward_target_and_caps():
    index = pd.date_range("2024-01-01", periods=300, freq="D", tz="UTC")
    rng = np.random.default_rng(0)
    prices = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.02, size=(300, 1)), axis=0)),
        index=index,
        columns=["A"],
    )
    weights = pd.DataFrame(1.0, index=index, columns=["A"])
    scaled = vol_target(weights, prices, target_vol=0.10, lookback=60, max_leverage=5.0)
    realized = 0.02 * np.sqrt(252)
    assert scaled["A"].iloc[100:].mean() == pytest.approx(0.10 / realized, rel=0.15)
    assert (scaled["A"].iloc[:60] == 1.0).all()
    capped = vol_target(weights, prices, target_vol=10.0, lookback=60, max_leverage=2.0)
    assert capped["A"].max() == 2.0


def _rows(values, columns="ABCD"):
    index = pd.date_range("2024-01-01", periods=len(values), freq="D", tz="UTC")
    return pd.DataFrame(values, index=index, columns=list(columns), dtype=float)


@pytest.mark.parametrize("rule", [
    lambda s: top_bottom_k(s, 1, 1),
    lambda s: top_bottom_k(s, 2, 0),
    lambda s: quantile_long_short(s, 2),
    lambda s: quantile_long_short(s, 2, long_only=True),
])
def test_constant_cross_section_takes_no_position_and_warns_once(rule):
    scores = _rows([[0.5, 0.5, 0.5, 0.5], [1.0, 2.0, 3.0, 4.0], [7.0, 7.0, np.nan, 7.0]])
    with pytest.warns(UninformativeScoresWarning,
                      match=r"no position on 2 with all scores equal \(ties are ties\) of 3 "
                            r"decision bars") as record:
        weights = rule(scores)
    assert len(record) == 1
    assert (weights.iloc[[0, 2]].to_numpy() == 0).all()  # a decision to hold nothing
    assert (weights.iloc[1] != 0).any()


@pytest.mark.parametrize("rule", [
    lambda s: top_bottom_k(s, 1, 1), lambda s: quantile_long_short(s, 5),
])
def test_one_symbol_long_short_takes_no_position_and_says_why(rule):
    scores = _rows([[0.3], [-0.2], [np.nan]], columns="A")
    with pytest.warns(UninformativeScoresWarning,
                      match=r"2 with fewer than 2 scored names \(a long-short rule needs >= 2 "
                            r"names\) of 2 decision bars"):
        weights = rule(scores)
    assert (weights.iloc[:2].to_numpy() == 0).all() and weights.iloc[2].isna().all()


def test_top_bottom_k_tie_straddling_the_cut_shares_the_place():
    weights = top_bottom_k(_rows([[3.0, 2.0, 2.0, 1.0]]), 2, 0).iloc[0]
    np.testing.assert_allclose(weights.to_numpy(), [0.5, 0.25, 0.25, 0.0])
    # Column order does not matter: the same scores in another order give the same weights.
    swapped = top_bottom_k(_rows([[2.0, 1.0, 3.0, 2.0]]), 2, 0).iloc[0]
    np.testing.assert_allclose(swapped.to_numpy(), [0.25, 0.0, 0.5, 0.25])


def test_top_bottom_k_tie_in_both_legs_nets_out():
    weights = top_bottom_k(_rows([[3.0, 2.0, 2.0, 2.0, 1.0]], "ABCDE"), 2, 2).iloc[0]
    np.testing.assert_allclose(weights.to_numpy(), [0.25, 0.0, 0.0, 0.0, -0.25], atol=1e-15)


def test_quantile_tied_group_falls_in_one_bucket():
    # Average ranks 1, 2.5, 2.5, 4: with 2 buckets the tied pair is split by column order
    # no more; both fall in the bucket of their average rank.
    weights = quantile_long_short(_rows([[1.0, 2.0, 2.0, 4.0]]), 2).iloc[0]
    assert weights["B"] == weights["C"]
    assert weights["A"] < 0 and weights["D"] > 0


@pytest.mark.parametrize(("call", "message"), [
    (lambda s: top_bottom_k(s, 0, 0), r"k_long and k_short must not both be 0"),
    (lambda s: top_bottom_k(s, float("nan")), r"k_long must be an integer >= 0, got nan"),
    (lambda s: top_bottom_k(s, 1, gross=float("inf")), r"gross must be a finite number > 0"),
    (lambda s: quantile_long_short(s, 1), r"quantiles must be an integer >= 2, got 1"),
    (lambda s: score_proportional(s, max_weight=0.0), r"max_weight must be a finite number > 0"),
    (lambda s: score_proportional(s, max_net=float("nan")), r"max_net must be .*got nan"),
    (lambda s: threshold_long_flat(s, enter=float("nan")), r"enter \(the threshold\) must be a "
                                                           r"finite number, got nan"),
    (lambda s: rebalance_every(s, 0), r"rebalance must be an integer >= 1, got 0"),
    (lambda s: rebalance_every(s, "bogus"), r"rebalance must be .*period alias.*'bogus'"),
    (lambda s: rebalance_every(s, 2.5), r"rebalance must be .*got 2.5"),
])
def test_weight_functions_bad_parameter_is_a_config_error_naming_it(scores, call, message):
    with pytest.raises(ConfigError, match=message):
        call(scores)
