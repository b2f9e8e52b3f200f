import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.portfolio import RULES, build_rule, weights_from_scores
from alphafactory.portfolio.rules import rule_parameters


@pytest.fixture
def scores():
    rng = np.random.default_rng(0)
    index = pd.date_range("2024-01-01", periods=12, freq="D", tz="UTC")
    return pd.DataFrame(rng.normal(size=(12, 6)), index=index, columns=list("ABCDEF"))


@pytest.mark.parametrize("rule", sorted(n for n, cls in RULES.items() if not cls.needs_prices))
def test_weights_from_scores_every_score_rule_gives_finite_weights_of_the_same_shape(scores, rule):
    weights = weights_from_scores(scores, rule)
    assert weights.shape == scores.shape
    assert np.isfinite(weights.to_numpy()).all()


def test_weights_from_scores_parameter_of_another_rule_raises(scores):
    expected = r"rule 'quantile'.*\['k'\].*takes \['long_only', 'quantiles'\]"
    with pytest.raises(ConfigError, match=expected):
        weights_from_scores(scores, "quantile", k=2)


def test_weights_from_scores_unknown_rule_names_the_valid_ones(scores):
    with pytest.raises(ConfigError, match="unknown rule 'best'"):
        weights_from_scores(scores, "best")


def test_rule_parameters_lists_keyword_parameters():
    assert rule_parameters("topk") == ("k", "long_only")


def test_weights_from_scores_decides_only_on_rebalance_bars(scores):
    weights = weights_from_scores(scores, "topk", k=1, rebalance=3)
    decided = weights.notna().all(axis=1).to_numpy()
    assert decided.tolist() == [i % 3 == 0 for i in range(len(scores))]
    assert weights.iloc[1:3].isna().all().all()  # NaN rows hold the previous decision


def test_build_rule_bad_value_is_a_config_error_naming_the_rule():
    with pytest.raises(ConfigError, match=r"rule 'topk': k must be an integer >= 1, got 0"):
        weights_from_scores(pd.DataFrame([[1.0]]), "topk", k=0)
    with pytest.raises(ConfigError, match=r"rule 'equal_weight': limits: max_gross must be"):
        build_rule("equal_weight", {"limits": {"max_gross": -1.0}})


def test_weights_from_scores_takes_a_built_rule_but_not_with_parameters(scores):
    rule = build_rule("topk", {"k": 2})
    pd.testing.assert_frame_equal(weights_from_scores(scores, rule),
                                  weights_from_scores(scores, "topk", k=2))  # fmt: skip
    with pytest.raises(ConfigError, match="already built"):
        weights_from_scores(scores, rule, k=3)


def test_universe_masks_scores_before_every_rule(scores):
    universe = pd.DataFrame(True, index=scores.index, columns=scores.columns)
    universe["A"] = False
    for rule in ("topk", "quantile", "hysteresis", "equal_weight"):
        weights = weights_from_scores(scores, rule, universe=universe)
        assert (weights["A"] == 0).all(), rule
