"""The research steps of a workflow, from a dataset's bars to out-of-sample scores.

Each step is a function with typed input and output; :mod:`alphafactory.pipeline.runner` calls
them in order, once per dataset. The strategy steps (weights, backtest, book execution, metrics)
are in :mod:`alphafactory.pipeline.strategies`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from alphafactory.errors import ConfigError, DataError
from alphafactory.pipeline.sections import (
    DataSection,
    EnsembleSection,
    FeaturesSection,
    LabelSettings,
    ModelsSection,
    SelectionSection,
    SignalsSection,
    ValidationSection,
    WalkForwardSettings,
)
from alphafactory.training.walk_forward import WalkForwardResult

if TYPE_CHECKING:
    from alphafactory.models import ModelArtifact

Log = Callable[[str], None]
_LOGGER = logging.getLogger("alphafactory.pipeline")


def log_info(line: str) -> None:
    """The default progress sink: one INFO line on the ``alphafactory.pipeline`` logger.

    The CLI shows ``alphafactory.*`` INFO lines on stderr (terminal or not); walk-forward's
    per-fold lines go through logging already, so only a custom sink gets them forwarded.
    """
    _LOGGER.info(line)


@dataclass(frozen=True, slots=True)
class Dataset:
    """The bars of one dataset, loaded and fingerprinted."""

    name: str
    bars: pd.DataFrame
    fingerprint: str
    calendar: str | None
    source_config: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ModelInputs:
    """Causal features and the labels the models learn, indexed ``(timestamp, symbol)``.

    ``returns`` is, for a classification target, the return a trade on each label makes (see
    :meth:`LabelSettings.trade_returns`), which the classification report reads; else None.
    """

    features: pd.DataFrame
    labels: pd.Series
    returns: pd.Series | None = None


@dataclass(frozen=True, slots=True)
class Scores:
    """Out-of-sample scores per strategy and the labels they are evaluated against."""

    scores: dict[str, pd.Series]
    labels: pd.Series
    results: dict[str, WalkForwardResult]
    # Strategies that size their own positions: ``target_weight`` per (timestamp, symbol).
    target_weights: dict[str, pd.Series] = field(default_factory=dict)


def load_dataset(section: DataSection) -> Dataset:
    """Load a dataset's bars from its source and fingerprint them."""
    from alphafactory.data import fingerprint

    bars = section.source.load()
    return Dataset(section.name, bars, fingerprint(bars), section.source.calendar,
                   section.source.to_config())  # fmt: skip


def validate_dataset(data: Dataset, section: ValidationSection) -> pd.DataFrame:
    """Return the validation issues of a dataset's bars; raise as ``fail_on`` says.

    Raises
    ------
    DataError
        When an issue at or above the ``fail_on`` severity is found.
    """
    from alphafactory.data import validate_ohlcv

    calendar = section.calendar or data.calendar
    report = validate_ohlcv(data.bars, asset_class=section.asset_class, calendar=calendar,
                            source=data.name)  # fmt: skip
    issues = report.issues.assign(dataset=data.name)
    failing = {"never": (), "error": ("error",), "warning": ("error", "warning")}[section.fail_on]
    bad = issues[issues["severity"].isin(failing)] if len(issues) else issues
    if len(bad):
        first = bad.iloc[0]
        raise DataError(
            f"[validation] fail_on={section.fail_on!r}: dataset {data.name!r} has {len(bad)} "
            f"issue(s), first: {first['rule']} at {first['timestamp']} ({first['symbol']}): "
            f"{first['detail']}"
        )
    return issues


def feature_names(features: FeaturesSection, selection: SelectionSection | None) -> list[str]:
    """Resolve ``[features]`` and ``[selection]`` to the ordered list of feature names.

    Names come first in the order given, then every feature of each family in registry order;
    ``all`` means every registered feature. ``[selection]`` then drops names and families.
    """
    from alphafactory.features import list_features

    registry = list_features("default")
    family_of = dict(zip(registry["name"], registry["family"], strict=True))
    families = set(registry["family"])
    for key, names, known in (("names", features.names, family_of),
                              ("families", features.families, families)):  # fmt: skip
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(f"[features] {key}: unknown {unknown}; see `alphafactory "
                              "features list`")  # fmt: skip
    if features.all:
        chosen = list(registry["name"])
    elif features.names or features.families:
        chosen = list(dict.fromkeys([
            *features.names,
            *(n for n in registry["name"] if family_of[n] in set(features.families)),
        ]))  # fmt: skip
    else:
        from alphafactory.training.experiment import DEFAULT_FEATURES

        chosen = list(DEFAULT_FEATURES)
    if selection is not None:
        unknown_families = sorted(set(selection.exclude_families) - families)
        if unknown_families:
            raise ConfigError(f"[selection] exclude_families: unknown {unknown_families}")
        dropped = set(selection.exclude)
        chosen = [n for n in chosen
                  if n not in dropped and family_of[n] not in set(selection.exclude_families)]
    if not chosen:
        raise ConfigError("[features] and [selection] leave no feature to train on")
    return chosen


