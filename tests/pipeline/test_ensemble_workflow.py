"""Workflow ensembles: the in-fold model ``ensemble`` next to the post-hoc ``[ensemble]``."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pandas as pd
import pytest

from alphafactory.errors import ConfigError
from alphafactory.models import load
from alphafactory.pipeline import load_workflow, run_workflow
from alphafactory.pipeline.sections import EnsembleSection
from alphafactory.pipeline.strategies import mean_zscore

WORKFLOW = """
name = "blend"
seed = 3

[data]
name = "syn"
spec = "synthetic:n_symbols=6,n_bars=300,alpha_ic=0.2,seed=4"

[features]
names = ["ret_1", "ret_5", "cs_z_ret_5"]

[models]
names = ["ridge", "ensemble"]
preset = "ci"
walk_forward = { train = 120, val = 30, test = 60, lookback = 5 }

[models.params.ensemble]
method = "blend"
members = ["ridge", "lightgbm"]
member_params = { lightgbm = { n_estimators = 10 } }

[ensemble]
method = "mean"
name = "mean_of_all"

[signals]
export = false

[portfolio]
rule = "quantile"
params = { quantiles = 3 }

[backtest]
cost = { model = "fixed", bps = 5.0 }
"""


def test_workflow_with_an_in_fold_blend_runs_and_records_its_weights(tmp_path):
    pytest.importorskip("lightgbm")
    path = tmp_path / "wf.toml"
    path.write_text(textwrap.dedent(WORKFLOW))
    lines: list[str] = []
    outcome = run_workflow(load_workflow(path), root=tmp_path / "runs", log=lines.append)
    metrics = outcome.run.metrics["models"]
    assert {"ridge", "ensemble", "mean_of_all"} <= set(metrics)
    doc = json.loads((outcome.run.path / "models" / "ensemble" / "estimator" /
                      "estimator.json").read_text())  # fmt: skip
    assert doc["kind"] == "blend_ensemble" and sum(doc["state"]["weights_"]) == pytest.approx(1)
    stored = load(outcome.run.path / "models" / "ensemble")
    np.testing.assert_array_equal(stored.estimator.weights_, doc["state"]["weights_"])
    assert any("ensemble: member weights {'ridge'" in line for line in lines)


def test_ensemble_section_sends_fitted_methods_to_the_in_fold_model():
    with pytest.raises(ConfigError, match=r"in-fold model 'ensemble'.*method = 'blend'"):
        EnsembleSection(method="blend")
    with pytest.raises(ConfigError, match="'rank_average' or 'mean'"):
        EnsembleSection(method="median")


def test_mean_zscore_averages_per_timestamp_z_scores():
    index = pd.MultiIndex.from_product([[1, 2], ["a", "b", "c"]], names=["timestamp", "symbol"])
    a = pd.Series([1.0, 2.0, 3.0, 5.0, 5.0, 5.0], index=index)
    b = pd.Series([3.0, 2.0, 1.0, 0.0, 1.0, 2.0], index=index)
    z = np.sqrt(1.5)  # z-scores of 1, 2, 3 with the population std
    np.testing.assert_allclose(mean_zscore({"a": a, "b": b}), [0, 0, 0, -z / 2, 0, z / 2])
