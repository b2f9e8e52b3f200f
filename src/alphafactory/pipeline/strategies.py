"""From out-of-sample scores to strategies: the ensemble, weights, backtests and their metrics."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from alphafactory.backtest import BacktestResult, SquareRootImpact, backtest
from alphafactory.evaluation import (
    block_bootstrap_ci,
    deflated_sharpe_ratio,
    ic_summary,
    information_coefficient,
    max_drawdown,
    sharpe_ratio,
)
from alphafactory.pipeline.config import PortfolioSettings
from alphafactory.signals.weights import quantile_long_short, rebalance_every


def rank_average(scores: Mapping[str, pd.Series]) -> pd.Series:
    """Average of the members' cross-sectional percentile ranks per timestamp.

    A rank average is fixed before any result is seen (no weights fitted on test data), so it
    adds a single trial to the count behind the deflated Sharpe ratio.

    Parameters
    ----------
    scores : mapping of name -> Series
        Out-of-sample scores indexed ``(timestamp, symbol)``.

    Returns
    -------
    Series
        Indexed like the intersection of the members' indexes, values in (0, 1].
    """
    if not scores:
        raise ValueError("rank_average needs at least one member.")
    frame = pd.concat(scores, axis=1, join="inner")
    ranks = frame.groupby(level="timestamp").rank(pct=True)
    return ranks.mean(axis=1).rename("score")


def strategy_weights(scores: pd.Series, settings: PortfolioSettings) -> pd.DataFrame:
    """Wide target weights ``[timestamps, symbols]``: quantile long-short, rebalanced every k."""
    wide = scores.unstack("symbol")
    wide.columns.name = "symbol"
    weights = quantile_long_short(wide, settings.quantiles, gross=settings.gross)
    return rebalance_every(weights, settings.rebalance_every)


def run_backtest(
    bars: pd.DataFrame, weights: pd.DataFrame, settings: PortfolioSettings
) -> BacktestResult:
    """Backtest the weights over their own dates, trading at the next open, square-root costs.

    Bars before the first decision are cut, so the equity curve is out of sample only.
    """
    start = weights.index[0]
    window = bars.loc[bars.index.get_level_values("timestamp") >= start]
    cost = SquareRootImpact(eta=settings.eta, half_spread_bps=settings.half_spread_bps)
    return backtest(window, weights, cost=cost, execution="next_open", cash=settings.cash)


def strategy_metrics(
    scores: pd.Series,
    labels: pd.Series,
    result: BacktestResult,
    *,
    n_trials: int,
    seed: int,
) -> dict[str, object]:
    """IC family on the scores and performance of the backtest, net of costs.

    Sharpe carries a 95% stationary block-bootstrap interval; the deflated Sharpe ratio uses
    ``n_trials`` (every strategy evaluated on the same data).
    """
    ic = information_coefficient(scores, labels, "pearson").dropna()
    rank_ic = information_coefficient(scores, labels, "spearman").dropna()
    ic_stats = ic_summary(ic)
    returns = result.returns.iloc[1:]  # the first bar only holds cash: no decision traded yet
    ppy = result.periods_per_year
    ci = block_bootstrap_ci(
        returns, lambda r: sharpe_ratio(r, periods_per_year=ppy), n_boot=300, seed=seed
    )
    summary = result.summary()
    return {
        "ic": float(ic_stats.mean),
        "ic_t": float(ic_stats.t_stat),
        "rank_ic": float(ic_summary(rank_ic).mean),
        "icir": float(ic_stats.icir),
        "sharpe": {
            "value": float(sharpe_ratio(returns, periods_per_year=ppy)),
            "low": float(ci.low),
            "high": float(ci.high),
        },
        "deflated_sharpe": float(deflated_sharpe_ratio(returns, n_trials=n_trials)),
        "max_drawdown": float(max_drawdown(returns).depth),
        "total_return": float(summary["total_return"]),
        "mean_turnover": float(summary["mean_turnover"]),
        "cost_bps_of_traded": float(summary["cost_bps_of_traded"]),
        "n_trials": int(n_trials),
    }


def finite_or_nan(value: float) -> float:
    """Return ``value`` as float, NaN when it is not finite (JSON writes NaN as null)."""
    value = float(value)
    return value if np.isfinite(value) else float("nan")
