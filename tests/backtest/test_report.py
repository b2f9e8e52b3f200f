from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest

from alphafactory.backtest import FixedBps, backtest, buy_and_hold, report_tables
from alphafactory.backtest.report import tearsheet
from alphafactory.backtest.report_tables import BENCHMARK_METRICS, HEADLINE_METRICS
from alphafactory.evaluation import drawdown_table, monthly_returns, sharpe_ratio

# These tests drive the order-level limit (max_leverage), the costs and the reference loop
# with decisions above gross 1: the target-gross cap (max_gross_leverage, tested in
# test_gross_and_bankruptcy.py) is off.
backtest = partial(backtest, max_gross_leverage=None)


def test_summary_has_evaluation_rows_and_costs(bars, random_weights):
    result = backtest(bars, random_weights, cost=FixedBps(10), cash=1e5)
    table = result.summary()
    assert {"sharpe", "max_drawdown", "final_equity", "spread_cost"} <= set(table.index)
    assert table["final_equity"] == pytest.approx(result.equity.iloc[-1])
    assert table["cost_bps_of_traded"] == pytest.approx(10.0)
    assert table["total_return"] == pytest.approx(result.equity.iloc[-1] / 1e5 - 1)


def test_figure_has_four_panels_and_html_is_written(tmp_path, bars, random_weights):
    result = backtest(bars, random_weights, cash=1e5)
    figure = result.figure(rolling_window=5)
    names = {trace.name for trace in figure.data}
    assert {"net equity", "drawdown", "rolling Sharpe", "gross exposure"} <= names
    equity_trace = next(t for t in figure.data if t.name == "net equity")
    np.testing.assert_allclose(np.asarray(equity_trace.y), result.equity.to_numpy())
    path = result.to_html(tmp_path / "report.html")
    text = path.read_text()
    assert "final_equity" in text and "plotly" in text.lower()


# -- report with a benchmark --------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_backtest():
    """Two years of daily closes for four symbols and random daily long-short weights."""
    rng = np.random.default_rng(2)
    index = pd.bdate_range("2022-01-03", periods=520, tz="UTC", name="timestamp")
    close = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, (520, 4)), axis=0)),
        index=index, columns=pd.Index(list("ABCD"), name="symbol"),
    )
    weights = pd.DataFrame(rng.uniform(-0.4, 0.5, close.shape), index=index, columns=close.columns)
    return backtest(close, weights, execution="next_close", cost=FixedBps(5), cash=1e6), close


def test_buy_and_hold_hand_computed():
    index = pd.date_range("2024-01-01", periods=3, tz="UTC")
    prices = pd.DataFrame(
        {"A": [10.0, 12.0, 6.0], "B": [20.0, 20.0, 30.0], "C": [np.nan, 5.0, 5.0]}, index=index
    )
    # wealth = mean(A / 10, B / 20) = 1, 1.1, 1.05 (C was not priced at the first bar)
    np.testing.assert_allclose(buy_and_hold(prices).to_numpy(), [0.0, 0.1, 1.05 / 1.1 - 1])


def test_report_tables_use_evaluation_and_benchmark_against_itself(long_backtest):
    result, _ = long_backtest
    tables = report_tables(result, benchmark=result.returns)
    metrics = tables.metrics
    assert list(metrics.columns) == ["strategy", "benchmark"]
    assert list(metrics.index) == [*HEADLINE_METRICS, *BENCHMARK_METRICS]
    assert metrics.loc[list(BENCHMARK_METRICS), "benchmark"].isna().all()
    assert metrics.loc["sharpe", "strategy"] == pytest.approx(
        sharpe_ratio(result.returns, result.periods_per_year)
    )
    assert metrics.loc["sharpe", "benchmark"] == pytest.approx(metrics.loc["sharpe", "strategy"])
    assert metrics.loc["beta", "strategy"] == pytest.approx(1.0)
    assert metrics.loc["alpha", "strategy"] == pytest.approx(0.0, abs=1e-12)
    assert metrics.loc["tracking_error", "strategy"] == pytest.approx(0.0, abs=1e-12)
    pd.testing.assert_frame_equal(tables.monthly, monthly_returns(result.returns))
    assert (tables.yearly["excess"].abs() < 1e-12).all() and list(tables.yearly.index) == [
        2022, 2023
    ]
    pd.testing.assert_frame_equal(tables.drawdowns, drawdown_table(result.returns, top=5))


def test_report_html_has_benchmark_calendar_and_drawdown_sections(tmp_path, long_backtest):
    result, close = long_backtest
    path = result.to_html(tmp_path / "r.html", benchmark="equal_weight", title="Demo")
    text = path.read_text()
    for needle in ("Key metrics", "information_ratio", "Monthly returns", "Jan", "Dec",
                   "Yearly returns", "Worst drawdowns", "trough", "final_equity"):
        assert needle in text, needle
    bare = result.to_html(tmp_path / "bare.html", benchmark=None).read_text()
    assert "information_ratio" not in bare and "Worst drawdowns" in bare
    figure = tearsheet(result, benchmark="equal_weight")
    bench = next(t for t in figure.data if t.name == "benchmark (equal_weight)")
    expected = 1e6 * np.prod(1 + buy_and_hold(close).to_numpy())
    assert np.asarray(bench.y)[-1] == pytest.approx(expected)


def test_report_benchmark_errors_name_the_problem(long_backtest):
    result, _ = long_backtest
    with pytest.raises(ValueError, match="unknown name 'spy'"):
        report_tables(result, benchmark="spy")
    outside = pd.Series([0.01], index=pd.DatetimeIndex(["1999-01-04"], tz="UTC"))
    with pytest.raises(ValueError, match="share no timestamp"):
        report_tables(result, benchmark=outside)
