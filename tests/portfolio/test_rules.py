import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.portfolio import RULES, weights_from_scores
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
