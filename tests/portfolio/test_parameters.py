"""Every numeric parameter of every registered rule: NaN, inf and out-of-range values are one
ConfigError naming the rule and the field (the registry sweep of `alphafactory portfolio list`)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.portfolio import RULES, build_rule, weights_from_scores
from alphafactory.portfolio.score_rules import Hysteresis, TopK


def _numeric_fields():
    for name, cls in RULES.items():
        rule = cls()
        for f in dataclasses.fields(cls):
            value = getattr(rule, f.name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                yield name, f.name


@pytest.mark.parametrize(("rule", "field"), list(_numeric_fields()))
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_build_rule_refuses_non_finite_parameter_naming_rule_and_field(rule, field, bad):
    with pytest.raises(ConfigError, match=rf"rule '{rule}'.*{field}.*{bad}"):
        build_rule(rule, {field: bad})


@pytest.mark.parametrize(("rule", "params", "message"), [
    ("topk", {"k": 0}, r"rule 'topk': k must be an integer >= 1, got 0"),
    ("quantile", {"quantiles": 1}, r"rule 'quantile': quantiles must be an integer >= 2, got 1"),
    ("proportional", {"max_weight": 0.0}, r"rule 'proportional': max_weight must be"),
    ("threshold", {"threshold": math.nan}, r"rule 'threshold': threshold must be a finite"),
    ("min_variance", {"max_turnover": 0.0}, r"max_turnover must be in \(0, inf\), got 0.0"),
    ("min_cvar", {"beta": 1.0}, r"beta must be in \(0, 1\), got 1.0"),
    ("mean_variance", {"risk_aversion": -1.0}, r"risk_aversion must be in \(0, inf\)"),
    ("equal_weight", {"limits": {"max_weight": math.nan}}, r"limits.*max_weight.*nan"),
    ("inverse_volatility", {"window": 2.5}, r"window must be a whole number, got 2.5"),
])
def test_build_rule_out_of_range_parameter_names_it(rule, params, message):
    with pytest.raises(ConfigError, match=message):
        build_rule(rule, params)


def test_weights_from_scores_checks_a_built_rule_and_rebalance_before_work():
    scores = pd.DataFrame(np.ones((3, 2)), columns=["A", "B"],
                          index=pd.date_range("2024-01-01", periods=3, tz="UTC"))
    with pytest.raises(ConfigError, match=r"k must be an integer >= 1, got nan"):
        TopK(k=math.nan)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"rule 'hysteresis': enter must be a finite number"):
        weights_from_scores(scores, Hysteresis(enter=math.nan))
    with pytest.raises(ConfigError, match=r"rebalance must be an integer >= 1, got 0"):
        weights_from_scores(scores, "topk", rebalance=0)
