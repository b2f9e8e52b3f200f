"""One trial of the factory's search: a purged walk-forward on the search window, then a backtest.

Every trial is judged on the same yardstick whatever label it trains on: the annualized net
Sharpe ratio of its out-of-sample scores traded by the workflow's portfolio rule with the
workflow's costs over the search window. Its folds report their out-of-sample IC against the
workflow's own ``[labels]`` (the same target for every trial) to Optuna's median pruner.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.factory.search import SearchConfig, TrialParams
from alphafactory.pipeline.sections import (
    BacktestSection,
    LabelSettings,
    ModelsSection,
    PortfolioSection,
    RiskSection,
    WalkForwardSettings,
)

__all__ = ["TrialData", "TrialResult", "columns_for", "fit_candidate", "run_trial",
           "trial_labels", "trial_model_config", "trial_returns"]  # fmt: skip


@dataclass(frozen=True, slots=True)
class TrialData:
    """What every trial reads: the search window's bars, features and the workflow's settings."""

    bars: pd.DataFrame
    features: pd.DataFrame
    families: Mapping[str, str]  # feature name -> family
    eval_labels: pd.Series
    base_label: LabelSettings
    search: SearchConfig
    models: ModelsSection
    walk: WalkForwardSettings
    portfolio: PortfolioSection
    risk: RiskSection | None
    backtest: BacktestSection
    seed: int


@dataclass(frozen=True, slots=True)
class TrialResult:
    """What a finished trial leaves for tracking: its predictions and net returns."""

    predictions: pd.DataFrame
    returns: pd.Series
    fold_ic: list[float]


def trial_labels(bars: pd.DataFrame, label: Mapping[str, Any], base: LabelSettings) -> pd.Series:
    """The training target of a trial: a forward return or a triple-barrier return.

    A triple-barrier trial learns the simple return from entry to the first barrier touched
    (``pt``/``sl`` widths in trailing-volatility units, vertical barrier ``horizon``),
    demeaned per timestamp like the forward return when ``[labels] demean`` is on.
    """
    from alphafactory.labels import forward_returns, triple_barrier

    horizon = int(label.get("horizon", base.horizon))
    if label.get("kind", "forward") == "forward":
        return forward_returns(bars, horizon=horizon, kind=base.kind, entry=base.entry,
                               demean=base.demean)  # fmt: skip
    barriers = triple_barrier(
        bars, pt=float(label.get("pt", 2.0)), sl=float(label.get("sl", 2.0)), horizon=horizon,
        vol_window=int(label.get("vol_window", 20)), entry=base.entry,
    )  # fmt: skip
    target = barriers["ret"].astype(np.float64)
    if base.demean:
        target = target - target.groupby(level="timestamp").transform("mean")
    target = target.rename("label")
    target.attrs.update(barriers.attrs)
    target.attrs["horizon"] = horizon
    return target


def columns_for(data: TrialData, params: TrialParams) -> list[str]:
    """The feature columns a trial trains on (its families, or every built feature)."""
    if params.families is None:
        return list(data.features.columns)
    chosen = set(params.families)
    return [c for c in data.features.columns if data.families.get(c) in chosen]


def trial_model_config(models: ModelsSection, params: TrialParams) -> dict[str, Any]:
    """``get_model`` arguments: the workflow's settings, then the trial's (``train.*`` keys go
    to the torch ``TrainConfig``)."""
    from alphafactory.pipeline.steps import model_config

    config = model_config(models, params.model)
    train = dict(config.get("train", {}))
    for key, value in params.model_params.items():
        if key.startswith("train."):
            train[key.removeprefix("train.")] = value
        else:
            config[key] = value
    if train:
        config["train"] = train
    return config


def trial_returns(
    data: TrialData, bars: pd.DataFrame, scores: pd.Series
) -> pd.Series:
    """Net per-bar returns of trading ``scores`` by the workflow's rule and costs."""
    from alphafactory.pipeline.strategies import backtest_strategy, strategy_weights

    weights = strategy_weights(scores, data.portfolio, data.risk, bars, cash=data.backtest.cash)
    result, _ = backtest_strategy(bars, weights, data.backtest, data.risk)
    return result.returns


