"""Tearsheet of a backtest: a plotly figure and a standalone HTML report.

The report follows the layout users know from quantstats: headline metrics beside a benchmark
(equal-weight buy-and-hold of the traded symbols by default, or given returns) with alpha, beta,
tracking error and information ratio; the charts; monthly and yearly returns; the worst
drawdowns. Every number comes from :mod:`alphafactory.evaluation`.
"""

from __future__ import annotations

import calendar
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from alphafactory.backtest.benchmark import benchmark_returns
from alphafactory.backtest.html import figure_html, percent, table_html, write_page
from alphafactory.backtest.report_tables import TearsheetTables, tearsheet_tables
from alphafactory.evaluation import drawdown_series, rolling_sharpe

if TYPE_CHECKING:
    from alphafactory.backtest.result import BacktestResult


def tearsheet(
    result: BacktestResult,
    *,
    rolling_window: int = 63,
    title: str = "Backtest",
    benchmark: str | pd.Series | None = None,
) -> go.Figure:
    """Four stacked panels sharing the time axis.

    Equity (net, gross of costs, and the benchmark's wealth scaled to the initial cash when
    given), drawdown (:func:`~alphafactory.evaluation.drawdown_series` of net returns), rolling
    Sharpe (:func:`~alphafactory.evaluation.rolling_sharpe` over ``rolling_window`` bars) and
    exposure (gross and net, fractions of equity).

    Parameters
    ----------
    benchmark : None, "equal_weight" or Series
        See :func:`~alphafactory.backtest.benchmark.benchmark_returns`.
    """
    index = result.market.timestamps
    gross_equity = result.initial_cash * np.cumprod(1.0 + result.gross_returns.to_numpy())
    sharpe = rolling_sharpe(result.returns, rolling_window, result.periods_per_year)
    exposure = result.exposure
    fig = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[0.4, 0.2, 0.2, 0.2],
        subplot_titles=(
            "Equity", "Drawdown", f"Rolling Sharpe ({rolling_window} bars)", "Exposure"
        ),
    )
    fig.add_trace(go.Scatter(x=index, y=result.equity, name="net equity"), row=1, col=1)
    fig.add_trace(
        go.Scatter(x=index, y=gross_equity, name="gross of costs", line={"dash": "dot"}),
        row=1,
        col=1,
    )
    bench = benchmark_returns(result, benchmark)
    if bench is not None:
        wealth = result.initial_cash * (1.0 + bench.fillna(0.0)).cumprod().where(bench.notna())
        fig.add_trace(
            go.Scatter(x=index, y=wealth, name=f"benchmark ({bench.name})",
                       line={"color": "grey"}),
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Scatter(x=index, y=drawdown_series(result.returns), name="drawdown", fill="tozeroy"),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(x=sharpe.index, y=sharpe, name="rolling Sharpe"), row=3, col=1
    )
    fig.add_trace(go.Scatter(x=index, y=exposure["gross"], name="gross exposure"), row=4, col=1)
    fig.add_trace(go.Scatter(x=index, y=exposure["net"], name="net exposure"), row=4, col=1)
    fig.update_layout(title=title, height=900, template="plotly_white", hovermode="x unified")
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    return fig


def report_tables(
    result: BacktestResult,
    *,
    benchmark: str | pd.Series | None = "equal_weight",
    n_trials: int = 1,
    top_drawdowns: int = 5,
) -> TearsheetTables:
    """The tables of a backtest's report (see :func:`tearsheet_tables`), net returns."""
    return tearsheet_tables(
        result.returns,
        benchmark_returns(result, benchmark),
        periods_per_year=result.periods_per_year,
        n_trials=n_trials,
        top_drawdowns=top_drawdowns,
    )


def write_html(
    result: BacktestResult,
    path: Path,
    *,
    rolling_window: int = 63,
    title: str = "Backtest",
    benchmark: str | pd.Series | None = "equal_weight",
    n_trials: int = 1,
) -> Path:
    """Write the report of a backtest to a standalone HTML file.

    Sections: headline metrics (strategy and benchmark, relative metrics), the
    :func:`tearsheet` figure, monthly returns (a heatmap table), yearly returns against the
    benchmark, the five worst drawdowns, the VaR backtest of the net returns (every method at
    95% and 99%, Kupiec and Christoffersen at 5%; left out for short backtests), and the
    backtest's own totals
    (:meth:`BacktestResult.summary`: costs, turnover, exposure).

    Parameters
    ----------
    benchmark : None, "equal_weight" or Series
        ``"equal_weight"`` (default) buys the backtest's symbols in equal value at the first
        bar and holds them; a Series gives benchmark returns; None leaves the benchmark out.
    n_trials : int
        Configurations tried, for the deflated Sharpe ratio.
    """
    tables = report_tables(result, benchmark=benchmark, n_trials=n_trials)
    figure = tearsheet(result, rolling_window=rolling_window, title=title, benchmark=benchmark)
    monthly = tables.monthly.rename(columns=dict(enumerate(calendar.month_abbr)))
    months = {str(name): percent for name in monthly.columns}
    years = {c: percent for c in ("strategy", "benchmark", "excess")}
    totals = result.summary(n_trials=n_trials).to_frame()
    sections = [
        ("Key metrics", table_html(tables.metrics, by_row=True)),
        ("", figure_html(figure)),
        ("Monthly returns", table_html(monthly, formats=months, heat=True)),
        ("Yearly returns", table_html(tables.yearly, formats=years)),
        ("Worst drawdowns", table_html(tables.drawdowns)),
        *_var_section(tables),
        ("All metrics", table_html(totals, by_row=True)),
    ]
    return write_page(path, f"{title} ({result.execution})", sections)


def _var_section(tables: TearsheetTables) -> list[tuple[str, str]]:
    if tables.var.empty:
        return []
    rates = {"level": percent, "expected_rate": percent, "exception_rate": percent}
    heading = "VaR backtest (one bar ahead; Kupiec and Christoffersen tests at 5%)"
    return [(heading, table_html(tables.var, formats=rates))]
