"""The incremental form of a rule (``rule_stepper``): one row at a time it gives, bit for bit,
the rows ``weights_from_scores`` gives over the whole history, for every rebalance phase, with
missing scores, ties and scores exactly at a threshold; and a restart (``replay`` of stored
rows) continues as if never stopped."""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.portfolio import build_rule, weights_from_scores
from alphafactory.portfolio.stepping import FullHistory, rule_stepper
from alphafactory.signals.weights import UninformativeScoresWarning

HAS_SKFOLIO = importlib.util.find_spec("skfolio") is not None

STEPPED = [
    ("topk", {"k": 2}),
    ("topk", {"k": 1, "long_only": True}),
    ("quantile", {"quantiles": 3}),
    ("proportional", {"max_weight": 0.4}),
    ("threshold", {"threshold": 0.5}),
    ("hysteresis", {"enter": 0.5, "exit": 0.0}),
    ("hysteresis", {"enter": 0.5, "exit": -0.5, "size": 0.2}),
    ("hysteresis", {"enter": 0.0, "exit": -1.0, "long_only": True}),
    ("topk_exposure", {"k": 3, "max_positions": 2, "min_trade_weight": 0.3}),
    ("equal_weight", {"k": 2, "long_only": False, "limits": {"max_weight": 0.2}}),
    ("risk_parity", {"k": 2, "window": 10}),
]
# Scores on a coarse grid, so that ties and scores equal to a threshold (0.5, 0, -0.5) happen.
GRID = st.sampled_from([np.nan, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5])


def panel(values: np.ndarray, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores from ``values`` after 12 bars of prices only, and random-walk closes."""
    rows, n = values.shape
    index = pd.date_range("2021-01-04", periods=rows + 12, freq="min", tz="UTC")
    columns = pd.Index([f"S{i}" for i in range(n)])
    rng = np.random.default_rng(seed)
    closes = 100 * np.cumprod(1 + rng.normal(0, 0.01, (rows + 12, n)), axis=0)
    closes[rng.random(closes.shape) < 0.05] = np.nan  # missing prices too
    prices = pd.DataFrame(closes, index=index, columns=columns)
    return pd.DataFrame(values, index=index[12:], columns=columns), prices


def stepped(rule, scores: pd.DataFrame, prices: pd.DataFrame, rebalance: int) -> np.ndarray:
    stepper = rule_stepper(rule, scores.columns, rebalance)
    rows = []
    for ts, row in zip(scores.index, scores.to_numpy(), strict=True):
        window = None
        if rule.needs_prices:
            upto = prices.loc[:ts]
            window = upto if stepper.price_rows is None else upto.iloc[-stepper.price_rows:]
        rows.append(stepper.step(ts, row, window))
    return np.vstack(rows)


def batch(rule, scores: pd.DataFrame, prices: pd.DataFrame, rebalance: int) -> np.ndarray:
    return weights_from_scores(scores, rule, rebalance=rebalance,
                               prices=prices if rule.needs_prices else None).to_numpy()


@pytest.mark.parametrize("name,params", STEPPED)
@given(values=st.lists(st.lists(GRID, min_size=5, max_size=5), min_size=1, max_size=30),
       rebalance=st.integers(1, 4))
@settings(max_examples=40, deadline=None)
def test_stepper_equals_weights_from_scores_bit_for_bit(name, params, values, rebalance):
    rule = build_rule(name, params)
    scores, prices = panel(np.array(values, dtype=np.float64))
    assert not isinstance(rule_stepper(rule, scores.columns), FullHistory)
    with warnings.catch_warnings():  # grid rows are often all equal: no position, a warning
        warnings.simplefilter("ignore", UninformativeScoresWarning)
        np.testing.assert_array_equal(stepped(rule, scores, prices, rebalance),
                                      batch(rule, scores, prices, rebalance))


@pytest.mark.parametrize("name,params", [
    ("kelly", {"window": 5, "min_pairs": 5}),
    ("vol_target", {"lookback": 5}),
    ("inverse_volatility", {"window": 5}),
    ("equal_weight", {"limits": {"min_trade_weight": 0.1}}),
])
def test_rules_without_an_incremental_form_recompute_the_history(name, params):
    rule = build_rule(name, params)
    rng = np.random.default_rng(1)
    scores, prices = panel(rng.normal(size=(40, 6)))
    assert isinstance(rule_stepper(rule, scores.columns, 3), FullHistory)
    np.testing.assert_array_equal(stepped(rule, scores, prices, 3),
                                  batch(rule, scores, prices, 3))


@pytest.mark.skipif(not HAS_SKFOLIO, reason="needs skfolio")
def test_an_optimizer_steps_with_its_previous_weights():
    rule = build_rule("min_variance", {"window": 10, "max_turnover": 0.5})
    rng = np.random.default_rng(2)
    scores, prices = panel(rng.normal(size=(25, 5)))
    assert not isinstance(rule_stepper(rule, scores.columns), FullHistory)
    np.testing.assert_array_equal(stepped(rule, scores, prices, 2),
                                  batch(rule, scores, prices, 2))


@pytest.mark.parametrize("name,params", STEPPED)
def test_a_stepper_restarted_from_stored_rows_continues_as_if_never_stopped(name, params):
    rule = build_rule(name, params)
    rng = np.random.default_rng(3)
    values = np.round(rng.normal(size=(40, 5)) * 2) / 2
    values[rng.random(values.shape) < 0.1] = np.nan
    scores, prices = panel(values)
    expected = batch(rule, scores, prices, 3)
    # a restarted stepper learns rows 0..24 from what a store keeps: scores and decided weights
    restarted = rule_stepper(rule, scores.columns, 3)
    for t, (ts, row) in enumerate(zip(scores.index[:25], scores.to_numpy()[:25], strict=True)):
        decided = expected[t] if np.isfinite(expected[t]).any() else None
        restarted.replay(ts, row, decided)
    for t in range(25, 40):
        ts = scores.index[t]
        window = prices.loc[:ts].iloc[-(restarted.price_rows or 1):] if rule.needs_prices else None
        np.testing.assert_array_equal(restarted.step(ts, scores.to_numpy()[t], window),
                                      expected[t])


def test_stepper_refuses_a_period_rebalance():
    with pytest.raises(ValueError, match="rebalance"):
        rule_stepper(build_rule("topk"), ["A", "B"], "W")  # type: ignore[arg-type]
