"""Random forest and CatBoost by name: `alphafactory train --model` and a workflow's [models]."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from alphafactory.cli import main
from alphafactory.data import load_bars
from alphafactory.models import load, score
from alphafactory.pipeline import load_workflow, run_workflow

SPEC = "synthetic:n_symbols=6,n_bars=300,alpha_ic=0.2,seed=4"

WORKFLOW = f"""
name = "trees"
seed = 3

[data]
name = "syn"
spec = "{SPEC}"
calendar = "weekdays"

[features]
names = ["ret_1", "ret_5", "cs_z_ret_5"]

[models]
names = ["random_forest", "catboost"]
preset = "ci"
walk_forward = {{ train = 120, val = 30, test = 60, lookback = 5 }}

[signals]
export = false
"""

TRAIN = """
seed = 3
[model]
name = "ridge"
preset = "ci"
[walk_forward]
train = 150
val = 40
test = 60
lookback = 5
[features]
names = ["ret_1", "cs_z_ret_1"]
[synthetic]
n_symbols = 8
n_bars = 360
alpha_ic = 0.1
"""


def test_workflow_walks_forest_and_catboost_forward_and_saves_both(tmp_path):
    pytest.importorskip("catboost")
    path = tmp_path / "wf.toml"
    path.write_text(textwrap.dedent(WORKFLOW))
    outcome = run_workflow(load_workflow(path), root=tmp_path / "runs", log=lambda _: None)
    metrics = outcome.run.metrics["models"]
    assert {"random_forest", "catboost"} <= set(metrics)
    assert all(np.isfinite(metrics[m]["ic"]) for m in ("random_forest", "catboost"))
    bars = load_bars(SPEC)
    for name in ("random_forest", "catboost"):
        latest = score(load(outcome.run.path / "models" / name), bars)
        assert len(latest) == 6 and np.isfinite(latest.to_numpy()).all()


def test_train_cli_model_random_forest_writes_a_scoring_model(tmp_path, capsys):
    config = tmp_path / "exp.toml"
    config.write_text(TRAIN)
    out = tmp_path / "run"
    code = main(["train", "--config", str(config), "--synthetic", "--model", "random_forest",
                 "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "random_forest: 2 folds" in capsys.readouterr().out
    artifact = load(out / "model")
    assert artifact.model == "random_forest"
    assert sorted(p.name for p in (out / "model" / "estimator").iterdir()) == [
        "estimator.json", "forest.npz"
    ]  # fmt: skip
