"""Workflow files name any risk limit or circuit breaker; the backtest then runs risk-managed."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from alphafactory.errors import ConfigError
from alphafactory.pipeline import load_workflow, rerun, run_workflow
from alphafactory.risk import INTERVENTION_COLUMNS

QUIET = {"log": lambda _: None}

WORKFLOW = """
name = "risk"
seed = 3

[data]
name = "syn"
spec = "synthetic:n_symbols=6,n_bars=300,alpha_ic=0.2,seed=4"

[features]
names = ["ret_1", "ret_5"]

[models]
names = ["ridge"]
walk_forward = {{ train = 120, val = 30, test = 60, lookback = 5 }}

[signals]
export = false

[portfolio]
rule = "quantile"
params = {{ quantiles = 3 }}
rebalance = 5

[backtest]
cost = {{ model = "fixed", bps = 5.0 }}

[risk]
max_gross = 1.0
{limits}
"""

LIMITS = """
[risk.limits.max_position_weight]
max_weight = 0.2
[risk.limits.max_group_weight]
max_weight = 0.3
groups = { S0 = "a", S1 = "a", S2 = "b" }
[risk.limits.daily_loss_limit]
max_loss = 0.004
"""


def _write(tmp_path, limits: str):
    path = tmp_path / "wf.toml"
    path.write_text(textwrap.dedent(WORKFLOW.format(limits=limits)))
    return path


def test_workflow_with_limits_runs_risk_managed_and_records_interventions(tmp_path):
    config = load_workflow(_write(tmp_path, LIMITS))
    assert [x.name for x in config.risk.manager().limits] == [
        "max_position_weight", "max_group_weight", "daily_loss_limit"]
    outcome = run_workflow(config, root=tmp_path / "runs", **QUIET)
    table = outcome.run.read_table("risk/interventions")
    assert list(table.columns) == [*INTERVENTION_COLUMNS, "model"]
    assert set(table["model"]) == {"ridge"}
    assert {"max_position_weight", "daily_loss_limit"} <= set(table["limit"])
    assert (table.loc[table["action"] == "scale", "gross_after"]
            <= table.loc[table["action"] == "scale", "gross_before"]).all()
    metrics = outcome.run.metrics["models"]["ridge"]
    assert metrics["risk_halts"] == int((table["action"] == "halt").sum()) > 0
    assert len(outcome.run.read_table("trades")) > 0
    # the recorded config round-trips the limits, and a rerun reproduces every metric
    again = load_workflow(outcome.run.path / "config.toml")
    assert again.risk.manager() == config.risk.manager()
    report = rerun(outcome.run.path, **QUIET)
    assert report.ok, report.differences


def test_workflow_without_limits_writes_no_interventions(tmp_path):
    outcome = run_workflow(load_workflow(_write(tmp_path, "")), root=tmp_path / "runs", **QUIET)
    assert outcome.run.read_table("risk/interventions") is None
    assert np.isfinite(outcome.run.read_table("equity")["ridge"]).all()


@pytest.mark.parametrize(("limits", "match"), [
    ("[risk.limits.stop_loss]\nmax_loss = 0.1", "Unknown risk limit 'stop_loss'"),
    ("[risk.limits.daily_loss_limit]\nmax_los = 0.1", "max_los"),
    ("[risk.limits.daily_loss_limit]\nmax_loss = 2.0", "max_loss"),
])
def test_workflow_rejects_a_bad_limit_when_read(tmp_path, limits, match):
    with pytest.raises(ConfigError, match=match):
        load_workflow(_write(tmp_path, limits))