def fold_selection(features: FeaturesSection, selection: SelectionSection | None) -> list | None:
    """The selection steps each fold fits (``[selection] steps``), or None for none.

    Without ``steps``, a workflow training on every registered feature (``[features] all``)
    gets :data:`~alphafactory.models.selection.DEFAULT_SELECTION`.
    """
    from alphafactory.models.selection_config import SelectionSettings

    return (selection or SelectionSettings()).fold_steps(all_features=features.all)


def build_inputs(bars: pd.DataFrame, names: list[str], labels: LabelSettings) -> ModelInputs:
    """Build the causal feature panel and the target ``[labels]`` chooses of ``bars``."""
    from alphafactory.features import build_features

    return ModelInputs(build_features(bars, names), labels.build(bars), labels.trade_returns(bars))


def model_config(models: ModelsSection, name: str) -> dict[str, Any]:
    """``get_model`` keyword arguments of one model: preset, its params, torch train overrides."""
    from alphafactory.models.registry import NEURAL_CONFIGS

    config: dict[str, Any] = {"preset": models.preset, **dict(models.params.get(name, {}))}
    if models.train and (name in NEURAL_CONFIGS or name == "ensemble"):  # its torch members
        config["train"] = dict(models.train)
    return config


@contextlib.contextmanager
def fold_progress(log: Log, prefix: str) -> Iterator[None]:
    """Forward walk-forward's per-fold INFO lines to a custom ``log`` (a line per fold).

    With the default sink (:func:`log_info`) they already reach the same handlers.
    """
    if log is log_info:
        yield
        return

    class _Forward(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            log(f"{prefix} {record.getMessage()}")

    logger = logging.getLogger("alphafactory.training.executors")
    handler, level = _Forward(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def walk_models(
    inputs: ModelInputs,
    models: ModelsSection,
    walk: WalkForwardSettings,
    *,
    seed: int,
    log: Log,
    dataset: str,
    selection: Sequence[Any] | None = None,
) -> dict[str, WalkForwardResult]:
    """Walk every model of ``[models]`` forward on the inputs; out-of-sample results by name.

    ``selection``: the fold steps each fold fits on its training rows (:func:`fold_selection`).
    """
    from alphafactory.training import walk_forward

    results = {}
    for name in models.names:
        started = time.perf_counter()
        log(f"[{dataset}] {name}: walk-forward ...")
        with fold_progress(log, f"[{dataset}] {name}:"):  # a line per fold
            results[name] = walk_forward(
                inputs.features, inputs.labels, model=name, splitter=walk.splitter(),
                lookback=walk.lookback, config=model_config(models, name), seed=seed,
                executor=models.executor, selection=selection,
            )  # fmt: skip
        log(f"[{dataset}] {name}: {len(results[name].folds)} folds in "
            f"{time.perf_counter() - started:.1f} s")
    return results


def fit_final_models(
    inputs: ModelInputs,
    models: ModelsSection,
    walk: WalkForwardSettings,
    *,
    seed: int,
    log: Log,
    dataset: str,
    data_fingerprint: str,
    results: Mapping[str, WalkForwardResult] | None = None,
    selection: Sequence[Any] | None = None,
) -> dict[str, ModelArtifact]:
    """Refit every model of ``[models]`` once on all labelled bars; artifacts by model name.

    The same features, labels, geometry and seed as the walk-forward, so the artifact scores
    new bars the way the out-of-sample predictions were made (see ``fit_final``). Each artifact
    carries reference statistics for monitoring, with the out-of-sample scores and labels of
    its walk-forward in ``results`` when given.
    """
    from alphafactory.training import fit_final

    artifacts = {}
    for name in models.names:
        started = time.perf_counter()
        artifacts[name] = fit_final(
            inputs.features, inputs.labels, model=name, splitter=walk.splitter(),
            lookback=walk.lookback, config=model_config(models, name), seed=seed,
            data_fingerprint=data_fingerprint,
            oos=None if results is None or name not in results else results[name].predictions,
            selection=selection,
        )  # fmt: skip
        log(f"[{dataset}] {name}: final refit on all labelled bars in "
            f"{time.perf_counter() - started:.1f} s")
        if hasattr(artifacts[name].estimator, "weights_"):  # an ensemble's fitted combination
            log(f"[{dataset}] {name}: member weights {ensemble_weights(artifacts[name], models)}")
    return artifacts


def ensemble_weights(artifact: ModelArtifact, models: ModelsSection) -> dict[str, float]:
    """An ensemble artifact's member weights by member name (``[models.params]`` members)."""
    estimator = artifact.estimator
    names = list(models.params.get(artifact.model, {}).get("members") or [])
    if len(names) != len(estimator.members_):
        names = [f"{i}:{type(m).__name__}" for i, m in enumerate(estimator.members_)]
    return {n: round(float(w), 6) for n, w in zip(names, estimator.weights_, strict=True)}


def model_scores(results: Mapping[str, WalkForwardResult], horizon: int) -> Scores:
    """Scores of each model and the labels they predict (those of the last model's rows)."""
    scores = {name: r.predictions["score"] for name, r in results.items()}
    labels = list(results.values())[-1].predictions["label"].copy()
    labels.attrs["horizon"] = horizon
    return Scores(scores, labels, dict(results))


def add_ensemble(scores: Scores, section: EnsembleSection) -> Scores:
    """Add the ``section.method`` combination of ``section.members`` (default all) as one more
    strategy (rank average or mean z-score of the out-of-sample scores; nothing fitted)."""
    from alphafactory.pipeline.strategies import mean_zscore, rank_average

    members = section.members or tuple(scores.scores)
    unknown = [m for m in members if m not in scores.scores]
    if unknown:
        raise ConfigError(f"[ensemble] members {unknown} are not strategies of this workflow "
                          f"({sorted(scores.scores)})")  # fmt: skip
    if section.name in scores.scores:
        raise ConfigError(f"[ensemble] name {section.name!r} is already a model's name")
    combine = mean_zscore if section.method == "mean" else rank_average
    combined = combine({m: scores.scores[m] for m in members})
    labels = scores.labels.reindex(combined.index)
    labels.attrs["horizon"] = scores.labels.attrs.get("horizon")
    return Scores({**scores.scores, section.name: combined}, labels, scores.results,
                  scores.target_weights)  # fmt: skip


def read_signal_scores(section: SignalsSection, data: Dataset, labels: pd.Series) -> Scores:
    """Scores of a signal file's models (``[signals] source``), checked against the bars."""
    from alphafactory.signals import load_signals

    assert section.source is not None
    signals = load_signals(section.source, bars=data.bars)
    present = list(dict.fromkeys(signals["model"]))
    chosen = list(section.models) or present
    missing = [m for m in chosen if m not in present]
    if missing:
        raise ConfigError(f"[signals] models {missing} are not in {section.source} ({present})")
    scores = {}
    for name in chosen:
        rows = signals[signals["model"] == name]
        scores[name] = rows.set_index(["timestamp", "symbol"])["score"].sort_index()
    index = scores[chosen[-1]].index
    aligned = labels.reindex(index)
    aligned.attrs["horizon"] = labels.attrs.get("horizon")
    return Scores(scores, aligned, {})


def signal_path(section: SignalsSection, dataset: str, signal_dir: str | Path | None) -> Path:
    """Where a dataset's signal file goes: ``files[dataset]`` or ``file``, under ``dir``."""
    name = section.files.get(dataset) or section.file.replace("{dataset}", dataset)
    return Path(signal_dir if signal_dir is not None else section.dir) / name


def export_dataset_signals(
    scores: Scores, path: Path, metadata: Mapping[str, Any], *, overwrite: bool
) -> Path:
    """Write every strategy's scores as one signal file (long, with a ``model`` column)."""
    from alphafactory.signals import export_signals

    frames = [s.rename("score").to_frame().assign(model=m) for m, s in scores.scores.items()]
    for k, model in enumerate(scores.scores):  # a strategy's own sizing travels with its scores
        if model in scores.target_weights:
            frames[k]["target_weight"] = scores.target_weights[model].reindex(frames[k].index)
    long = pd.concat(frames).reset_index()
    return export_signals(long, path, metadata=dict(metadata), overwrite=overwrite)
