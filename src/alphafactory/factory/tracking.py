"""Log a factory cycle to MLflow: one parent run per study, one nested run per trial.

The parent run carries the cycle's settings, the gate's decision and the candidate model; each
trial's nested run carries its parameters, its per-fold out-of-sample IC (metric ``fold_ic``,
one step a fold), its value (``sharpe``), its state, and its walk-forward predictions as a
Parquet artifact. ``mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db`` shows it all.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["end_cycle_run", "log_json", "log_trials", "start_cycle_run"]

_MAX_PARAM = 500  # MLflow's limit on a parameter value


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:_MAX_PARAM]


def start_cycle_run(
    client: Any,
    experiment_id: str,
    *,
    name: str,
    tags: Mapping[str, str],
    params: Mapping[str, Any],
) -> str:
    """Create the cycle's parent run; return its id."""
    from mlflow.entities import Param, RunTag

    run = client.create_run(experiment_id, run_name=name,
                            tags={"af.kind": "cycle", **dict(tags)})  # fmt: skip
    client.log_batch(run.info.run_id, params=[Param(k, _param(v)) for k, v in params.items()],
                     tags=[RunTag("af.started", str(int(time.time())))])  # fmt: skip
    return str(run.info.run_id)


def log_trials(
    client: Any,
    experiment_id: str,
    parent_run_id: str,
    study: Any,
    results: Mapping[int, Any],
) -> dict[int, str]:
    """Log every trial of ``study`` as a nested run; return trial number -> run id.

    ``results`` holds, by trial number, what finished trials left behind (their predictions);
    pruned and failed trials are logged too (they count).
    """
    from mlflow.entities import Metric, Param, RunTag

    runs = {}
    for trial in study.trials:
        state = trial.state.name.lower()
        run = client.create_run(
            experiment_id, run_name=f"trial-{trial.number}",
            tags={"mlflow.parentRunId": parent_run_id, "af.kind": "trial",
                  "af.trial": str(trial.number), "af.state": state},
        )  # fmt: skip
        run_id = run.info.run_id
        stamp = int(time.time() * 1000)
        params = [Param(k, _param(v)) for k, v in trial.params.items()]
        metrics = [Metric("fold_ic", float(v), stamp, int(step))
                   for step, v in sorted(trial.intermediate_values.items())]  # fmt: skip
        if trial.value is not None:
            metrics.append(Metric("sharpe", float(trial.value), stamp, 0))
        if trial.duration is not None:
            metrics.append(Metric("seconds", trial.duration.total_seconds(), stamp, 0))
        client.log_batch(run_id, metrics=metrics, params=params,
                         tags=[RunTag("af.params", _param(trial.user_attrs.get("params", {})))])
        result = results.get(trial.number)
        if result is not None:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "predictions.parquet"
                result.predictions.to_parquet(path, engine="pyarrow")
                client.log_artifact(run_id, str(path))
        client.set_terminated(run_id, "FINISHED" if state == "complete" else "KILLED")
        runs[trial.number] = run_id
    return runs


def log_json(client: Any, run_id: str, name: str, obj: Any) -> None:
    """Write ``obj`` as ``name`` (a JSON file) among the run's artifacts."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(json.dumps(obj, indent=2, default=str, allow_nan=False) + "\n",
                        encoding="utf-8")  # fmt: skip
        client.log_artifact(run_id, str(path))


def end_cycle_run(
    client: Any, run_id: str, metrics: Mapping[str, float], tags: Mapping[str, str]
) -> None:
    """Log the cycle's summary figures and tags, and close the run."""
    import math

    from mlflow.entities import Metric, RunTag

    stamp = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric(k, float(v), stamp, 0) for k, v in metrics.items()
                 if v is not None and math.isfinite(float(v))],
        tags=[RunTag(k, str(v)) for k, v in tags.items()],
    )  # fmt: skip
    client.set_terminated(run_id, "FINISHED")
