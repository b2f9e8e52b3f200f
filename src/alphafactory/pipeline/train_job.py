"""The ``train`` job: one model walked forward on a bars source, written as a run directory.

:class:`TrainJob` is the job's typed config: the experiment (:class:`ExperimentConfig`), the bars
source, and what the run keeps. Its TOML form is the experiment's document plus ``job``,
``[data]``, ``cost_bps`` and ``keep_models``; it is the run's ``config.toml``, accepted again by
``alphafactory train --config`` and by ``alphafactory rerun``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alphafactory.config_io import check_keys
from alphafactory.errors import ConfigError
from alphafactory.pipeline.steps import Log, fold_progress, log_info
from alphafactory.runs import Run
from alphafactory.training.experiment import ExperimentConfig

KEEP_MODELS: tuple[str, ...] = ("none", "last", "all")
_JOB_KEYS = {"job", "data", "cost_bps", "keep_models"}
# The sections of the experiment document (alphafactory.training.experiment).
_EXPERIMENT_KEYS = {
    "seed",
    "model",
    "train",
    "walk_forward",
    "features",
    "selection",
    "labels",
    "synthetic",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class TrainJob:
    """What ``alphafactory train`` does, reproducible from this alone.

    Parameters
    ----------
    experiment : ExperimentConfig
        Model, walk-forward geometry, features, labels, seed.
    data : BarsSource
        The bars the model is walked forward on.
    cost_bps : float
        Cost per unit traded of the label-based long-short summary in ``metrics.json``.
    keep_models : {"none", "last", "all"}
        Which fold models are written to ``folds/<k>/`` (the final refit always goes to
        ``model/``).
    """

    experiment: ExperimentConfig
    data: Any
    cost_bps: float = 5.0
    keep_models: str = "none"

    def __post_init__(self) -> None:
        if self.keep_models not in KEEP_MODELS:
            raise ConfigError(
                f"keep_models must be one of {list(KEEP_MODELS)}, got {self.keep_models!r}"
            )

    def to_mapping(self) -> dict[str, Any]:
        """The TOML document (the run's ``config.toml``)."""
        return {"job": "train", **self.experiment.to_mapping(), "data": self.data.to_config(),
                "cost_bps": float(self.cost_bps), "keep_models": self.keep_models}  # fmt: skip

    @classmethod
    def from_mapping(
        cls,
        doc: Mapping[str, Any],
        where: str = "the train config",
        *,
        model: str | None = None,
        data: Any = None,
    ) -> TrainJob:
        """Build from a TOML document; ``model`` and ``data`` override its own.

        Raises
        ------
        ConfigError
            For an unknown key, a missing model or a bad ``[data]`` section.
        """
        from alphafactory.data.sources import BarsSource

        check_keys(doc, _EXPERIMENT_KEYS | _JOB_KEYS, where)
        doc = dict(doc)
        job = doc.pop("job", "train")
        if job != "train":
            raise ConfigError(f"{where}: job is {job!r}, not 'train'")
        extra = {k: doc.pop(k) for k in list(doc) if k in _JOB_KEYS}
        try:
            experiment = ExperimentConfig.from_mapping(doc, model=model)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if data is None:
            section = extra.get("data", {"spec": "sample"})
            data = BarsSource.from_config(section, where=f"[data] of {where}")
        return cls(experiment=experiment, data=data,
                   cost_bps=float(extra.get("cost_bps", 5.0)),
                   keep_models=str(extra.get("keep_models", "none")))  # fmt: skip


@dataclass(frozen=True, slots=True)
class TrainOutcome:
    """The run a train job wrote and the metrics of its model."""

    run: Run
    metrics: dict[str, float]
    n_folds: int


def train_job(
    job: TrainJob,
    *,
    root: str | Path | None = None,
    path: str | Path | None = None,
    name: str | None = None,
    executor: Any = None,
    log: Log = log_info,
) -> TrainOutcome:
    """Walk the job's model forward, refit it once on every labelled bar, and write the run.

    The run (written only after training succeeded, removed again if writing fails) holds
    ``config.toml`` (this job), ``manifest.json``, ``predictions``, ``folds``,
    ``training_curves``, ``metrics.json``, ``model/`` (the final refit, a model artifact) and,
    per ``keep_models``, ``folds/<k>/``. ``executor`` changes where folds run, not results.
    """
    from alphafactory.runs import check_run_target
    from alphafactory.runs.manifest import fingerprint
    from alphafactory.training.experiment import final_model, run_experiment
    from alphafactory.training.report import (
        curve_table,
        fold_table,
        model_metrics,
        prediction_table,
    )

    check_run_target(root, path)  # an unwritable runs root fails now, not after training
    config = job.experiment
    bars = job.data.load()
    log(f"[data] {job.data.spec}: {bars.index.get_level_values('symbol').nunique()} symbols, "
        f"{len(bars)} bars")  # fmt: skip
    with fold_progress(log, f"[{config.model}]"):
        result = run_experiment(bars, config, executor=executor, keep_models=job.keep_models)
    final = final_model(bars, config, oos=result.predictions)
    log(f"[{config.model}] refitted on every labelled bar")
    metrics = model_metrics(result, cost_bps=job.cost_bps)
    run = Run.create(name or f"train-{config.model}", job.to_mapping(), seed=config.seed,
                     root=root, path=path, staged=True)  # fmt: skip
    try:
        run.write_table("predictions", prediction_table(result))
        run.write_table("folds", fold_table(result))
        run.write_table("training_curves", curve_table(result))
        run.write_metrics({"models": {config.model: metrics}, "n_trials": 1})
        extra = {"data": job.data.to_config(), "model": config.model, "job": "train"}
        run.write_manifest(data_fingerprints={"bars": fingerprint(bars)}, n_trials=1,
                           extra=extra)  # fmt: skip
        final.save(run.path / "model")
        for fold, artifact in result.models.items():
            artifact.save(run.path / "folds" / str(fold))
    except BaseException:
        run.discard()
        raise
    return TrainOutcome(run.publish(), metrics, len(result.folds))
