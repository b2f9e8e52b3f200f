"""From out-of-sample scores to strategies: the ensemble, weights, backtests and their metrics."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from alphafactory.backtest import (
    BacktestResult,
    Commission,
    CostModel,
    FixedBps,
    NoCost,
    SpreadImpact,
    SquareRootImpact,
    backtest,
)
from alphafactory.config_io import check_keys
from alphafactory.errors import ConfigError
from alphafactory.evaluation import (
    block_bootstrap_ci,
    deflated_sharpe_ratio,
    ic_summary,
    information_coefficient,
    max_drawdown,
    sharpe_ratio,
)
from alphafactory.pipeline.sections import BacktestSection, PortfolioSection, RiskSection


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


def mean_zscore(scores: Mapping[str, pd.Series]) -> pd.Series:
    """Average of the members' cross-sectional z-scores per timestamp.

    Like :func:`rank_average`, fixed before any result is seen; unlike it, a member's
    conviction (how far a symbol is from the others) counts. A timestamp where a member's
    scores do not vary gives that member 0 there.

    Parameters
    ----------
    scores : mapping of name -> Series
        Out-of-sample scores indexed ``(timestamp, symbol)``.

    Returns
    -------
    Series
        Indexed like the intersection of the members' indexes.
    """
    if not scores:
        raise ValueError("mean_zscore needs at least one member.")
    frame = pd.concat(scores, axis=1, join="inner")
    by_time = frame.groupby(level="timestamp")
    std = by_time.transform("std", ddof=0)
    z = (frame - by_time.transform("mean")) / std.where(std > 0)
    return z.fillna(0.0).mean(axis=1).rename("score")


def strategy_weights(
    scores: pd.Series,
    portfolio: PortfolioSection,
    risk: RiskSection | None,
    bars: pd.DataFrame,
    *,
    cash: float = 1.0,
) -> pd.DataFrame:
    """Wide target weights ``[timestamps, symbols]`` of one strategy's scores.

    ``cash`` is the book's starting equity in currency (``[backtest] cash``): rules read
    currency amounts (a target exposure, a minimum trade) against it.

    The ``[portfolio]`` rule turns each timestamp's scores into weights (held between
    rebalances; sizing rules and optimizers see the closes up to each decision), then the
    ``[risk]`` caps apply to every decision.
    """
    from alphafactory.data import to_wide
    from alphafactory.portfolio import PortfolioState, weights_from_scores
    from alphafactory.signals import universe_from_prices

    wide = scores.unstack("symbol")
    wide.columns.name = "symbol"
    close = to_wide(bars, "close")
    universe = None
    if portfolio.universe == "priced":
        universe = universe_from_prices(close.reindex(index=wide.index, columns=wide.columns))
    weights = weights_from_scores(wide, portfolio.rule, universe=universe,
                                  rebalance=portfolio.rebalance, prices=close,
                                  state=PortfolioState(equity=cash),
                                  **dict(portfolio.params))  # fmt: skip
    return weights if risk is None else apply_risk_caps(weights, risk)


def apply_risk_caps(weights: pd.DataFrame, risk: RiskSection) -> pd.DataFrame:
    """Cap every decision row: per-name weight, then net exposure, then gross exposure.

    Rows that hold (all NaN, between rebalances) stay as they are. ``max_net`` scales the
    larger leg down so that ``|sum w| = max_net``; ``max_gross`` scales the row so that
    ``sum |w| <= max_gross``.
    """
    values = weights.to_numpy(dtype=np.float64, copy=True)
    decided = ~np.all(np.isnan(values), axis=1)
    w = np.nan_to_num(values[decided])
    if risk.max_weight is not None:
        w = np.clip(w, -risk.max_weight, risk.max_weight)
    if risk.max_net is not None:
        longs, shorts = np.where(w > 0, w, 0.0).sum(axis=1), -np.where(w < 0, w, 0.0).sum(axis=1)
        net = longs - shorts
        excess = np.abs(net) - risk.max_net
        over = excess > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            long_scale = np.where(over & (net > 0), 1 - excess / np.where(longs > 0, longs, 1), 1)
            short_scale = np.where(over & (net < 0), 1 - excess / np.where(shorts > 0, shorts, 1),
                                   1)  # fmt: skip
        w = np.where(w > 0, w * long_scale[:, None], w * short_scale[:, None])
    if risk.max_gross is not None:
        gross = np.abs(w).sum(axis=1)
        scale = np.where(gross > risk.max_gross, risk.max_gross / np.where(gross > 0, gross, 1), 1)
        w = w * scale[:, None]
    values[decided] = np.where(np.isnan(values[decided]), np.nan, w)
    return pd.DataFrame(values, index=weights.index, columns=weights.columns)


_COSTS: dict[str, type[CostModel]] = {
    "sqrt": SquareRootImpact,
    "fixed": FixedBps,
    "spread": SpreadImpact,
    "none": NoCost,
}


def cost_model(section: BacktestSection, where: str = "[backtest]") -> CostModel:
    """Build the cost model of ``[backtest] cost`` (and ``commission``); bad keys raise."""
    params = dict(section.cost)
    kind = params.pop("model", "sqrt")
    if kind not in _COSTS:
        raise ConfigError(f"cost.model in {where} must be one of {sorted(_COSTS)}, got {kind!r}")
    cls = _COSTS[kind]
    allowed = {f.name for f in dataclasses.fields(cls)} - {"calibration"}
    check_keys(params, allowed, f"{where} cost (model {kind!r})")
    model: CostModel = cls(**params)
    if section.commission:
        allowed = {f.name for f in dataclasses.fields(Commission)}
        check_keys(section.commission, allowed, f"{where} commission")
        model = model + Commission(**section.commission)
    return model


def run_backtest(
    bars: pd.DataFrame, weights: pd.DataFrame, section: BacktestSection
) -> BacktestResult:
    """Backtest the weights over their own dates with the ``[backtest]`` cost model and timing.

    Bars before the first decision are cut, so the equity curve is out of sample only.
    """
    start = weights.index[0]
    window = bars.loc[bars.index.get_level_values("timestamp") >= start]
    return backtest(
        window, weights, cost=cost_model(section), execution=section.execution,
        cash=section.cash, borrow_bps=section.borrow_bps,
        participation_cap=section.participation_cap, periods_per_year=section.periods_per_year,
        max_gross_leverage=section.max_gross_leverage,
    )  # fmt: skip


def backtest_strategy(
    bars: pd.DataFrame, weights: pd.DataFrame, section: BacktestSection,
    risk: RiskSection | None,
) -> tuple[BacktestResult, pd.DataFrame | None]:
    """Backtest one strategy's weights, risk-managed when ``[risk]`` names limits.

    Without limits this is :func:`run_backtest` and the interventions are None. With them, the
    same bars and options go through :func:`alphafactory.backtest.risk_managed_backtest`
    (limits on every decision, circuit breakers on every close) and its interventions table
    comes back (:data:`alphafactory.risk.INTERVENTION_COLUMNS`, possibly empty).
    """
    manager = None if risk is None else risk.manager()
    if manager is None:
        return run_backtest(bars, weights, section), None
    from alphafactory.backtest import risk_managed_backtest

    window = bars.loc[bars.index.get_level_values("timestamp") >= weights.index[0]]
    out = risk_managed_backtest(
        window, weights, risk=manager, cost=cost_model(section), execution=section.execution,
        cash=section.cash, borrow_bps=section.borrow_bps,
        participation_cap=section.participation_cap, periods_per_year=section.periods_per_year,
        max_gross_leverage=section.max_gross_leverage,
    )  # fmt: skip
    return out.result, out.interventions


def score_metrics(scores: pd.Series, labels: pd.Series) -> dict[str, float]:
    """IC, its t-statistic, Rank IC and ICIR of out-of-sample scores against their labels."""
    ic = information_coefficient(scores, labels, "pearson").dropna()
    rank_ic = information_coefficient(scores, labels, "spearman").dropna()
    ic_stats = ic_summary(ic)
    return {
        "ic": float(ic_stats.mean),
        "ic_t": float(ic_stats.t_stat),
        "rank_ic": float(ic_summary(rank_ic).mean),
        "icir": float(ic_stats.icir),
    }


def strategy_metrics(
    scores: pd.Series,
    labels: pd.Series,
    result: BacktestResult,
    *,
    n_trials: int,
    seed: int,
    n_boot: int = 300,
) -> dict[str, object]:
    """IC family on the scores and performance of the backtest, net of costs.

    Sharpe carries a 95% stationary block-bootstrap interval (``n_boot`` resamples); the
    deflated Sharpe ratio uses ``n_trials`` (every strategy evaluated on the same data).
    """
    returns = result.returns.iloc[1:]  # the first bar only holds cash: no decision traded yet
    ppy = result.periods_per_year
    ci = block_bootstrap_ci(
        returns, lambda r: sharpe_ratio(r, periods_per_year=ppy), n_boot=n_boot, seed=seed
    )
    summary = result.summary()
    return {
        **score_metrics(scores, labels),
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
        "periods_per_year": float(ppy),
        "n_trials": int(n_trials),
    }


def finite_or_nan(value: float) -> float:
    """Return ``value`` as float, NaN when it is not finite (JSON writes NaN as null)."""
    value = float(value)
    return value if np.isfinite(value) else float("nan")
