"""One contract for every registered rule: shape, decisions, causality, config round trip."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.portfolio import RULES, PortfolioState, build_rule, weights_from_scores
from alphafactory.portfolio.base import DecisionRule

HAS_SKFOLIO = importlib.util.find_spec("skfolio") is not None


def _rules(only=lambda cls: True):
    """Every registered rule as a parameter; optimizers skip without the portfolio extra."""
    return [pytest.param(name, marks=pytest.mark.skipif(
                cls.family == "optimizer" and not HAS_SKFOLIO, reason="needs skfolio"))
            for name, cls in sorted(RULES.items()) if only(cls)]  # fmt: skip

# Short windows so that every rule decides on the small panel.
PARAMS: dict[str, dict] = {
    "kelly": {"window": 20, "min_pairs": 20},
    "optimal_f": {"holding": 2, "window": 40, "min_trades": 5},
    "inverse_volatility": {"window": 20},
    "risk_parity": {"window": 40},
    **{name: {"window": 40} for name, cls in RULES.items() if cls.family == "optimizer"},
}
FIRST = 200  # scores start here; prices earlier warm up the windows


def _run(rule, scores, prices, rebalance=5):
    return weights_from_scores(scores, rule, prices=prices, rebalance=rebalance,
                               **PARAMS.get(rule, {}))  # fmt: skip


@pytest.fixture
def inputs(panel):
    scores, prices = panel
    scores = scores.iloc[FIRST:].copy()
    scores.iloc[3] = np.nan  # a bar without any score: no decision
    scores.iloc[10, 2] = np.nan  # one symbol without a score
    return scores, prices


@pytest.mark.parametrize("rule", _rules())
def test_rule_decision_rows_are_finite_and_other_rows_hold(rule, inputs):
    scores, prices = inputs
    weights = _run(rule, scores, prices)
    assert weights.index.equals(scores.index) and weights.columns.equals(scores.columns)
    decided = np.arange(len(scores)) % 5 == 0
    decided[3] = False
    values = weights.to_numpy()
    assert np.isfinite(values[decided]).all()
    assert np.isnan(values[~decided]).all()
    assert values[10, 2] == 0.0  # no score, no weight
    assert np.abs(values[decided]).sum(axis=1).max() > 0  # every rule takes some position


@pytest.mark.parametrize("rule", _rules())
def test_rule_is_causal_future_scores_and_prices_change_nothing_before(rule, inputs):
    scores, prices = inputs
    cut = 30
    before = _run(rule, scores, prices)
    rng = np.random.default_rng(1)
    later_scores = scores.copy()
    later_scores.iloc[cut + 1 :] = rng.normal(size=later_scores.iloc[cut + 1 :].shape)
    later_prices = prices.copy()
    last = prices.index.get_loc(scores.index[cut])
    later_prices.iloc[last + 1 :] *= rng.uniform(0.5, 1.5, later_prices.iloc[last + 1 :].shape)
    after = _run(rule, later_scores, later_prices)
    pd.testing.assert_frame_equal(after.iloc[: cut + 1], before.iloc[: cut + 1])


@pytest.mark.parametrize("rule", _rules())
def test_rule_parameters_round_trip_through_their_table_form(rule):
    built = build_rule(rule, PARAMS.get(rule, {}))
    table = {k: v for k, v in built.parameters().items() if not isinstance(v, pd.DataFrame)}
    assert build_rule(rule, table) == built


@pytest.mark.parametrize("rule", _rules())
def test_rule_unknown_parameter_raises_naming_the_rule(rule):
    with pytest.raises(ConfigError, match=rf"rule '{rule}': unknown parameter\(s\) \['bogus'\]"):
        build_rule(rule, {"bogus": 1})


@pytest.mark.parametrize("rule", _rules(lambda cls: cls.needs_prices))
def test_rule_that_needs_prices_says_so_without_them(rule, inputs):
    with pytest.raises(ValueError, match="needs prices"):
        weights_from_scores(inputs[0], rule, **PARAMS.get(rule, {}))


@pytest.mark.skipif(not HAS_SKFOLIO, reason="needs skfolio")
def test_decision_rule_starts_from_the_state_weights(inputs):
    scores, prices = inputs
    rule = build_rule("mean_variance", {"window": 40, "transaction_costs": 0.01})
    assert isinstance(rule, DecisionRule)
    held = pd.Series(1.0, index=["S0"])
    start = PortfolioState(weights=held)
    first = rule.weights(scores.iloc[:1], prices, start).iloc[0]
    free = rule.weights(scores.iloc[:1], prices, PortfolioState()).iloc[0]
    assert first["S0"] > free["S0"]  # trading out of S0 costs, so more of it is kept