def _fold_ic(predictions: pd.DataFrame, eval_labels: pd.Series) -> float:
    from alphafactory.evaluation import information_coefficient

    labels = eval_labels.reindex(predictions.index)
    ic = information_coefficient(predictions["score"], labels, "pearson").dropna()
    return float(ic.mean()) if len(ic) else float("nan")


def run_trial(data: TrialData, trial: Any, artifacts: dict[int, Any]) -> float:
    """The objective: draw parameters, walk forward (pruned on fold IC), backtest, Sharpe."""
    import optuna

    from alphafactory.evaluation import sharpe_ratio
    from alphafactory.training import walk_forward

    params = data.search.suggest(trial, data.models.names, dataclasses.asdict(data.base_label))
    trial.set_user_attr("params", params.to_dict())
    labels = trial_labels(data.bars, params.label, data.base_label)
    fold_ic: list[float] = []

    def on_fold(k: int, predictions: pd.DataFrame) -> None:
        ic = _fold_ic(predictions, data.eval_labels)
        fold_ic.append(ic)
        trial.report(ic if np.isfinite(ic) else -1.0, k)
        if k + 1 >= data.search.prune_after and trial.should_prune():
            trial.set_user_attr("fold_ic", fold_ic)
            raise optuna.TrialPruned(f"fold {k} IC {ic:.4f} below the median of earlier trials")

    result = walk_forward(
        data.features[columns_for(data, params)], labels, model=params.model,
        splitter=data.walk.splitter(), lookback=data.walk.lookback,
        config=trial_model_config(data.models, params), seed=data.seed, on_fold=on_fold,
    )  # fmt: skip
    returns = trial_returns(data, data.bars, result.predictions["score"])
    sharpe = sharpe_ratio(returns.iloc[1:], _periods(data))
    trial.set_user_attr("fold_ic", fold_ic)
    trial.set_user_attr("n_predictions", len(result.predictions))
    artifacts[trial.number] = TrialResult(result.predictions, returns, fold_ic)
    if not np.isfinite(sharpe):
        raise ValueError(f"trial {trial.number}: the net Sharpe ratio is not finite")
    return float(sharpe)


def _periods(data: TrialData) -> float | None:
    return data.backtest.periods_per_year


def fit_candidate(
    data: TrialData,
    params: TrialParams,
    *,
    data_fingerprint: str,
    oos_scores: pd.Series | None = None,
) -> Any:
    """Refit the chosen parameters once on every labelled bar of the search window.

    Labels are computed from the search window's bars alone, so none looks into the withheld
    window: the last ``horizon`` bars of the window have no label and are not trained on.
    The artifact carries reference statistics for monitoring: the search window's features
    and, with ``oos_scores`` (the chosen trial's walk-forward scores), their distribution and
    their IC against the forward return of the trial's horizon (what a monitor can realize;
    a triple-barrier target is judged on the same horizon's forward return).
    """
    from alphafactory.training import fit_final

    labels = trial_labels(data.bars, params.label, data.base_label)
    oos = None
    if oos_scores is not None:
        horizon = int(params.label.get("horizon", data.base_label.horizon))
        realized = trial_labels(data.bars, {"kind": "forward", "horizon": horizon},
                                data.base_label)  # fmt: skip
        oos = pd.DataFrame({"score": oos_scores,
                            "label": realized.reindex(oos_scores.index)})  # fmt: skip
    return fit_final(
        data.features[columns_for(data, params)], labels, model=params.model,
        splitter=data.walk.splitter(), lookback=data.walk.lookback,
        config=trial_model_config(data.models, params), seed=data.seed,
        data_fingerprint=data_fingerprint, oos=oos,
    )  # fmt: skip
