"""Workflow files name any registered portfolio rule or optimizer, with its params."""

from __future__ import annotations

import importlib.util
import textwrap

import numpy as np
import pytest

from alphafactory.data import to_wide
from alphafactory.errors import ConfigError
from alphafactory.pipeline import load_workflow, run_workflow
from alphafactory.pipeline.sections import PortfolioSection
from alphafactory.pipeline.strategies import strategy_weights
from alphafactory.portfolio import weights_from_scores

QUIET = {"log": lambda _: None}

WORKFLOW = """
name = "rules"
seed = 3

[data]
name = "syn"
spec = "synthetic:n_symbols=6,n_bars=300,alpha_ic=0.2,seed=4"

[features]
names = ["ret_1", "ret_5"]

[models]
names = ["ridge"]
walk_forward = {{ train = 120, val = 30, test = 60, lookback = 5 }}

[signals]
export = false

[portfolio]
rule = "{rule}"
params = {params}
rebalance = 5

[backtest]
cost = {{ model = "fixed", bps = 5.0 }}
"""

needs_skfolio = pytest.mark.skipif(importlib.util.find_spec("skfolio") is None,
                                   reason="needs the portfolio extra (skfolio)")  # fmt: skip


def _write(tmp_path, rule: str, params: str):
    path = tmp_path / "wf.toml"
    path.write_text(textwrap.dedent(WORKFLOW.format(rule=rule, params=params)))
    return path


@pytest.mark.parametrize(("rule", "params", "cap", "names"), [
    pytest.param("min_variance", "{ window = 40, max_weight = 0.5 }", 0.5, None,
                 marks=needs_skfolio),
    ("inverse_volatility", "{ window = 20, k = 3, limits = { max_weight = 0.4 } }", 0.4, 3),
])  # fmt: skip
def test_workflow_trades_a_registered_rule_that_needs_trailing_prices(tmp_path, rule, params,
                                                                      cap, names):  # fmt: skip
    config = load_workflow(_write(tmp_path, rule, params))
    outcome = run_workflow(config, root=tmp_path / "runs", **QUIET)
    equity = outcome.run.read_table("equity")
    assert list(equity.columns) == ["ridge"] and np.isfinite(equity["ridge"]).all()
    trades = outcome.run.read_table("trades")
    first = trades[trades["timestamp"] == trades["timestamp"].min()]  # the book being built
    assert (first["notional"].abs() <= cap * config.backtest.cash * (1 + 1e-9)).all()
    assert names is None or len(first) == names


@needs_skfolio
def test_strategy_weights_hand_the_rule_the_closes_of_the_bars(small_market):
    bars = small_market.bars
    close = to_wide(bars, "close")
    scores = small_market.truth.dropna().loc[close.index[300] :]
    portfolio = PortfolioSection(rule="hrp", params={"window": 60}, rebalance=10)
    weights = strategy_weights(scores, portfolio, None, bars)
    expected = weights_from_scores(scores.unstack("symbol"), "hrp", rebalance=10, prices=close,
                                   window=60)  # fmt: skip
    np.testing.assert_allclose(weights.to_numpy(), expected.to_numpy(), equal_nan=True)
    decided = weights.dropna(how="all")
    np.testing.assert_allclose(decided.sum(axis=1), 1.0, atol=1e-6)


def test_workflow_rule_parameters_and_nested_tables_are_checked_when_read(tmp_path):
    with pytest.raises(ConfigError, match=r"wf\.toml.*\[portfolio\].*'kelly'.*wndow"):
        load_workflow(_write(tmp_path, "kelly", "{ wndow = 20 }"))
    with pytest.raises(ConfigError, match=r"\[portfolio\].*limits.*max_wieght"):
        load_workflow(_write(tmp_path, "equal_weight", "{ limits = { max_wieght = 0.1 } }"))
    with pytest.raises(ConfigError, match=r"\[portfolio\].*unknown rule 'nope'"):
        load_workflow(_write(tmp_path, "vol_target", '{ base = { rule = "nope" } }'))


def test_workflow_currency_amounts_are_read_against_the_backtest_cash(tmp_path):
    # $300,000 over at most 3 positions of a $1,000,000 book: $100,000 each when built
    params = '{ k = 3, max_positions = 3, exposure = 300000.0, exposure_in = "currency" }'
    config = load_workflow(_write(tmp_path, "topk_exposure", params))
    outcome = run_workflow(config, root=tmp_path / "runs", **QUIET)
    trades = outcome.run.read_table("trades")
    first = trades[trades["timestamp"] == trades["timestamp"].min()]
    assert len(first) == 3
    np.testing.assert_allclose(first["notional"].abs(), 100_000.0, rtol=1e-6)
