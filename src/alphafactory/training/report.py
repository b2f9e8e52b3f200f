"""Tables and metrics of a walk-forward result, in the run-directory layout."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alphafactory.training.walk_forward import WalkForwardResult


def long_short_weights(scores: pd.Series) -> pd.DataFrame:
    """Dollar-neutral weights ``[timestamps, symbols]`` from scores indexed ``(timestamp, symbol)``.

    ``w = (rank - mean rank) / sum |rank - mean rank|`` per timestamp: long the top half, short
    the bottom half, gross exposure 1.
    """
    ranks = scores.groupby(level="timestamp").rank()
    centred = ranks - ranks.groupby(level="timestamp").transform("mean")
    gross = centred.abs().groupby(level="timestamp").transform("sum")
    weights = (centred / gross.where(gross > 0)).fillna(0.0)
    wide = weights.unstack("symbol").fillna(0.0)
    wide.columns.name = "symbol"
    return wide


def long_short_returns(
    predictions: pd.DataFrame, *, cost_bps: float = 0.0, horizon: int = 1
) -> pd.Series:
    """Per-timestamp return of the long-short portfolio of the scores, net of costs.

    ``r_t = sum_i w_{t,i} label_{t,i} / horizon - cost_bps / 1e4 * sum_i |w_{t,i} - w_{t-1,i}|``:
    the label return is spread over its horizon (an approximation for ``horizon > 1``), and every
    unit of traded notional pays ``cost_bps``.
    """
    weights = long_short_weights(predictions["score"])
    labels = predictions["label"].unstack("symbol").reindex_like(weights).fillna(0.0)
    gross = (weights * labels).sum(axis=1) / horizon
    traded = weights.diff().abs().sum(axis=1)
    traded.iloc[0] = weights.iloc[0].abs().sum()
    return (gross - cost_bps / 1e4 * traded).rename("long_short")


def model_metrics(
    result: WalkForwardResult, *, n_trials: int = 1, cost_bps: float = 5.0
) -> dict[str, float]:
    """IC, Rank IC, ICIR, their t-statistics, the long-short performance after costs, a
    classifier's :func:`classification_metrics`, and the rows the walk-forward dropped by cause
    (:func:`dropped_metrics`)."""
    from alphafactory.evaluation import ic_summary, information_coefficient, summary

    pred = result.predictions
    horizon = int(result.meta.get("horizon", 1))
    labels = pred["label"].copy()
    labels.attrs["horizon"] = horizon
    ic = ic_summary(information_coefficient(pred["score"], labels, "pearson").dropna())
    rank_ic = ic_summary(information_coefficient(pred["score"], labels, "spearman").dropna())
    returns = long_short_returns(pred, cost_bps=cost_bps, horizon=horizon)
    table = summary(returns, n_trials=n_trials)["value"]
    return {
        "ic": ic.mean,
        "ic_t": ic.t_stat,
        "icir": ic.icir,
        "rank_ic": rank_ic.mean,
        "rank_ic_t": rank_ic.t_stat,
        "long_short_sharpe": float(table["sharpe"]),
        "long_short_return_annual": float(table["cagr"]),
        "max_drawdown": float(table["max_drawdown"]),
        "deflated_sharpe": float(table["deflated_sharpe"]),
        "cost_bps": float(cost_bps),
        "n_folds": float(len(result.folds)),
        "n_predictions": float(len(pred)),
        **classification_metrics(result),
        **dropped_metrics(result),
    }


def _class_columns(predictions: pd.DataFrame) -> tuple[list[float], list[str]]:
    """The classes and probability columns (``p_down``, ``p_flat``, ``p_up``) a classifier's
    walk-forward predictions carry (none for a regressor)."""
    names = [(c, f"p_{n}") for c, n in ((-1.0, "down"), (0.0, "flat"), (1.0, "up"))]
    present = [(c, col) for c, col in names if col in predictions]
    return [c for c, _ in present], [col for _, col in present]


def classification_table(
    result: WalkForwardResult, returns: pd.Series | None = None, *, n_boot: int = 200
) -> pd.DataFrame:
    """The :func:`~alphafactory.evaluation.classification_report` of a classifier's
    out-of-sample probabilities (``p_down``, ``p_flat``, ``p_up`` columns) against its labels,
    resampling whole timestamps; with ``returns`` (indexed ``(timestamp, symbol)``, the return
    of a long trade on each label) also the trading metrics."""
    from alphafactory.evaluation import classification_report

    pred = result.predictions
    classes, columns = _class_columns(pred)
    trade = None if returns is None else returns.reindex(pred.index).to_numpy()
    return classification_report(
        pred["label"].to_numpy(), pred[columns].to_numpy(), classes, returns=trade,
        timestamps=pred.index.get_level_values("timestamp"), n_boot=n_boot,
    )  # fmt: skip


def classification_metrics(result: WalkForwardResult) -> dict[str, float]:
    """Accuracy, balanced accuracy, log loss and Brier score of a classifier's out-of-sample
    probabilities (empty for a regressor)."""
    from alphafactory.evaluation import (
        accuracy,
        balanced_accuracy,
        brier_score,
        log_loss,
        predicted_class,
    )

    pred = result.predictions
    classes, columns = _class_columns(pred)
    if not columns:
        return {}
    proba, y = pred[columns].to_numpy(), pred["label"].to_numpy()
    keep = np.isfinite(y)
    y, proba, guess = y[keep], proba[keep], predicted_class(proba[keep], classes)
    return {
        "accuracy": accuracy(y, guess),
        "balanced_accuracy": balanced_accuracy(y, guess),
        "log_loss": log_loss(y, proba, classes),
        "brier": brier_score(y, proba, classes),
    }


def dropped_metrics(result: WalkForwardResult) -> dict[str, float]:
    """``n_rows`` (feature rows), ``n_samples`` and ``dropped_<cause>`` per cause of
    :mod:`alphafactory.training.sample_audit`: every row the walk-forward did not use, counted."""
    meta = result.meta
    if meta.get("rows") is None:
        return {}
    out = {"n_rows": float(meta["rows"]), "n_samples": float(meta["samples"])}
    out.update({f"dropped_{cause}": float(n) for cause, n in meta["dropped"].items()})
    return out


def prediction_table(result: WalkForwardResult) -> pd.DataFrame:
    """``predictions.parquet`` rows: timestamp, symbol, model, fold, score, label."""
    out = result.predictions.reset_index()
    out.insert(2, "model", result.model)
    return out[["timestamp", "symbol", "model", "fold", "score", "label"]]


def fold_table(result: WalkForwardResult) -> pd.DataFrame:
    """``folds.parquet`` rows: model, fold, block dates and per-fold metrics."""
    folds = result.folds.drop(columns=["history"]).reset_index()
    folds.insert(0, "model", result.model)
    folds["best_epoch"] = folds["best_epoch"].astype("float64")
    return folds.rename(columns={"test_ic": "ic"})


def curve_table(result: WalkForwardResult) -> pd.DataFrame:
    """``training_curves.parquet`` rows: model, fold, epoch, train_loss, val_loss, val_ic."""
    rows: list[dict[str, Any]] = []
    for fold, history in result.folds["history"].items():
        for record in history:
            rows.append({"model": result.model, "fold": int(fold), **record})
    columns = ["model", "fold", "epoch", "train_loss", "val_loss", "val_ic"]
    table = pd.DataFrame(rows, columns=[*columns, "lr"]) if rows else pd.DataFrame(columns=columns)
    return table[columns].astype({"fold": np.int64, "epoch": np.int64}) if rows else table
