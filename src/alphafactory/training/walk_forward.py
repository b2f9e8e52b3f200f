"""Walk-forward training: fit per fold on the past, predict the next block, concatenate.

For each fold of a :class:`~alphafactory.training.WalkForward` splitter: the feature normalizer
and the feature selection steps (``selection``, see :mod:`alphafactory.models.selection`) are
fitted on the fold's training timestamps only (with those rows' labels), the model is trained
on the training slice and early-stopped on the validation slice, and the test slice is
predicted. The test predictions of all folds, concatenated, are the out-of-sample signal. With
``keep_models`` the fitted estimators are kept as :class:`~alphafactory.models.ModelArtifact`
(``result.models``), which :func:`~alphafactory.models.score` applies to new bars exactly as the
fold predicted its test block.

Nothing is dropped silently: every feature row that is not a sample is counted by cause in
``result.meta["dropped"]`` (infinite values count like NaN, with a warning), and a label that is
not strictly after its features is refused (see :mod:`alphafactory.training.sample_audit`).
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from alphafactory.errors import DataError
from alphafactory.training.executors import run_tasks
from alphafactory.training.fold_data import (
    FoldData,
    Normalizer,
    block_windows,
    fold_cube,
    mean_ic,
    prepare_panel,
)
from alphafactory.training.sample_audit import (
    check_horizon,
    warn_dropped,
)
from alphafactory.training.splits import WalkForward

if TYPE_CHECKING:
    from alphafactory.models.artifact import ModelArtifact

KeepModels = Literal["none", "last", "all"]


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
    meta : dict
        ``lookback``, ``horizon``, ``n_features``; ``rows`` (feature rows), ``samples``,
        ``dropped`` (cause -> rows that are not samples, summing to ``rows - samples``; see
        :mod:`alphafactory.training.sample_audit`), ``dropped_by_feature`` and ``infinite``
        (feature -> infinite values, treated as NaN).
    models : dict of int to ModelArtifact
        Fold -> fitted model artifact, for the folds ``keep_models`` kept (empty by default).
    """

    predictions: pd.DataFrame
    folds: pd.DataFrame
    splitter: WalkForward
    model: str
    meta: dict[str, Any] = field(default_factory=dict)
    models: dict[int, ModelArtifact] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _FoldSpec:
    fold: int
    estimator: Any
    train: np.ndarray  # timestamp positions
    val: np.ndarray
    test: np.ndarray
    normalizer: Normalizer
    keep: bool = False


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
    selection: Any = None,
    keep_models: KeepModels = "none",
    data_fingerprint: str | None = None,
    on_fold: Callable[[int, pd.DataFrame], None] | None = None,
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
        the training slice). Any normalizer of :mod:`alphafactory.features.normalize` fits,
        and so does a :class:`~alphafactory.models.feature_steps.FeaturePipeline`.
    selection : "default", FeaturePipeline or sequence of fold steps or specs, optional
        Selection steps fitted per fold after the normalizer, on the training rows and their
        labels only (``"default"`` is ``DEFAULT_SELECTION``; specs are mappings such as
        ``{"step": "ic_screen", "k": 40}``; see
        :mod:`alphafactory.models.selection`); the fold's pipeline is
        ``FeaturePipeline([normalizer, *steps])`` and its output width is what the model
        sees (``folds["n_inputs"]``, ``meta["inputs"]``).
    keep_models : {"none", "last", "all"}
        Keep the fitted estimators of no fold, the last fold or every fold in ``result.models``
        as model artifacts (fitted models are large, so none by default).
    data_fingerprint : str, optional
        Fingerprint of the bars the features came from, recorded in kept artifacts.
    on_fold : callable, optional
        ``on_fold(k, predictions)`` is called in this process as each fold finishes, in fold
        order, with that fold's test predictions (``score`` and ``label`` indexed
        ``(timestamp, symbol)``). It may raise to stop the walk (the factory's search prunes
        hopeless trials this way); the exception propagates.

    Returns
    -------
    WalkForwardResult
        ``meta["dropped"]`` counts every feature row that is not a sample, by cause.

    Warns
    -----
    NonFiniteInputWarning
        Rows were dropped for a NaN or infinite feature after the warm-up, an infinite label,
        or infinite feature values were found (they are treated as NaN).

    Raises
    ------
    DataError
        The horizon is unknown or not a whole number >= 1; no usable sample; the label is not
        strictly after its features (nearly a linear function of the window the model sees,
        whatever its attrs say; see :func:`~alphafactory.training.sample_audit.check_label_timing`).
    """
    horizon = label_horizon(labels, horizon)
    if keep_models not in ("none", "last", "all"):
        raise ValueError(f"keep_models must be 'none', 'last' or 'all', got {keep_models!r}.")
    splitter = splitter.with_horizon(horizon)
    estimator, name = resolve_model(model, config)
    panel = prepare_panel(features, labels, lookback)
    warn_dropped(panel.audit, panel.audit["infinite"])
    blocks = list(splitter.timestamp_blocks(len(panel.timestamps)))
    specs = []
    for k, (train, val, test) in enumerate(blocks):
        fold_estimator = seeded_clone(estimator, seed + k)
        fold_normalizer = fold_transform(normalizer, selection)
        keep = keep_models == "all" or (keep_models == "last" and k == len(blocks) - 1)
        specs.append(_FoldSpec(k, fold_estimator, train, val, test, fold_normalizer, keep))
    report = None
    if on_fold is not None:

        def report(output: dict[str, Any]) -> None:
            on_fold(int(output["fold"]), _fold_predictions(panel, output))

    outputs = run_tasks(run_fold, panel, specs, executor, report)
    result = _assemble(panel, splitter, name, outputs, lookback, int(horizon))
    models = {
        o["fold"]: _fold_artifact(result, o, labels, data_fingerprint, seed)
        for o in outputs
        if "estimator" in o
    }
    return dataclasses.replace(result, models=models)


def fold_transform(normalizer: Normalizer | None, selection: Any = None) -> Normalizer:
    """Return a fresh, unfitted copy of what a fold fits on its training rows.

    ``normalizer`` (default :class:`~alphafactory.features.Standardizer`) alone without
    ``selection``; else ``FeaturePipeline([normalizer, *selection steps])``.
    """
    from alphafactory.features.normalize import Standardizer
    from alphafactory.models.feature_steps import FeaturePipeline, clone_step
    from alphafactory.models.selection import DEFAULT_SELECTION, build_steps

    base = copy.deepcopy(normalizer) if normalizer is not None else Standardizer()
    if selection is None:
        return base
    if isinstance(selection, str) and selection == "default":
        selection = DEFAULT_SELECTION
    steps = selection.steps if isinstance(selection, FeaturePipeline) else selection
    if isinstance(steps, (str, bytes)) or not hasattr(steps, "__iter__"):
        raise TypeError(
            "selection must be 'default', a FeaturePipeline or a sequence of fold steps or "
            f"step specs, got {steps!r}."
        )
    steps = [build_steps([s])[0] if isinstance(s, Mapping) else s for s in steps]
    return FeaturePipeline([base, *(clone_step(s) for s in steps)])


def label_horizon(labels: pd.Series, horizon: int | None) -> int:
    """The label horizon: ``horizon``, else ``labels.attrs["horizon"]``; an int >= 1 either way.

    Raises
    ------
    DataError
        Neither is given, either is not a whole number of bars >= 1, or ``horizon`` is shorter
        than the labels' recorded one.
    """
    recorded = labels.attrs.get("horizon") if isinstance(labels, pd.Series) else None
    if recorded is not None:
        recorded = check_horizon(recorded, "labels.attrs['horizon']")
    if horizon is None:
        if recorded is None:
            raise DataError(
                "labels: the label horizon is unknown: pass horizon=... or labels with "
                "attrs['horizon'] (every builder in alphafactory.labels records it)"
            )
        return recorded
    horizon = check_horizon(horizon, "horizon")
    if recorded is not None and horizon < recorded:
        # The purge follows the horizon: a shorter one lets training labels see the test block.
        raise DataError(
            f"horizon: {horizon} is shorter than the labels' own horizon {recorded} "
            "(labels.attrs['horizon']); the purge would let training labels reach into the "
            "test block"
        )
    return horizon


def resolve_model(model: str | Any, config: Mapping[str, Any] | None) -> tuple[Any, str]:
    """Return ``(unfitted estimator, name)`` for a registered name or an estimator."""
    from alphafactory.models import get_model

    if isinstance(model, str):
        return get_model(model, **dict(config or {})), model
    if config is not None:
        raise ValueError("config applies to a model name; configure an estimator directly.")
    return model, type(model).__name__


def seeded_clone(estimator: Any, seed: int) -> Any:
    """Return an unfitted clone of ``estimator`` fitted with ``seed`` (when it takes one)."""
    from alphafactory.models import clone

    fresh = clone(estimator)
    if "seed" in fresh.get_params():
        fresh = type(fresh)(**{**fresh.get_params(), "seed": seed})
    return fresh


def _fold_artifact(
    result: WalkForwardResult,
    output: dict[str, Any],
    labels: pd.Series,
    data_fingerprint: str | None,
    seed: int,
) -> ModelArtifact:
    from alphafactory.models.artifact import TrainingWindow, make_artifact

    k = output["fold"]
    row = result.folds.loc[k]
    window = TrainingWindow(
        train_start=row["train_start"], train_end=row["train_end"],
        val_start=_stamp(row["val_start"]), val_end=_stamp(row["val_end"]),
    )  # fmt: skip
    metrics = {f"{part}_ic": output["ic"].get(part, np.nan) for part in ("train", "val", "test")}
    metrics["best_epoch"] = output["best_epoch"]
    return make_artifact(
        model=result.model, estimator=output["estimator"], normalizer=output["normalizer"],
        features=output["feature_frame"], lookback=result.meta["lookback"],
        label_attrs=labels.attrs, window=window, data_fingerprint=data_fingerprint,
        metrics=metrics, fold=k, seed=seed + k,
    )  # fmt: skip


def _stamp(value: Any) -> pd.Timestamp | None:
    return None if pd.isna(value) else pd.Timestamp(value)


def run_fold(panel: FoldData, spec: _FoldSpec) -> dict[str, Any]:
    """Fit one fold and predict its test block (runs in a worker; one torch thread)."""
    from alphafactory.models.seeding import torch_threads

    with torch_threads(1):
        start = time.perf_counter()
        out = fit_block(panel, spec.estimator, spec.normalizer, spec.train, spec.val, spec.test)
        if out["n_samples"]["test"] == 0:
            raise ValueError(
                f"Fold {spec.fold} has no usable test samples: check lookback against the "
                "warm-up of the features and the block sizes."
            )
        out.update(fold=spec.fold, fit_seconds=time.perf_counter() - start)
        if not spec.keep:
            del out["estimator"], out["normalizer"]
        else:
            out["feature_frame"] = panel.features.iloc[:0]  # names and dtypes only
        return out


def fit_block(
    panel: FoldData,
    estimator: Any,
    normalizer: Normalizer,
    train: np.ndarray,
    val: np.ndarray,
    test: np.ndarray | None = None,
) -> dict[str, Any]:
    """Fit ``normalizer`` and ``estimator`` on the ``train`` timestamps (early stopping on
    ``val``), predict ``test``; return the fitted pair, test scores and per-slice ICs."""
    from alphafactory.models.classifiers import probability_columns

    end = (test if test is not None and len(test) else val if len(val) else train)[-1] + 1
    cube = fold_cube(panel, normalizer, train, end)
    inputs = getattr(normalizer, "feature_names_out_", None)
    inputs = [str(c) for c in (panel.features.columns if inputs is None else inputs)]
    parts = (("train", train), ("val", val), ("test", test if test is not None else val[:0]))
    sets = {part: block_windows(panel, cube, positions) for part, positions in parts}
    if len(sets["train"][0]) == 0:
        raise ValueError(
            "No usable training sample: check lookback against the warm-up of the features and "
            "the block sizes."
        )
    val_windows = sets["val"][0] if len(sets["val"][0]) else None
    estimator = estimator.fit(sets["train"][0], X_val=val_windows)
    # Torch estimators keep the restored weights' validation scores from training: the same
    # numbers as predicting the validation set again, without another pass over it.
    cached_val = getattr(estimator, "val_scores_", None)
    scores = {
        part: cached_val if part == "val" and cached_val is not None else estimator.predict(w)
        for part, (w, _) in sets.items()
        if len(w)
    }
    return {
        "estimator": estimator,
        "normalizer": normalizer,
        "test_samples": sets["test"][1],
        "test_scores": scores.get("test", np.empty(0)),
        "n_samples": {part: len(w) for part, (w, _) in sets.items()},
        "ic": {
            part: mean_ic(scores[part], sets[part][0].labels, sets[part][0].groups)
            for part in scores
        },
        "best_epoch": getattr(estimator, "best_epoch_", None),
        "history": getattr(estimator, "history_", []),
        "test_proba": probability_columns(estimator, sets["test"][0]),  # classifiers: p_up, ...
        "inputs": inputs,
    }


def _fold_predictions(panel: FoldData, output: dict[str, Any]) -> pd.DataFrame:
    """One fold's test predictions as a frame indexed ``(timestamp, symbol)``."""
    samples = output["test_samples"]
    sym, t = panel.sample_symbol[samples], panel.sample_time[samples]
    index = pd.MultiIndex.from_arrays(
        [panel.timestamps[t], panel.symbols[sym]], names=["timestamp", "symbol"]
    )
    return pd.DataFrame(
        {"score": output["test_scores"], "label": panel.target[sym, t].astype(np.float64)},
        index=index,
    ).sort_index()


