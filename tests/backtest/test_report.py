from __future__ import annotations

import numpy as np
import pytest

from alphafactory.backtest import FixedBps, backtest


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
