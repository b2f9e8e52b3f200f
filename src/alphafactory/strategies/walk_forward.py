"""Walk a signal source forward: fit per fold on the past, score the next block out of sample.

The result is a :class:`~alphafactory.training.WalkForwardResult` whose ``predictions`` frame
has the models' shape (``score``, ``label``, ``fold`` indexed ``(timestamp, symbol)``, plus
``target_weight`` for a source that sizes its own positions), so a workflow treats a strategy
like a model: it joins ensembles, backtests and signal files the same way.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from alphafactory.strategies.base import SignalSource
from alphafactory.training.splits import WalkForward
from alphafactory.training.walk_forward import WalkForwardResult

__all__ = ["walk_forward_strategy"]


def walk_forward_strategy(
    bars: pd.DataFrame,
    source: SignalSource,
    splitter: WalkForward,
    *,
    labels: pd.Series | None = None,
    name: str | None = None,
) -> WalkForwardResult:
    """Fit ``source`` per fold on its training slice and score the fold's test block.

    Each fold fits a fresh clone on the bars of its training and validation blocks (the fold's
    whole past before the test purge: a rule-based source has no early stopping to hold data
    back for) and scores the bars up to the end of its test block, keeping the test rows.

    Parameters
    ----------
    bars : DataFrame
        Bars indexed ``(timestamp, symbol)``.
    source : SignalSource
        An unfitted source (cloned per fold).
    splitter : WalkForward
        Fold geometry; an unset ``purge`` becomes the label horizon.
    labels : Series, optional
        Realised targets per ``(timestamp, symbol)`` (default: ``forward_returns(bars)``); its
        ``attrs["horizon"]`` sets the purge.
    name : str, optional
        The strategy's name (default ``source.name``).

    Returns
    -------
    WalkForwardResult
        Out-of-sample predictions and one row per fold (block dates, ``test_ic``).
    """
    from alphafactory.evaluation import information_coefficient
    from alphafactory.labels import forward_returns

    if labels is None:
        labels = forward_returns(bars)
    horizon = int(labels.attrs.get("horizon", 1))
    splitter = splitter.with_horizon(horizon)
    stamps = bars.index.get_level_values("timestamp")
    timestamps = pd.DatetimeIndex(stamps.unique()).sort_values()
    frames, folds = [], []
    for k, (train, val, test) in enumerate(splitter.timestamp_blocks(len(timestamps))):
        started = time.perf_counter()
        past = timestamps[np.concatenate([train, val])]
        fitted = source.clone().fit(bars[stamps.isin(past)])
        scored = fitted.scores(bars[stamps <= timestamps[test[-1]]])
        scored = scored[scored.index.get_level_values("timestamp").isin(timestamps[test])]
        scored = scored.assign(label=labels.reindex(scored.index).to_numpy(), fold=k)
        ic = information_coefficient(scored["score"], scored["label"], "pearson").dropna()
        row: dict[str, object] = {"fold": k}
        for block, positions in (("train", train), ("val", val), ("test", test)):
            row[f"{block}_start"] = timestamps[positions[0]] if len(positions) else pd.NaT
            row[f"{block}_end"] = timestamps[positions[-1]] if len(positions) else pd.NaT
            row[f"n_{block}"] = len(positions)
        row.update(
            train_ic=np.nan,
            val_ic=np.nan,
            test_ic=float(ic.mean()) if len(ic) else np.nan,
            best_epoch=None,
            fit_seconds=time.perf_counter() - started,
            history=[],
        )
        frames.append(scored)
        folds.append(row)
    columns = ["score", "label", "fold"]
    if any("target_weight" in f.columns for f in frames):
        columns.append("target_weight")
    predictions = pd.concat([f.reindex(columns=columns) for f in frames]).sort_index()
    predictions["fold"] = predictions["fold"].astype(np.int64)
    meta = {"horizon": horizon, "source": repr(source), "n_features": 0}
    return WalkForwardResult(predictions, pd.DataFrame(folds).set_index("fold"), splitter,
                             name or source.name, meta)  # fmt: skip
