"""Reproduce a run from its directory and check that its metrics come out the same.

Every job (``demo``, ``run``, ``train``, ``backtest``, ``execute``) writes its full typed config to
``config.toml`` with its kind under ``job``; :func:`rerun` dispatches on that kind (see
:data:`JOB_KINDS`) to the same library function the command called, on the run's own copies of
its inputs where it has them (the signal file), then compares every metric and every data
fingerprint.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alphafactory.errors import AlphaFactoryError, RunError
from alphafactory.pipeline.runner import run_workflow
from alphafactory.pipeline.steps import Log, log_info
from alphafactory.pipeline.workflow import WorkflowConfig, parse_workflow
from alphafactory.runs import Run, check_run_target

# Wall-clock figures differ between runs by nature; everything else must match.
_VOLATILE_KEYS = frozenset({"seconds"})
# Folders of model artifacts, which their own loader validates.
_ARTIFACT_DIRS = frozenset({"model", "models", "folds"})


@dataclass(frozen=True, slots=True)
class JobKind:
    """How one kind of job reruns: parse its config, point it at the run's inputs, run it."""

    parse: Callable[[Mapping[str, Any], str], Any]
    run: Callable[..., Run]
    seed: Callable[[Any], int]
    inputs: Callable[[Any, Run], Any] = lambda config, _run: config


def _run_workflow(config: WorkflowConfig, **kwargs: Any) -> Run:
    return run_workflow(config, **kwargs).run


def _train(config: Any, *, signal_dir: Any, **kwargs: Any) -> Run:
    from alphafactory.pipeline.train_job import train_job

    return train_job(config, **kwargs).run


def _strategy(config: Any, *, signal_dir: Any, **kwargs: Any) -> Run:
    from alphafactory.pipeline.strategy_job import ExecuteJob, backtest_job, execute_job

    job = execute_job if isinstance(config, ExecuteJob) else backtest_job
    run = job(config, **kwargs).run
    assert run is not None
    return run


def _parse_train(doc: Mapping[str, Any], where: str) -> Any:
    from alphafactory.pipeline.train_job import TrainJob

    return TrainJob.from_mapping(doc, where)


def _parse_strategy(doc: Mapping[str, Any], where: str) -> Any:
    from alphafactory.pipeline.strategy_job import job_from_mapping

    return job_from_mapping(doc, where)


def _with_run_inputs(config: WorkflowConfig, run: Run) -> WorkflowConfig:
    """Read a ``[signals] source`` from the run's own copy (the exact file the job read)."""
    copy = run.path / "signals.csv"
    if config.signals.source is None or not copy.is_file():
        return config
    signals = dataclasses.replace(config.signals, source=str(copy))
    return dataclasses.replace(config, signals=signals)


def _signals_copy(config: Any, run: Run) -> Any:
    """A strategy job reads the run's own copy of its signal file (the exact file it traded)."""
    copy = run.path / "signals.csv"
    return dataclasses.replace(config, signals=str(copy)) if copy.is_file() else config


