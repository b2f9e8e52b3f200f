"""Walk-forward training: fit per fold on the past, predict the next block, concatenate.

For each fold of a :class:`~alphafactory.training.WalkForward` splitter: the feature normalizer
is fitted on the fold's training timestamps only, the model is trained on the training slice and
early-stopped on the validation slice, and the test slice is predicted. The test predictions of
all folds, concatenated, are the out-of-sample signal.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.features.windows import PanelWindows
from alphafactory.training.executors import run_tasks
from alphafactory.training.fold_data import FoldData, Normalizer, fold_cube, mean_ic, prepare_panel
from alphafactory.training.splits import WalkForward


@dataclass(frozen=True, slots=True)
class WalkForwardResult:
    """Out-of-sample predictions and per-fold diagnostics.

    Attributes
    ----------
    predictions : DataFrame
        Indexed ``(timestamp, symbol)``, sorted; columns ``score`` (the model's output),
        ``label`` and ``fold``; test timestamps of every fold, nothing in-sample.
    folds : DataFrame
        One row per fold: block dates and sizes, ``train_ic``, ``val_ic``, ``test_ic`` (mean
        cross-sectional Pearson IC per timestamp; time-series IC for one symbol), ``best_epoch``,
        ``fit_seconds`` and ``history`` (the per-epoch training curve, a list of dicts).
    splitter : WalkForward
        The splitter with its purge resolved.
    model : str
        The model's name (registry name or class name).
    """

    predictions: pd.DataFrame
    folds: pd.DataFrame
    splitter: WalkForward
    model: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _FoldSpec:
    fold: int
    estimator: Any
    train: np.ndarray  # timestamp positions
    val: np.ndarray
    test: np.ndarray
    normalizer: Normalizer


def walk_forward(
    features: pd.DataFrame,
    labels: pd.Series,
    *,
    model: str | Any,
    splitter: WalkForward,
    horizon: int | None = None,
    lookback: int = 20,
    config: Mapping[str, Any] | None = None,
    seed: int = 0,
    executor: Any = None,
    normalizer: Normalizer | None = None,
) -> WalkForwardResult:
    """Train and predict fold by fold, out of sample.

    Parameters
    ----------
    features : DataFrame
        Indexed ``(timestamp, symbol)`` (or ``timestamp`` for one asset), one column a feature
        (e.g. ``build_features``), values known at the close of each bar.
    labels : Series
        Target per ``(timestamp, symbol)``, e.g. ``forward_returns``; its ``attrs["horizon"]``
        is the default ``horizon``.
    model : str or estimator
        A registered name (see :func:`~alphafactory.models.get_model`) or an unfitted estimator,
        which is cloned per fold.
    splitter : WalkForward
        Fold geometry in unique timestamps; its purge defaults to ``horizon`` and may not be
        shorter.
    horizon : int, optional
        Label horizon in bars; defaults to ``labels.attrs["horizon"]``.
    lookback : int
        Window length in bars fed to the model.
    config : mapping, optional
        Keyword arguments of ``get_model`` when ``model`` is a name, e.g.
        ``{"preset": "demo", "hidden_size": 16, "train": {"epochs": 5}}``.
    seed : int
        Fold ``k`` is fitted with seed ``seed + k`` (for estimators that take a seed).
    executor : None, "processes", int, Executor or dask Client
        Where folds run (see :func:`~alphafactory.training.executors.run_tasks`); results are
        bit-identical across executors.
    normalizer : object with ``fit(frame)`` and ``transform(frame)``, optional
        Copied and fitted per fold on the training timestamps only; default
        :class:`alphafactory.features.Standardizer` (per-feature mean and standard deviation of
        the training slice). Any normalizer of :mod:`alphafactory.features.normalize` fits.

    Returns
    -------
    WalkForwardResult
    """
    from alphafactory.features.normalize import Standardizer
    from alphafactory.models import clone, get_model

    if horizon is None:
        horizon = labels.attrs.get("horizon")
        if horizon is None:
            raise ValueError(
                "The label horizon is unknown: pass horizon=... or labels with attrs['horizon']."
            )
    splitter = splitter.with_horizon(int(horizon))
    if isinstance(model, str):
        name = model
        estimator = get_model(model, **dict(config or {}))
    else:
        if config is not None:
            raise ValueError("config applies to a model name; configure an estimator directly.")
        estimator, name = model, type(model).__name__
    panel = prepare_panel(features, labels, lookback)
    blocks = list(splitter.timestamp_blocks(len(panel.timestamps)))
    specs = []
    for k, (train, val, test) in enumerate(blocks):
        fold_estimator = clone(estimator)
        if "seed" in fold_estimator.get_params():
            params = {**fold_estimator.get_params(), "seed": seed + k}
            fold_estimator = type(fold_estimator)(**params)
        fold_normalizer = copy.deepcopy(normalizer) if normalizer is not None else Standardizer()
        specs.append(_FoldSpec(k, fold_estimator, train, val, test, fold_normalizer))
    outputs = run_tasks(run_fold, panel, specs, executor)
    return _assemble(panel, splitter, name, outputs, lookback, int(horizon))


def run_fold(panel: FoldData, spec: _FoldSpec) -> dict[str, Any]:
    """Fit one fold and predict its test block (runs in a worker; one torch thread)."""
    from alphafactory.models.seeding import torch_threads

    with torch_threads(1):
        start = time.perf_counter()
        cube = fold_cube(panel, spec.normalizer, spec.train, spec.test[-1] + 1)
        sets = {
            part: _windows(panel, cube, positions)
            for part, positions in (("train", spec.train), ("val", spec.val), ("test", spec.test))
        }
        if len(sets["train"][0]) == 0 or len(sets["test"][0]) == 0:
            raise ValueError(
                f"Fold {spec.fold} has no usable training or test samples: check lookback "
                "against the warm-up of the features and the block sizes."
            )
        val_windows = sets["val"][0] if len(sets["val"][0]) else None
        estimator = spec.estimator.fit(sets["train"][0], X_val=val_windows)
        scores = {part: estimator.predict(w) for part, (w, _) in sets.items() if len(w)}
        return {
            "fold": spec.fold,
            "test_samples": sets["test"][1],
            "test_scores": scores["test"],
            "ic": {
                part: mean_ic(scores[part], sets[part][0].labels, sets[part][0].groups)
                for part in scores
            },
            "best_epoch": getattr(estimator, "best_epoch_", None),
            "history": getattr(estimator, "history_", []),
            "fit_seconds": time.perf_counter() - start,
        }


def _windows(
    panel: FoldData, cube: np.ndarray, positions: np.ndarray
) -> tuple[PanelWindows, np.ndarray]:
    member = np.zeros(len(panel.timestamps), dtype=bool)
    member[positions] = True
    samples = np.flatnonzero(member[panel.sample_time])
    windows = PanelWindows(
        cube,
        panel.sample_symbol[samples],
        panel.sample_time[samples],
        panel.lookback,
        panel.target[panel.sample_symbol[samples], panel.sample_time[samples]],
    )
    return windows, samples


def _assemble(
    panel: FoldData,
    splitter: WalkForward,
    name: str,
    outputs: list[dict[str, Any]],
    lookback: int,
    horizon: int,
) -> WalkForwardResult:
    samples = np.concatenate([o["test_samples"] for o in outputs])
    sym, t = panel.sample_symbol[samples], panel.sample_time[samples]
    index = pd.MultiIndex.from_arrays(
        [panel.timestamps[t], panel.symbols[sym]], names=["timestamp", "symbol"]
    )
    predictions = pd.DataFrame(
        {
            "score": np.concatenate([o["test_scores"] for o in outputs]),
            "label": panel.target[sym, t].astype(np.float64),
            "fold": np.concatenate(
                [np.full(len(o["test_samples"]), o["fold"], dtype=np.int64) for o in outputs]
            ),
        },
        index=index,
    ).sort_index()
    table = splitter.folds(pd.Index(panel.timestamps))
    for part in ("train", "val", "test"):
        table[f"{part}_ic"] = [o["ic"].get(part, np.nan) for o in outputs]
    table["best_epoch"] = [o["best_epoch"] for o in outputs]
    table["fit_seconds"] = [o["fit_seconds"] for o in outputs]
    table["history"] = [o["history"] for o in outputs]
    meta = {"lookback": lookback, "horizon": horizon, "n_features": panel.features.shape[1]}
    return WalkForwardResult(predictions, table, splitter, name, meta)
