"""The tables of a tearsheet: metrics (with a benchmark), calendar returns, worst drawdowns.

Every number comes from a function of :mod:`alphafactory.evaluation` (one definition each);
this module only assembles them for one return series and an optional benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alphafactory.evaluation import (
    benchmark_stats,
    drawdown_table,
    monthly_returns,
    summary,
    yearly_returns,
)
from alphafactory.risk import var_backtest

#: Columns of the VaR backtest table of a tearsheet (see :func:`alphafactory.risk.var_backtest`).
VAR_COLUMNS: tuple[str, ...] = (
    "level", "n_obs", "exceptions", "expected_rate", "exception_rate",
    "kupiec_p", "kupiec_pass", "christoffersen_p", "christoffersen_pass",
)

#: Metrics of a tearsheet, in display order (rows of :func:`alphafactory.evaluation.summary`).
HEADLINE_METRICS: tuple[str, ...] = (
    "total_return",
    "cagr",
    "annual_volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "max_drawdown_duration",
    "calmar",
    "hit_rate",
    "deflated_sharpe",
)
BENCHMARK_METRICS: tuple[str, ...] = (
    "alpha", "beta", "correlation", "tracking_error", "information_ratio"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class TearsheetTables:
    """What a tearsheet shows besides its charts.

    Attributes
    ----------
    metrics : DataFrame
        Index ``metric``; column ``strategy`` and, with a benchmark, ``benchmark`` (the same
        metrics of the benchmark's returns; the relative ones only for the strategy).
    monthly : DataFrame
        Compounded monthly returns of the strategy, year x month (see
        :func:`~alphafactory.evaluation.monthly_returns`).
    yearly : DataFrame
        Index ``year``; ``strategy`` and, with a benchmark, ``benchmark`` and ``excess``
        (strategy minus benchmark).
    drawdowns : DataFrame
        The worst drawdown episodes (see :func:`~alphafactory.evaluation.drawdown_table`).
    var : DataFrame
        The one-bar VaR forecasts of every method at 95% and 99% on the strategy's returns,
        backtested (index ``method``, :data:`VAR_COLUMNS`; empty when the returns are shorter
        than the window plus 20 bars).
    """

    metrics: pd.DataFrame
    monthly: pd.DataFrame
    yearly: pd.DataFrame
    drawdowns: pd.DataFrame
    var: pd.DataFrame = field(default_factory=pd.DataFrame)


def tearsheet_tables(
    returns: pd.Series,
    benchmark: pd.Series | None = None,
    *,
    periods_per_year: float | None = None,
    n_trials: int = 1,
    top_drawdowns: int = 5,
    var_window: int = 250,
) -> TearsheetTables:
    """Compute the tables of a tearsheet for per-period net returns.

    Parameters
    ----------
    returns : Series
        Per-period simple returns on a DatetimeIndex.
    benchmark : Series, optional
        Benchmark returns on (part of) the same index; adds its metrics, the relative metrics
        (:func:`~alphafactory.evaluation.benchmark_stats` on the common periods) and its yearly
        returns.
    periods_per_year : float, optional
        Bars per year; inferred from the index when omitted.
    n_trials : int
        Configurations tried (for the deflated Sharpe ratio).
    top_drawdowns : int
        How many drawdown episodes to list.
    var_window : int
        Trailing bars of each VaR forecast.
    """
    strategy = summary(returns, periods_per_year=periods_per_year, n_trials=n_trials)["value"]
    ppy = float(strategy["periods_per_year"])
    columns = {"strategy": strategy.reindex(list(HEADLINE_METRICS))}
    yearly = {"strategy": yearly_returns(returns)}
    if benchmark is not None:
        stats = benchmark_stats(returns, benchmark, ppy)
        relative = pd.Series({name: getattr(stats, name) for name in BENCHMARK_METRICS})
        columns["strategy"] = pd.concat([columns["strategy"], relative])
        bench = summary(benchmark, periods_per_year=ppy)["value"]
        columns["benchmark"] = bench.reindex(list(HEADLINE_METRICS))
        yearly["benchmark"] = yearly_returns(benchmark)
    order = [*HEADLINE_METRICS, *(BENCHMARK_METRICS if benchmark is not None else ())]
    metrics = pd.DataFrame(columns).reindex(order).astype(np.float64)
    metrics.index.name = "metric"
    yearly_table = pd.DataFrame(yearly)
    if benchmark is not None:
        yearly_table["excess"] = yearly_table["strategy"] - yearly_table["benchmark"]
    yearly_table.index.name = "year"
    return TearsheetTables(
        metrics=metrics,
        monthly=monthly_returns(returns),
        yearly=yearly_table,
        drawdowns=drawdown_table(returns, top=top_drawdowns),
        var=var_table(returns, window=var_window),
    )


def var_table(returns: pd.Series, *, window: int = 250) -> pd.DataFrame:
    """:func:`alphafactory.risk.var_backtest` of ``returns`` at 95% and 99%, for a report."""
    if returns.notna().sum() < window + 20:
        return pd.DataFrame(columns=list(VAR_COLUMNS), index=pd.Index([], name="method"))
    table = var_backtest(returns, levels=(0.95, 0.99), window=window)
    return table.reset_index("level")[list(VAR_COLUMNS)]
