"""Signal-quality tables for the dashboard: the score matrix, IC by fold and IC decay.

Part of :mod:`alphafactory.dashboard.shaping` (which re-exports these names for the pages);
pure pandas, no Streamlit.
"""

from __future__ import annotations

import pandas as pd

from alphafactory.evaluation import information_coefficient


def flat(df: pd.DataFrame) -> pd.DataFrame:
    """Move named index levels (``timestamp``, ``symbol``, ...) into columns."""
    named = [n for n in df.index.names if n is not None]
    return df.reset_index(level=named) if named else df.reset_index(drop=True)


def score_matrix(
    predictions: pd.DataFrame, model: str | None = None, *, value: str = "score",
    max_timestamps: int = 400, cross_sectional_rank: bool = False,
) -> pd.DataFrame:
    """Pivot predictions to a ``symbols x timestamps`` matrix for a heatmap.

    Parameters
    ----------
    predictions : DataFrame
        The run's ``predictions`` table.
    model : str, optional
        Keep only this model's rows (required when several models are present).
    value : str
        Column to pivot (``score`` or ``label``).
    max_timestamps : int
        Keep the most recent timestamps only, so the heatmap stays readable.
    cross_sectional_rank : bool
        Replace values by their percentile rank across symbols at each timestamp (0..1).
    """
    df = flat(predictions)
    if model is not None and "model" in df.columns:
        df = df[df["model"] == model]
    if df.empty or value not in df.columns:
        return pd.DataFrame()
    wide = df.pivot_table(index="timestamp", columns="symbol", values=value, aggfunc="mean")
    wide = wide.sort_index().iloc[-max_timestamps:]
    if cross_sectional_rank:
        wide = wide.rank(axis=1, pct=True)
    return wide.T


def _long(part: pd.DataFrame, column: str) -> pd.Series:
    return part.set_index(["timestamp", "symbol"])[column].sort_index()


def _scored(predictions: pd.DataFrame) -> pd.DataFrame | None:
    df = flat(predictions)
    if not {"score", "label", "timestamp", "symbol"} <= set(df.columns):
        return None
    if "model" not in df.columns:
        df = df.assign(model="model")
    return df


def ic_by_fold(predictions: pd.DataFrame) -> pd.DataFrame:
    """Mean IC and Rank IC per (model, fold) from predictions with a ``label`` column.

    The IC is :func:`alphafactory.evaluation.information_coefficient` (cross-sectional per
    timestamp for panels, rolling for one symbol), averaged over the fold's timestamps.

    Returns
    -------
    DataFrame
        Columns ``model, fold, ic, rank_ic, n_timestamps``; empty when labels are absent.
    """
    cols = ["model", "fold", "ic", "rank_ic", "n_timestamps"]
    df = _scored(predictions)
    if df is None:
        return pd.DataFrame(columns=cols)
    if "fold" not in df.columns:
        df = df.assign(fold=0)
    rows = []
    for (model, fold), part in df.groupby(["model", "fold"], sort=True):
        s, y = _long(part, "score"), _long(part, "label")
        ic = information_coefficient(s, y, "pearson")
        ric = information_coefficient(s, y, "spearman")
        rows.append({"model": model, "fold": int(fold), "ic": ic.mean(), "rank_ic": ric.mean(),
                     "n_timestamps": int(ic.notna().sum())})
    return pd.DataFrame(rows, columns=cols)


def ic_decay(predictions: pd.DataFrame, max_lag: int = 10) -> pd.DataFrame:
    """Mean Rank IC of the score acted on ``lag`` bars late: RankIC(score[t - lag], label[t]).

    ``score[t - lag]`` is each symbol's score ``lag`` predictions earlier. A signal whose
    information is quickly priced in loses its IC within a few bars.

    Returns
    -------
    DataFrame
        Columns ``model, lag, rank_ic`` for lags ``0..max_lag``; empty without labels.
    """
    cols = ["model", "lag", "rank_ic"]
    df = _scored(predictions)
    if df is None:
        return pd.DataFrame(columns=cols)
    rows = []
    for model, part in df.groupby("model", sort=True):
        s, y = _long(part, "score"), _long(part, "label")
        by_symbol = s.groupby(level="symbol")
        for lag in range(max_lag + 1):
            late = by_symbol.shift(lag).dropna()
            ric = information_coefficient(late, y, "spearman")
            rows.append({"model": model, "lag": lag, "rank_ic": ric.mean()})
    return pd.DataFrame(rows, columns=cols)
