"""Run an Optuna study: in this process, or its trials spread over Dask workers.

The study lives in its own storage (``sqlite:///mlruns/optuna.db`` by default, PostgreSQL
across machines), never in MLflow's database: both keep an ``alembic_version`` table.

Determinism: with one worker the sampler (seeded) sees every finished trial before it draws
the next, so a rerun of the study gives the same trials and values. With several workers each
runs its own seeded sampler against the shared storage, and which trials a sampler has seen when
it draws depends on timing, so a parallel study's parameters legitimately differ from run to
run; each trial's result is still a pure function of its parameters and the seed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alphafactory.errors import AlphaFactoryError, ConfigError

__all__ = ["StudyOutcome", "create_study", "run_study"]

_log = logging.getLogger("alphafactory.factory")

# A trial that raises one of these is marked failed and the study goes on (it still counts).
_CAUGHT = (AlphaFactoryError, ValueError, ArithmeticError, RuntimeError)

Objective = Callable[[Any, Any, dict[int, Any]], float]


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:  # pragma: no cover - the tune extra is installed by make test
        raise ConfigError(
            "the factory's search needs Optuna: pip install 'alphafactory[tune]'"
        ) from None
    return optuna


@dataclass(frozen=True, slots=True)
class StudyOutcome:
    """The finished study and what its trials left behind (by trial number)."""

    study: Any
    artifacts: dict[int, Any] = field(default_factory=dict)
    seconds: float = 0.0


def _storage(url: str) -> Any:
    optuna = _optuna()
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # Several workers write one SQLite file: wait for the lock instead of failing.
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": 60}}
    return optuna.storages.RDBStorage(url, **kwargs)


def create_study(
    name: str, storage: str, *, sampler: str, pruner: str, prune_after: int, seed: int
) -> Any:
    """Create (or reopen) the study ``name`` in ``storage`` with a seeded sampler."""
    optuna = _optuna()
    return optuna.create_study(
        study_name=name, storage=_storage(storage), direction="maximize",
        sampler=_sampler(sampler, seed), pruner=_pruner(pruner, prune_after),
        load_if_exists=True,
    )  # fmt: skip


def _sampler(kind: str, seed: int) -> Any:
    optuna = _optuna()
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)


def _pruner(kind: str, prune_after: int) -> Any:
    optuna = _optuna()
    if kind == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=max(prune_after - 1, 0))


def _optimize(
    objective: Objective,
    shared: Any,
    name: str,
    storage: str,
    options: dict[str, Any],
) -> dict[int, Any]:
    """Run trials until the study holds ``n_trials``; return what the objective left behind."""
    optuna = _optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = create_study(name, storage, sampler=options["sampler"], pruner=options["pruner"],
                         prune_after=options["prune_after"], seed=options["seed"])  # fmt: skip
    artifacts: dict[int, Any] = {}
    total = options["n_trials"]

    def counted(trial: Any) -> float:
        return objective(shared, trial, artifacts)

    def progress(study: Any, trial: Any) -> None:
        state = trial.state.name.lower()
        if state == "pruned" and trial.intermediate_values:
            step = max(trial.intermediate_values)
            what = f"after fold {step + 1} (fold IC {trial.intermediate_values[step]:.4f})"
        elif trial.value is not None:
            what = f"value {trial.value:.3f}"
        else:
            what = "-"
        _log.info("trial %d %s %s (%d/%d)", trial.number, state, what, len(study.trials), total)

    study.optimize(
        counted, callbacks=[optuna.study.MaxTrialsCallback(total, states=None), progress],
        catch=_CAUGHT, timeout=options["timeout"], gc_after_trial=False,
    )  # fmt: skip
    return artifacts


def run_study(
    objective: Objective,
    shared: Any,
    *,
    name: str,
    storage: str,
    n_trials: int,
    sampler: str = "tpe",
    pruner: str = "median",
    prune_after: int = 1,
    seed: int = 0,
    executor: str | int | None = None,
    timeout_minutes: float | None = None,
    enqueue: dict[str, Any] | None = None,
) -> StudyOutcome:
    """Run ``n_trials`` trials of ``objective(shared, trial, artifacts)``.

    Parameters
    ----------
    objective : callable
        A module-level function (Dask pickles it by reference): draws the trial's parameters,
        may ``trial.report`` / raise ``optuna.TrialPruned``, returns the value to maximize and
        may leave a result in ``artifacts[trial.number]`` (returned to this process).
    shared : object
        Data every trial reads, sent once to each worker.
    executor : None, int, "processes" or a Dask scheduler address
        None: trials one after another here. An int (or "processes": one per core): a local
        Dask cluster of that many single-threaded worker processes. ``"tcp://..."``: that
        cluster; its workers must reach ``storage``.
    enqueue : dict, optional
        Parameters (Optuna names) of a first trial to run as given (the nightly refit).
    """
    started = time.perf_counter()
    options = {"sampler": sampler, "pruner": pruner, "prune_after": prune_after, "seed": seed,
               "n_trials": n_trials,
               "timeout": None if timeout_minutes is None else 60.0 * timeout_minutes}  # fmt: skip
    if enqueue is not None:
        create_study(name, storage, sampler=sampler, pruner=pruner, prune_after=prune_after,
                     seed=seed).enqueue_trial(enqueue, skip_if_exists=True)  # fmt: skip
    if executor is None:
        artifacts = _optimize(objective, shared, name, storage, options)
    else:
        artifacts = _on_dask(objective, shared, name, storage, options, executor)
    study = create_study(name, storage, sampler=sampler, pruner=pruner,
                         prune_after=prune_after, seed=seed)  # fmt: skip
    return StudyOutcome(study, artifacts, time.perf_counter() - started)


def _on_dask(
    objective: Objective,
    shared: Any,
    name: str,
    storage: str,
    options: dict[str, Any],
    executor: str | int,
) -> dict[int, Any]:
    import os

    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the distributed extra is installed by make test
        raise ConfigError(
            "parallel trials need Dask: pip install 'alphafactory[distributed]'"
        ) from None
    create_study(name, storage, sampler=options["sampler"], pruner=options["pruner"],
                 prune_after=options["prune_after"], seed=options["seed"])  # fmt: skip
    cluster = None
    if isinstance(executor, str) and "://" in executor:
        client = Client(executor)
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
    else:
        workers = (os.cpu_count() or 1) if executor == "processes" else int(executor)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, host="127.0.0.1")  # fmt: skip
        client = Client(cluster)
    try:
        data = client.scatter(shared, broadcast=True)
        futures = [
            client.submit(_optimize, objective, data, name, storage,
                          {**options, "seed": options["seed"] + k}, pure=False)
            for k in range(workers)
        ]  # fmt: skip
        artifacts: dict[int, Any] = {}
        for future in futures:
            artifacts.update(future.result())
        return artifacts
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
