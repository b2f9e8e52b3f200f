"""One tidy table of everything the evaluation module measures for a strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alphafactory.evaluation._inputs import ArrayLike, as_long, as_series
from alphafactory.evaluation.ic import ic_summary, information_coefficient
from alphafactory.evaluation.performance import (
    annual_volatility,
    cagr,
    calmar_ratio,
    hit_rate,
    max_drawdown,
    resolve_periods_per_year,
    sharpe_ratio,
    sortino_ratio,
)
from alphafactory.evaluation.sharpe_inference import (
    deflated_sharpe_ratio,
    probabilistic_sharpe_ratio,
)
from alphafactory.evaluation.signal_quality import directional_accuracy, quantile_returns
from alphafactory.evaluation.turnover import turnover


def summary(
    returns: ArrayLike,
    *,
    scores: pd.Series | pd.DataFrame | None = None,
    labels: pd.Series | pd.DataFrame | None = None,
    weights: pd.DataFrame | pd.Series | None = None,
    n_trials: int = 1,
    periods_per_year: float | None = None,
) -> pd.DataFrame:
    """Return one tidy table of performance, signal and overfitting metrics.

    Parameters
    ----------
    returns : Series or array
        Per-period simple returns of the strategy (NaN dropped).
    scores, labels : Series or DataFrame, optional
        Scores and forward-return labels (both or neither): adds IC, Rank IC, their
        Newey-West t-statistics and ICIR, directional accuracy and, for panels, the mean
        quantile long-short spread.
    weights : DataFrame or Series, optional
        Target weights: adds mean one-sided turnover per period and per year.
    n_trials : int
        Configurations tried before this one was picked; sets the deflated Sharpe.
    periods_per_year : float, optional
        Explicit, or inferred from the returns' index.

    Returns
    -------
    DataFrame
        Index ``metric`` (str), one float column ``value``. Rates and ratios are fractions
        (``max_drawdown = -0.2`` is a 20% loss); Sharpe, Sortino and Calmar are annualized;
        ``psr`` and ``deflated_sharpe`` are probabilities; ICs and ICIR are per period.
    """
    r = as_series(returns, "returns")
    ppy = resolve_periods_per_year(r, periods_per_year)
    dd = max_drawdown(r)
    rows: dict[str, float] = {
        "periods_per_year": ppy,
        "n_periods": float(len(r)),
        "total_return": float(np.prod(1.0 + r.to_numpy()) - 1.0),
        "cagr": cagr(r, ppy),
        "annual_volatility": annual_volatility(r, ppy),
        "sharpe": sharpe_ratio(r, ppy),
        "sortino": sortino_ratio(r, ppy),
        "max_drawdown": dd.depth,
        "max_drawdown_duration": float(dd.duration),
        "calmar": calmar_ratio(r, ppy),
        "hit_rate": hit_rate(r),
        "n_trials": float(n_trials),
    }
    defined = len(r) >= 2 and r.std(ddof=1) > 0
    rows["psr"] = probabilistic_sharpe_ratio(r) if defined else float("nan")
    rows["deflated_sharpe"] = deflated_sharpe_ratio(r, n_trials) if defined else float("nan")
    if weights is not None:
        to = turnover(weights)
        rows["turnover_mean"] = float(to.mean())
        rows["turnover_annual"] = float(to.mean() * ppy)
    if (scores is None) != (labels is None):
        raise ValueError("pass scores and labels together (or neither) to get the IC rows.")
    if scores is not None and labels is not None:
        rows.update(_signal_rows(scores, labels))
    table = pd.DataFrame({"value": pd.Series(rows, dtype=np.float64)})
    table.index = pd.Index(list(rows), name="metric", dtype=object)
    return table


def _signal_rows(
    scores: pd.Series | pd.DataFrame, labels: pd.Series | pd.DataFrame
) -> dict[str, float]:
    rows: dict[str, float] = {}
    for method, prefix in (("pearson", "ic"), ("spearman", "rank_ic")):
        stats = ic_summary(information_coefficient(scores, labels, method))
        rows[f"{prefix}_mean"] = stats.mean
        rows[f"{prefix}_se"] = stats.se
        rows[f"{prefix}_t_stat"] = stats.t_stat
        rows[f"{prefix}_icir"] = stats.icir
    rows["directional_accuracy"] = directional_accuracy(scores, labels)
    long_scores = as_long(scores, "scores")
    if isinstance(long_scores.index, pd.MultiIndex):
        rows["long_short_mean"] = float(quantile_returns(scores, labels)["long_short"].mean())
    return rows
