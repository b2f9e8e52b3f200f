"""The tables of a tearsheet: metrics (with a benchmark), calendar returns, worst drawdowns.

Every number comes from a function of :mod:`alphafactory.evaluation` (one definition each);
this module only assembles them for one return series and an optional benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alphafactory.evaluation import (
    benchmark_stats,
    drawdown_table,
    monthly_returns,
    summary,
    yearly_returns,
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
    """

    metrics: pd.DataFrame
    monthly: pd.DataFrame
    yearly: pd.DataFrame
    drawdowns: pd.DataFrame


def tearsheet_tables(
    returns: pd.Series,
    benchmark: pd.Series | None = None,
    *,
    periods_per_year: float | None = None,
    n_trials: int = 1,
    top_drawdowns: int = 5,
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
    )
