from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.portfolio import (
    EqualWeight,
    InverseVolatility,
    Limits,
    OptimalF,
    PortfolioState,
    RiskParity,
    TopK,
    VolTarget,
    weights_from_scores,
)
from alphafactory.portfolio.sizing import equal_risk_contribution, ledoit_wolf
from alphafactory.signals import vol_target


def test_equal_weight_top_k_long_only_splits_gross(panel):
    scores, prices = panel
    w = EqualWeight(k=2).weights(scores, prices).iloc[5]
    best = scores.iloc[5].nlargest(2).index
    assert w[best].tolist() == [0.5, 0.5] and w.drop(best).eq(0).all()


def test_equal_weight_long_short_is_dollar_neutral(panel):
    scores, _ = panel
    w = EqualWeight(k=3, long_only=False).weights(scores).to_numpy()
    np.testing.assert_allclose(w.sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.abs(w).sum(axis=1), 1.0)


def test_inverse_volatility_weights_are_inverse_trailing_std(panel):
    scores, prices = panel
    w = InverseVolatility(window=20).weights(scores, prices).iloc[100]
    sigma = prices.pct_change().iloc[81:101].std()
    np.testing.assert_allclose(w.to_numpy(), ((1 / sigma) / (1 / sigma).sum()).to_numpy())


def test_ledoit_wolf_matches_scikit_learn():
    covariance = pytest.importorskip("sklearn.covariance")
    x = np.random.default_rng(3).normal(size=(60, 7)) @ np.diag(np.linspace(1, 3, 7))
    np.testing.assert_allclose(ledoit_wolf(x), covariance.ledoit_wolf(x)[0], rtol=1e-10)


def test_equal_risk_contribution_equalizes_contributions():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(6, 6))
    cov = a @ a.T + np.diag(np.linspace(0.5, 3, 6))
    x = equal_risk_contribution(cov)
    contributions = x * (cov @ x)
    np.testing.assert_allclose(contributions, contributions.mean(), rtol=1e-6)
    assert x.sum() == pytest.approx(1.0)


def test_risk_parity_rule_equalizes_risk_on_its_window(panel):
    scores, prices = panel
    rule = RiskParity(window=60)
    t = 150
    w = rule.weights(scores.iloc[[t]], prices).iloc[0].to_numpy()
    window = prices.pct_change().iloc[t - 59 : t + 1].to_numpy()
    cov = ledoit_wolf(window)
    contributions = w * (cov @ w)
    np.testing.assert_allclose(contributions, contributions.mean(), rtol=1e-6)


def test_limits_cap_position_net_and_gross():
    w = pd.DataFrame([[0.6, 0.5, -0.1, np.nan]]).iloc[:, :3]
    capped = Limits(max_weight=0.4, max_net=0.3, max_gross=0.5).apply(w).to_numpy()[0]
    # clip -> [0.4, 0.4, -0.1]: net 0.7 > 0.3, long leg 0.8 scaled by 1 - 0.4 / 0.8
    # -> [0.2, 0.2, -0.1]: gross 0.5 holds
    np.testing.assert_allclose(capped, [0.2, 0.2, -0.1])


def test_limits_minimum_trade_keeps_the_drifted_weight_of_small_changes():
    index = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    targets = pd.DataFrame([[0.5, 0.5], [0.5, 0.5], [0.8, 0.2]], index=index, columns=["A", "B"])
    prices = pd.DataFrame([[100.0, 100.0], [110.0, 100.0], [110.0, 100.0]], index=index,
                          columns=["A", "B"])  # fmt: skip
    held = Limits(min_trade_value=30_000).apply(targets, prices, PortfolioState(equity=1e6))
    drifted_a = 0.5 * 1.1 / 1.05  # A rose 10%, the book 5%
    # back to 0.5 would trade 2.4% of an equity of 1.05e6 = 25,000 < 30,000: held as drifted
    np.testing.assert_allclose(held.iloc[1], [drifted_a, 0.5 / 1.05])
    assert held.iloc[2].tolist() == [0.8, 0.2]  # 28% of 1.05e6 is worth a trade


def test_vol_target_rule_equals_the_signals_function_on_its_base_book(panel):
    scores, prices = panel
    base = TopK(k=2, long_only=True)
    rule = VolTarget(base=base, target_vol=0.15, lookback=30)
    expected = vol_target(base.weights(scores), prices, target_vol=0.15, lookback=30)
    pd.testing.assert_frame_equal(rule.weights(scores, prices), expected)


def test_optimal_f_finds_vinces_fraction_on_two_outcome_trades():
    # Trades alternate +10% and -5%: f* maximizes log(1 + 2f) + log(1 - f), so f* = 1/4,
    # and the scale is fraction * f* / |worst| = 0.5 * 0.25 / 0.05.
    rule = OptimalF(holding=1, window=40, min_trades=10, fraction=0.5, max_leverage=10.0)
    step = np.tile([0.10, -0.05], 20)
    scales = rule.scales(step)
    assert scales[8] == 1.0  # fewer than min_trades trades so far: unscaled
    assert scales[-1] == pytest.approx(2.5)


def test_weights_from_scores_applies_nested_tables_for_base_and_limits(panel):
    scores, prices = panel
    w = weights_from_scores(scores, "vol_target", prices=prices,
                            base={"rule": "equal_weight", "k": 3},
                            limits={"max_weight": 0.2})  # fmt: skip
    assert np.nanmax(w.to_numpy()) <= 0.2 + 1e-12
