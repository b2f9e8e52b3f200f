"""The run directory of a factory cycle: its trials, the withheld returns, the gate's decision
and the candidate model (what the dashboard's Factory page reads)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from alphafactory.pipeline.workflow import WorkflowConfig

__all__ = ["write_cycle_run"]


def write_cycle_run(
    config: WorkflowConfig,
    study: Any,
    outcome: Any,
    record: dict[str, Any],
    artifact: Any,
    tables: dict[str, pd.DataFrame],
    seconds: float,
    runs_root: Any,
) -> Any:
    """The cycle's run directory: trials, withheld returns, decision, candidate model."""
    import json

    from alphafactory.runs import Run

    run = Run.create(f"factory-{config.name}", config.to_mapping(), seed=config.seed,
                     root=runs_root, staged=True)  # fmt: skip
    try:
        rows = []
        for t in study.trials:
            result = outcome.artifacts.get(t.number)
            rows.append({
                "trial": t.number, "state": t.state.name.lower(),
                "value": np.nan if t.value is None else float(t.value),
                "params": json.dumps(t.user_attrs.get("params", t.params), default=str),
                "fold_ic": json.dumps([float(v) for _, v in
                                       sorted(t.intermediate_values.items())]),
                "seconds": t.duration.total_seconds() if t.duration else np.nan,
                "n_predictions": 0 if result is None else len(result.predictions),
            })  # fmt: skip
        run.write_table("trials", pd.DataFrame(rows))
        for name, frame in tables.items():
            run.write_table(name, frame.rename_axis("timestamp"))
        if artifact is not None:
            artifact.save(run.path / "models" / "candidate")
        (run.path / "decision.json").write_text(
            json.dumps(record, indent=2, default=str, allow_nan=False) + "\n", encoding="utf-8"
        )  # fmt: skip
        run.write_metrics({"decision": record, "seconds": seconds})
        run.write_manifest(n_trials=len(study.trials), extra={"job": "factory"})
    except BaseException:
        run.discard()
        raise
    return run.publish()