# Job kind (``job`` in config.toml) -> how it reruns: the library function its command calls.
JOB_KINDS: dict[str, JobKind] = {
    **{kind: JobKind(parse_workflow, _run_workflow, lambda c: c.seed, _with_run_inputs)
       for kind in ("run", "demo")},
    "train": JobKind(_parse_train, _train, lambda c: c.experiment.seed),
    "backtest": JobKind(_parse_strategy, _strategy, lambda c: 0, _signals_copy),
    "execute": JobKind(_parse_strategy, _strategy, lambda c: c.seed, _signals_copy),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RerunReport:
    """The original run, the new one, and every metric that differs (path, old, new)."""

    original: Run
    rerun: Run
    differences: list[tuple[str, Any, Any]]

    @property
    def ok(self) -> bool:
        return not self.differences


def rerun(
    run_dir: str | Path,
    *,
    root: str | Path | None = None,
    signal_dir: str | Path | None = None,
    rtol: float = 1e-9,
    log: Log = log_info,
) -> RerunReport:
    """Run the job of ``run_dir`` again from its ``config.toml`` and compare ``metrics.json``.

    Parameters
    ----------
    run_dir : path
        A run directory written by any job.
    root : path, optional
        Where the new run goes; defaults to the original run's parent directory.
    signal_dir : path, optional
        Where the new signal files go; by default a temporary folder (the run keeps copies), so
        a rerun never overwrites the signals a user exported.
    rtol : float
        Relative tolerance per metric (torch on CPU is bit-reproducible; the tolerance only
        absorbs printing of floats through JSON).

    Raises
    ------
    RunError
        When the run is incomplete (running, stopped mid-run), has no metrics, no config or no
        job kind, a damaged file (JSON, TOML or Parquet that does not read; the message names
        it), or its manifest seed differs from its config. Nothing is written then.
    """
    original = Run.open(run_dir)
    state = original.state
    if state != "complete":
        what = ("is still running (a RUNNING marker with a live heartbeat)" if state == "running"
                else "was stopped mid-run (a RUNNING marker whose heartbeat stopped)")
        raise RunError(f"{original.path}: the job {what}; only a complete run reruns")
    manifest = original.manifest or {}
    metrics = original.metrics
    if not metrics:
        raise RunError(f"{run_dir} has no metrics.json: there is nothing to compare a rerun with.")
    config_path = original.path / "config.toml"
    if not config_path.is_file():
        raise RunError(f"{config_path}: missing; a rerun needs the job's config.toml")
    doc = original.config
    job = doc.get("job")
    if job not in JOB_KINDS:
        raise RunError(
            f"{config_path}: job {job!r} is not a job kind that reruns "
            f"({sorted(JOB_KINDS)}); the run was written before jobs recorded their kind."
        )
    _check_tables(original)
    kind = JOB_KINDS[job]
    try:
        config = kind.inputs(kind.parse(doc, str(config_path)), original)
        seed = kind.seed(config)
    except AlphaFactoryError:
        raise
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise RunError(f"{config_path}: not a valid {job} job config: "
                       f"{type(exc).__name__}: {exc}") from exc  # fmt: skip
    try:
        same_seed = "seed" not in manifest or int(manifest["seed"]) == seed
    except (TypeError, ValueError) as exc:
        raise RunError(f"{original.path / 'manifest.json'}: seed {manifest['seed']!r} is not an "
                       "integer") from exc  # fmt: skip
    if not same_seed:
        raise RunError(
            f"{run_dir}: manifest seed {manifest['seed']} differs from the seed {seed} "
            "of config.toml."
        )
    root = Path(root) if root is not None else original.path.parent
    check_run_target(root)
    with tempfile.TemporaryDirectory(prefix="alphafactory-rerun-") as scratch:
        new = kind.run(config, root=root, name=f"rerun-{original.name}"[:80],
                       signal_dir=signal_dir or scratch, log=log)  # fmt: skip
    try:
        new_metrics = new.metrics or {}
        new_prints = (new.manifest or {}).get("data_fingerprints") or {}
    except BaseException:
        new.discard()  # a rerun that cannot be compared leaves nothing behind
        raise
    differences = _compare(metrics, new_metrics, rtol, "")
    old_prints = manifest.get("data_fingerprints") or {}
    differences += _compare(old_prints, new_prints, rtol, "data_fingerprints")
    return RerunReport(original, new, differences)


def _check_tables(run: Run) -> None:
    """Read every Parquet table of ``run`` once: a truncated table is a RunError naming it,
    not a rerun that passes because only the metrics were compared."""
    from alphafactory.runs import read_parquet_file

    for path in sorted(run.path.rglob("*.parquet")):
        rel = path.relative_to(run.path)
        if any(part.startswith(".") for part in rel.parts) or rel.parts[0] in _ARTIFACT_DIRS:
            continue  # temporary files; model artifacts are checked when they load
        read_parquet_file(path)


def _compare(old: Any, new: Any, rtol: float, path: str) -> list[tuple[str, Any, Any]]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(old) | set(new)):
            if key in _VOLATILE_KEYS:
                continue
            where = f"{path}.{key}" if path else str(key)
            if key not in old:
                continue  # a figure this version adds: nothing recorded to reproduce
            if key not in new:
                out.append((where, old.get(key), new.get(key)))
            else:
                out.extend(_compare(old[key], new[key], rtol, where))
        return out
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        same = (math.isnan(old) and math.isnan(new)) or math.isclose(
            old, new, rel_tol=rtol, abs_tol=1e-12
        )
        return [] if same else [(path, old, new)]
    if old is None and new is None:
        return []
    return [] if old == new else [(path, old, new)]
