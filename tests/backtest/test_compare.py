from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.backtest import FixedBps, backtest, buy_and_hold, compare, equity_to_returns
from alphafactory.backtest.report_tables import HEADLINE_METRICS
from alphafactory.evaluation import beta, deflated_sharpe_ratio, max_drawdown, sharpe_ratio


@pytest.fixture(scope="module")
def market():
    rng = np.random.default_rng(8)
    index = pd.bdate_range("2021-01-04", periods=400, tz="UTC", name="timestamp")
    close = pd.DataFrame(
        50 * np.exp(np.cumsum(rng.normal(0.0002, 0.012, (400, 5)), axis=0)),
        index=index, columns=pd.Index(list("VWXYZ"), name="symbol"),
    )
    return close


@pytest.fixture(scope="module")
def two_backtests(market):
    momentum = market.pct_change(20, fill_method=None)
    weights = momentum.rank(axis=1).sub(3).div(10)
    flat = pd.DataFrame(0.2, index=market.index, columns=market.columns)
    kw = {"execution": "next_close", "cost": FixedBps(10), "cash": 1e6}
    return {"momentum": backtest(market, weights, **kw), "equal": backtest(market, flat, **kw)}


def test_compare_table_rows_are_evaluation_metrics_per_strategy(two_backtests):
    comparison = compare(two_backtests)
    table = comparison.table
    assert list(table.index) == ["momentum", "equal"] and table.index.name == "strategy"
    assert list(table.columns[: len(HEADLINE_METRICS)]) == list(HEADLINE_METRICS)
    for name, result in two_backtests.items():
        r = result.returns
        assert table.loc[name, "sharpe"] == pytest.approx(sharpe_ratio(r, result.periods_per_year))
        assert table.loc[name, "max_drawdown"] == pytest.approx(max_drawdown(r).depth)
        # every compared strategy is a trial of the deflated Sharpe ratio
        assert table.loc[name, "deflated_sharpe"] == pytest.approx(deflated_sharpe_ratio(r, 2))
        assert table.loc[name, "mean_turnover"] == pytest.approx(
            result.summary()["mean_turnover"]
        )
    assert "alpha" not in table.columns
    assert comparison.returns.shape == (400, 2)


def test_compare_with_equal_weight_benchmark_adds_relative_metrics(two_backtests, market):
    comparison = compare(two_backtests, benchmark="equal_weight")
    bench = buy_and_hold(market)
    pd.testing.assert_series_equal(comparison.benchmark, bench)
    r = two_backtests["momentum"].returns
    assert comparison.table.loc["momentum", "beta"] == pytest.approx(beta(r, bench))
    assert {"alpha", "tracking_error", "information_ratio"} <= set(comparison.table.columns)
    wealth = comparison.equity()
    assert list(wealth.columns) == ["momentum", "equal", "benchmark"]
    assert wealth["benchmark"].iloc[-1] == pytest.approx(np.prod(1 + bench.to_numpy()))


def test_compare_return_series_on_different_ranges(tmp_path):
    index = pd.bdate_range("2023-01-02", periods=300, tz="UTC")
    rng = np.random.default_rng(1)
    a = pd.Series(rng.normal(0.001, 0.01, 300), index=index)
    b = pd.Series(rng.normal(0.0, 0.01, 200), index=index[100:])
    comparison = compare({"a": a, "b": b})
    assert "mean_turnover" not in comparison.table.columns
    assert comparison.table.loc["b", "sharpe"] == pytest.approx(sharpe_ratio(b))
    wealth = comparison.equity()
    assert wealth["b"].iloc[:100].isna().all()
    assert wealth["b"].iloc[-1] == pytest.approx(np.prod(1 + b.to_numpy()))
    figure = comparison.figure()
    assert [t.name for t in figure.data] == ["a", "b", "a", "b"]
    text = comparison.to_html(tmp_path / "cmp.html").read_text()
    assert "Strategy comparison" in text and "deflated_sharpe" in text and "plotly" in text


def test_compare_rejects_bad_inputs(two_backtests):
    with pytest.raises(ValueError, match="no strategies"):
        compare({})
    series = {"a": two_backtests["equal"].returns}
    with pytest.raises(ValueError, match="needs a BacktestResult"):
        compare(series, benchmark="equal_weight")
    with pytest.raises(TypeError, match="strategy 'x' is a list"):
        compare({"x": [0.1, 0.2]})
    with pytest.raises(ValueError, match="strategy 'y': returns need a DatetimeIndex"):
        compare({"y": pd.Series([0.1, 0.2])})


def test_equity_to_returns_hand_computed():
    equity = pd.DataFrame({"a": [1.1, 0.99, 1.089], "b": [np.nan, 1.0, 1.05]})
    returns = equity_to_returns(equity)
    np.testing.assert_allclose(returns["a"], [0.1, -0.1, 0.1])
    assert np.isnan(returns["b"].iloc[0])
    np.testing.assert_allclose(returns["b"].iloc[1:], [0.0, 0.05])
