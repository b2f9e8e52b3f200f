"""Several strategies side by side: one table of metrics and one equity chart.

Every metric is a function of :mod:`alphafactory.evaluation` on each strategy's net returns;
the deflated Sharpe ratio counts every compared strategy as a trial unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from alphafactory.backtest.benchmark import benchmark_returns
from alphafactory.backtest.html import figure_html, table_html, write_page
from alphafactory.backtest.report_tables import BENCHMARK_METRICS, HEADLINE_METRICS
from alphafactory.backtest.result import BacktestResult
from alphafactory.evaluation import benchmark_stats, drawdown_series, summary

#: Columns a BacktestResult adds to the comparison (rows of :meth:`BacktestResult.summary`).
TRADING_METRICS: tuple[str, ...] = ("mean_turnover", "cost_bps_of_traded", "mean_gross_exposure")


@dataclass(frozen=True, kw_only=True, slots=True)
class Comparison:
    """Strategies compared on the same metrics.

    Attributes
    ----------
    returns : DataFrame
        Net per-period returns, one column per strategy, on the union of their timestamps
        (NaN where a strategy has no bar).
    table : DataFrame
        One row per strategy (index ``strategy``, in the given order), one column per metric:
        :data:`~alphafactory.backtest.report_tables.HEADLINE_METRICS`, then the benchmark's
        relative metrics when there is a benchmark, then the trading metrics of backtests.
    benchmark : Series or None
        Benchmark returns, when one was given.
    """

    returns: pd.DataFrame
    table: pd.DataFrame
    benchmark: pd.Series | None = None

    def equity(self) -> pd.DataFrame:
        """Wealth of each strategy (and the benchmark), ``prod(1 + r)`` from 1 at its first bar."""
        frame = self.returns.copy()
        if self.benchmark is not None:
            frame["benchmark"] = self.benchmark.reindex(frame.index)
        return (1.0 + frame.fillna(0.0)).cumprod().where(frame.notna().cummax())

    def figure(self, *, title: str = "Strategy comparison", log: bool = False) -> go.Figure:
        """Equity curves (wealth from 1) on one chart, drawdowns below."""
        wealth = self.equity()
        fig = make_subplots(
            rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06, row_heights=[0.7, 0.3],
            subplot_titles=("Equity (wealth from 1)", "Drawdown"),
        )
        for name in wealth.columns:
            line = {"color": "grey", "dash": "dot"} if name == "benchmark" and (
                self.benchmark is not None
            ) else None
            curve = wealth[name].dropna()
            fig.add_trace(
                go.Scatter(x=curve.index, y=curve, name=str(name), legendgroup=str(name),
                           line=line),
                row=1, col=1,
            )
        for name in self.returns.columns:
            underwater = drawdown_series(self.returns[name])
            fig.add_trace(
                go.Scatter(x=underwater.index, y=underwater, name=str(name),
                           legendgroup=str(name), showlegend=False),
                row=2, col=1,
            )
        fig.update_layout(title=title, height=650, template="plotly_white", hovermode="x unified")
        fig.update_yaxes(tickformat=".0%", row=2, col=1)
        if log:
            fig.update_yaxes(type="log", row=1, col=1)
        return fig

    def to_html(self, path: str | Path, *, title: str = "Strategy comparison") -> Path:
        """Write the table and the figure to a standalone HTML page; return its path."""
        sections = [
            ("Metrics", table_html(self.table)),
            ("", figure_html(self.figure(title=title))),
        ]
        return write_page(path, title, sections)


def compare(
    results: Mapping[str, BacktestResult | pd.Series],
    *,
    benchmark: str | pd.Series | None = None,
    n_trials: int | None = None,
    periods_per_year: float | None = None,
) -> Comparison:
    """Compare backtests (or return series) side by side.

    Parameters
    ----------
    results : mapping of str to BacktestResult or Series
        Strategy name -> a backtest, or a Series of net per-period simple returns on a
        DatetimeIndex (e.g. from :func:`equity_to_returns` of a run's ``equity`` table).
    benchmark : None, "equal_weight" or Series
        Adds alpha, beta, correlation, tracking error and information ratio per strategy
        (:func:`~alphafactory.evaluation.benchmark_stats`, on each strategy's common periods)
        and the benchmark's curve. ``"equal_weight"`` is the buy-and-hold of the first
        backtest's symbols (see :func:`~alphafactory.backtest.benchmark.buy_and_hold`).
    n_trials : int, optional
        Trials for the deflated Sharpe ratio; default the number of strategies compared.
    periods_per_year : float, optional
        For Series inputs (a backtest carries its own); inferred from the index when omitted.

    Returns
    -------
    Comparison
    """
    if not results:
        raise ValueError("compare: no strategies given; pass {name: BacktestResult, ...}.")
    trials = len(results) if n_trials is None else int(n_trials)
    series: dict[str, pd.Series] = {}
    rows: dict[str, pd.Series] = {}
    bench: pd.Series | None = None
    for name, item in results.items():
        returns, ppy, trading = _returns_of(name, item, periods_per_year, trials)
        if bench is None and benchmark is not None:
            bench = _benchmark(benchmark, item)
        row = summary(returns, periods_per_year=ppy, n_trials=trials)["value"]
        row = row.reindex(list(HEADLINE_METRICS))
        if bench is not None:
            stats = benchmark_stats(returns, bench, ppy)
            row = pd.concat([row, pd.Series({m: getattr(stats, m) for m in BENCHMARK_METRICS})])
        rows[name] = pd.concat([row, trading])
        series[name] = returns.rename(name)
    table = pd.DataFrame(rows).T.astype(np.float64)
    table.index.name = "strategy"
    table = table.drop(columns=[c for c in TRADING_METRICS if table[c].isna().all()])
    return Comparison(returns=pd.concat(series, axis=1), table=table, benchmark=bench)


def equity_to_returns(equity: pd.DataFrame | pd.Series, initial: float = 1.0) -> pd.DataFrame:
    """Per-bar simple returns ``E_t / E_{t-1} - 1`` of equity curves (one column each).

    ``E`` before a curve's first value is ``initial`` (a run's ``equity`` table starts at 1.0,
    so its first return is ``E_0 - 1``). NaN stays NaN (a strategy without a bar there); a
    curve that resumes after a gap compounds from its last value.
    """
    frame = equity.to_frame() if isinstance(equity, pd.Series) else equity
    values = frame.astype(np.float64)
    previous = values.ffill().shift(1).fillna(float(initial))
    return (values / previous - 1.0).where(values.notna())


def _returns_of(
    name: str, item: BacktestResult | pd.Series, ppy: float | None, trials: int
) -> tuple[pd.Series, float | None, pd.Series]:
    if isinstance(item, BacktestResult):
        trading = item.summary(n_trials=trials).reindex(list(TRADING_METRICS))
        return item.returns, item.periods_per_year, trading
    if isinstance(item, pd.Series):
        if not isinstance(item.index, pd.DatetimeIndex):
            raise ValueError(
                f"compare: strategy {name!r}: returns need a DatetimeIndex, got "
                f"{type(item.index).__name__}."
            )
        return item.astype(np.float64).dropna(), ppy, pd.Series(np.nan, index=TRADING_METRICS)
    raise TypeError(
        f"compare: strategy {name!r} is a {type(item).__name__}; expected a BacktestResult or a "
        "Series of returns."
    )


def _benchmark(benchmark: str | pd.Series, item: BacktestResult | pd.Series) -> pd.Series:
    if isinstance(benchmark, pd.Series):
        return benchmark.astype(np.float64).rename(benchmark.name or "benchmark")
    if not isinstance(item, BacktestResult):
        raise ValueError(
            f"compare: benchmark {benchmark!r} needs a BacktestResult (its market); with return "
            "series pass the benchmark's returns as a Series."
        )
    resolved = benchmark_returns(item, benchmark)
    assert resolved is not None
    return resolved