def _assemble(
    panel: FoldData,
    splitter: WalkForward,
    name: str,
    outputs: list[dict[str, Any]],
    lookback: int,
    horizon: int,
) -> WalkForwardResult:
    from alphafactory.models.classifiers import stack_probabilities

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
            **stack_probabilities(
                [o["test_proba"] for o in outputs], [len(o["test_samples"]) for o in outputs]
            ),
        },
        index=index,
    ).sort_index()
    table = splitter.folds(pd.Index(panel.timestamps))
    for part in ("train", "val", "test"):
        table[f"{part}_ic"] = [o["ic"].get(part, np.nan) for o in outputs]
    table["best_epoch"] = [o["best_epoch"] for o in outputs]
    table["fit_seconds"] = [o["fit_seconds"] for o in outputs]
    table["n_inputs"] = [len(o["inputs"]) for o in outputs]
    table["history"] = [o["history"] for o in outputs]
    audit = panel.audit
    meta = {"lookback": lookback, "horizon": horizon, "n_features": panel.features.shape[1],
            "rows": audit.get("rows"), "samples": audit.get("samples"),
            "dropped": dict(audit.get("dropped", {})),
            "dropped_by_feature": dict(audit.get("by_feature", {})),
            "infinite": dict(audit.get("infinite", {})),
            "inputs": {int(o["fold"]): list(o["inputs"]) for o in outputs}}  # fmt: skip
    return WalkForwardResult(predictions, table, splitter, name, meta)
