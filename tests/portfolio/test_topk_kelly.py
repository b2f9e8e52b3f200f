from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.portfolio import (
    FractionalKelly,
    Limits,
    PortfolioState,
    TopKExposure,
    calibrate_scores,
)

INDEX = pd.date_range("2024-01-01", periods=4, freq="min", tz="UTC", name="timestamp")
NAMES = list("ABCDEFGH")


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(rows, dtype=float), index=INDEX[: len(rows)], columns=NAMES)


def test_topk_exposure_keeps_the_best_names_that_pass_the_filter():
    scores = _frame([[8, 7, 6, 5, 4, 3, 2, 1]])
    mask = pd.DataFrame(True, index=scores.index, columns=NAMES)
    mask.loc[:, "A"] = False  # the best score fails the technical filter
    w = TopKExposure(k=3, max_positions=3, exposure=0.9, mask=mask).weights(scores).iloc[0]
    assert w[["B", "C", "D"]].tolist() == pytest.approx([0.3, 0.3, 0.3])
    assert w.drop(["B", "C", "D"]).eq(0).all()


def test_topk_exposure_held_names_stay_while_in_the_top_k_and_slots_cap_positions():
    scores = _frame([[8, 7, 6, 5, 4, 3, 2, 1], [1, 2, 8, 7, 6, 5, 4, 3]])
    rule = TopKExposure(k=4, max_positions=2, exposure=1.0)
    w = rule.weights(scores)
    assert w.iloc[0][["A", "B"]].tolist() == [0.5, 0.5]
    # at row 1 neither A nor B is in the top 4: both leave; C and D (the best) come in
    assert w.iloc[1][w.iloc[1] > 0].index.tolist() == ["C", "D"]
    scores2 = _frame([[8, 7, 6, 5, 4, 3, 2, 1], [6, 1, 8, 7, 5, 4, 3, 2]])
    w2 = rule.weights(scores2)
    # A ranks 3rd (still a candidate) and is kept; the other slot goes to the best, C
    assert w2.iloc[1][w2.iloc[1] > 0].index.tolist() == ["A", "C"]


def test_topk_exposure_in_currency_and_the_adjustment_threshold():
    scores = _frame([[8, 7, 6, 5, 4, 3, 2, 1]] * 3)
    prices = _frame([[100.0] * 8, [100.0] * 8, [101.0] + [100.0] * 7])
    rule = TopKExposure(k=6, max_positions=6, exposure=50_000, exposure_in="currency",
                        min_trade_value=500)  # fmt: skip
    state = PortfolioState(equity=1_000_000)
    w = rule.weights(scores, prices, state)
    share = 50_000 / 6 / 1_000_000
    assert w.iloc[0][:6].tolist() == pytest.approx([share] * 6)
    # A rose 1%: its position is 83 currency units over target, below the 500 threshold, so
    # it keeps its drifted weight instead of trading back
    book = 1 + share * 0.01
    assert w.iloc[2]["A"] == pytest.approx(share * 1.01 / book)
    assert w.iloc[2]["B"] == pytest.approx(share / book)  # no trade either: 0 currency units off


def test_topk_exposure_trades_a_difference_above_the_threshold():
    scores = _frame([[8, 7, 6, 5, 4, 3, 2, 1]] * 2)
    prices = _frame([[100.0] * 8, [120.0] + [100.0] * 7])
    rule = TopKExposure(k=1, max_positions=1, exposure=100_000, exposure_in="currency",
                        min_trade_value=500)  # fmt: skip
    w = rule.weights(scores, prices, PortfolioState(equity=1_000_000))
    # A is worth 120,000 of an equity of 1,020,000: 20,000 over target, traded back
    assert w.iloc[1]["A"] == pytest.approx(100_000 / 1_020_000)


def _linear_market(n_bars=400, n_names=5, seed=0):
    """Prices whose next return is exactly 1% of the score."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=n_bars, freq="D", tz="UTC")
    scores = pd.DataFrame(rng.normal(size=(n_bars, n_names)), index=index)
    growth = np.vstack([np.ones(n_names), 1 + 0.01 * scores.to_numpy()[:-1]])
    prices = pd.DataFrame(100 * np.cumprod(growth, axis=0), index=index)
    return scores, prices


def test_calibrate_scores_recovers_the_linear_map_from_known_pairs_only():
    scores, prices = _linear_market()
    fit = calibrate_scores(scores, prices, horizon=1)
    assert fit.pairs[0] == 0 and fit.pairs[1] == 5  # row 0's pairs are known at row 1
    np.testing.assert_allclose(fit.slope[10:], 0.01, rtol=1e-9)
    np.testing.assert_allclose(fit.intercept[10:], 0.0, atol=1e-12)


def test_calibrate_scores_until_freezes_the_map_at_the_end_of_the_slice():
    scores, prices = _linear_market()
    until = scores.index[199]
    noisy = prices.copy()
    noisy.iloc[200:] *= np.random.default_rng(1).uniform(0.9, 1.1, noisy.iloc[200:].shape)
    fit = calibrate_scores(scores, noisy, horizon=1, until=until)
    np.testing.assert_allclose(fit.slope[200:], 0.01, rtol=1e-9)
    assert (fit.pairs[200:] == fit.pairs[199]).all()


def test_fractional_kelly_holds_fraction_of_mu_over_variance():
    scores, prices = _linear_market()
    rule = FractionalKelly(fraction=0.5, window=50, min_pairs=20, limits=Limits())
    w = rule.weights(scores, prices).iloc[300]
    var = prices.pct_change().iloc[251:301].var()
    expected = 0.5 * 0.01 * scores.iloc[300] / var
    np.testing.assert_allclose(w.to_numpy(), expected.to_numpy(), rtol=1e-8)


def test_fractional_kelly_is_flat_before_min_pairs_and_capped_at_gross_one_by_default():
    scores, prices = _linear_market()
    w = FractionalKelly(window=50, min_pairs=100).weights(scores, prices).to_numpy()
    assert (w[:20] == 0).all()  # 5 pairs a row: 100 pairs are known from row 20 on
    assert np.abs(w[21]).sum() == pytest.approx(1.0)  # uncapped it would be far above 1
