"""Tearsheet of a backtest: a plotly figure and a standalone HTML page."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from alphafactory.evaluation import drawdown_series

if TYPE_CHECKING:
    from alphafactory.backtest.result import BacktestResult


def tearsheet(result: BacktestResult, *, rolling_window: int = 63, title: str = "Backtest") -> (
    go.Figure
):
    """Four stacked panels sharing the time axis.

    Equity (net, and gross of costs), drawdown (``equity / running max - 1``), rolling Sharpe
    (``mean / std * sqrt(periods_per_year)`` of net returns over ``rolling_window`` bars) and
    exposure (gross and net, fractions of equity).
    """
    index = result.market.timestamps
    equity = result.equity
    gross_equity = result.initial_cash * np.cumprod(1.0 + result.gross_returns.to_numpy())
    drawdown = drawdown_series(result.returns)
    returns = result.returns
    rolling = returns.rolling(rolling_window, min_periods=rolling_window)
    sharpe = rolling.mean() / rolling.std() * np.sqrt(result.periods_per_year)
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
    fig.add_trace(go.Scatter(x=index, y=equity, name="net equity"), row=1, col=1)
    fig.add_trace(
        go.Scatter(x=index, y=gross_equity, name="gross of costs", line={"dash": "dot"}),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(x=index, y=drawdown, name="drawdown", fill="tozeroy"), row=2, col=1
    )
    fig.add_trace(go.Scatter(x=index, y=sharpe, name="rolling Sharpe"), row=3, col=1)
    fig.add_trace(go.Scatter(x=index, y=exposure["gross"], name="gross exposure"), row=4, col=1)
    fig.add_trace(go.Scatter(x=index, y=exposure["net"], name="net exposure"), row=4, col=1)
    fig.update_layout(title=title, height=900, template="plotly_white", hovermode="x unified")
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    return fig


def write_html(result: BacktestResult, path: Path, **figure_options: Any) -> Path:
    """Write the tearsheet plus a table of :meth:`BacktestResult.summary` to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = result.figure(**figure_options)
    rows = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td>{_fmt(v)}</td></tr>"
        for k, v in result.summary().items()
    )
    body = figure.to_html(full_html=False, include_plotlyjs=True)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Backtest</title></head><body>"
        f"<h1>Backtest ({html.escape(result.execution)})</h1>"
        f"<table border='1' cellpadding='4'>{rows}</table>{body}</body></html>"
    )
    path.write_text(page)
    return path


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return html.escape(str(value))
