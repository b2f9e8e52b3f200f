"""The train, backtest and execute jobs: typed configs, run directories, and reruns of each."""

from __future__ import annotations

import dataclasses

import pytest

from alphafactory.data.sources import BarsSource
from alphafactory.errors import ConfigError, RunError
from alphafactory.pipeline import rerun
from alphafactory.pipeline.strategy_job import (
    BacktestJob,
    ExecuteJob,
    backtest_job,
    execute_job,
    job_from_mapping,
    job_to_mapping,
    recorded_source,
)
from alphafactory.pipeline.train_job import TrainJob, train_job
from alphafactory.runs import Run, list_runs

QUIET = {"log": lambda _: None}
SPEC = "synthetic:n_symbols=6,n_bars=320,alpha_ic=0.2,seed=7"
EXPERIMENT = {
    "seed": 2,
    "model": {"name": "ridge"},
    "walk_forward": {"train": 120, "val": 30, "test": 60, "lookback": 5},
    "features": {"names": ["ret_1", "ret_5", "cs_z_ret_5"]},
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    base = tmp_path_factory.mktemp("jobs")
    job = TrainJob.from_mapping({**EXPERIMENT, "data": {"spec": SPEC}})
    outcome = train_job(job, root=base / "runs", **QUIET)
    from alphafactory.signals.run_export import export_run_signals

    signals = export_run_signals(outcome.run, base / "signals.csv")
    return outcome, signals, base


def test_train_job_config_round_trips_and_rejects_unknown_keys():
    job = TrainJob.from_mapping({**EXPERIMENT, "data": {"spec": SPEC}, "cost_bps": 3})
    assert TrainJob.from_mapping(job.to_mapping()) == job
    assert job.to_mapping()["job"] == "train" and job.data == BarsSource(spec=SPEC)
    with pytest.raises(ConfigError, match=r"cost_bsp.*my\.toml"):
        TrainJob.from_mapping({**EXPERIMENT, "cost_bsp": 3}, "my.toml")
    with pytest.raises(ConfigError, match="keep_models"):
        TrainJob.from_mapping({**EXPERIMENT, "keep_models": "some"})
    assert TrainJob.from_mapping(EXPERIMENT).data == BarsSource(spec="sample")


def test_train_job_writes_run_with_model_artifact_and_reruns(trained):
    outcome, _, _ = trained
    run = outcome.run
    assert run.config["job"] == "train" and run.manifest["job"] == "train"
    assert set(run.metrics["models"]) == {"ridge"} and outcome.n_folds == run.metrics[
        "models"]["ridge"]["n_folds"]
    assert (run.path / "model").is_dir() and run.has_table("predictions")
    report = rerun(run.path, **QUIET)
    assert report.ok, report.differences


def test_strategy_job_config_round_trips_and_names_bad_keys(trained):
    _, signals, _ = trained
    job = BacktestJob(data=BarsSource(spec=SPEC), signals=str(signals), rule="quantile",
                      quantiles=3, rebalance="2", cost="fixed", bps=4.0)  # fmt: skip
    doc = job_to_mapping(job)
    assert doc["job"] == "backtest" and "participation_cap" not in doc
    assert job_from_mapping(doc, "x.toml") == job
    with pytest.raises(ConfigError, match=r"quantils.*x\.toml"):
        job_from_mapping({**doc, "quantils": 3}, "x.toml")
    with pytest.raises(ConfigError, match="rule"):
        dataclasses.replace(job, rule="best")
    with pytest.raises(ConfigError, match=r"algo"):
        job_from_mapping({**doc, "job": "backtest", "algo": "twap"}, "x.toml")


def test_recorded_source_reads_the_train_runs_data(trained):
    _, signals, _ = trained
    assert recorded_source(signals) == BarsSource(spec=SPEC)


def test_backtest_job_reruns_from_its_own_signal_copy(trained, tmp_path):
    _, signals, _ = trained
    local = tmp_path / "s.csv"
    local.write_bytes(signals.read_bytes())
    from alphafactory.signals import sidecar_path

    sidecar_path(local).write_bytes(sidecar_path(signals).read_bytes())
    job = BacktestJob(data=BarsSource(spec=SPEC), signals=str(local), rule="topk", k=2)
    outcome = backtest_job(job, root=tmp_path / "runs", **QUIET)
    run = outcome.run
    assert run is not None and run.config["job"] == "backtest"
    assert {"sharpe", "total_return"} <= set(run.metrics["models"]["strategy"])
    assert (run.path / "signals.csv").is_file() and outcome.note is None
    local.unlink()
    report = rerun(run.path, **QUIET)
    assert report.ok, report.differences


def test_backtest_job_without_write_leaves_no_run(trained, tmp_path):
    _, signals, _ = trained
    job = BacktestJob(data=BarsSource(spec=SPEC), signals=str(signals))
    outcome = backtest_job(job, root=tmp_path / "runs", write=False, **QUIET)
    assert outcome.run is None and list_runs(tmp_path / "runs") == []


def test_backtest_job_notes_bars_that_differ_from_the_signals_data(trained, tmp_path):
    _, signals, _ = trained
    other = BarsSource(spec=SPEC.replace("alpha_ic=0.2", "alpha_ic=0.1"))
    outcome = backtest_job(BacktestJob(data=other, signals=str(signals)), write=False, **QUIET)
    assert outcome.note is not None and "differ" in outcome.note


def test_execute_job_writes_execution_tables_and_reruns(trained, tmp_path):
    _, signals, _ = trained
    job = ExecuteJob(data=BarsSource(spec=SPEC), signals=str(signals), rule="topk", k=1,
                     rebalance="20", slices=3, horizon=120.0, seed=4)  # fmt: skip
    outcome = execute_job(job, root=tmp_path / "runs", **QUIET)
    run = outcome.run
    assert run is not None and run.manifest["seed"] == 4
    assert run.has_table("execution/cost_attribution") and run.has_table("attribution")
    report = rerun(run.path, **QUIET)
    assert report.ok, report.differences


def test_rerun_of_a_run_without_job_kind_is_a_one_line_error(tmp_path):
    run = Run.create("old", {"seed": 0, "model": {"name": "lstm"}}, seed=0, root=tmp_path)
    run.write_metrics({"models": {"lstm": {"ic": 0.1}}})
    with pytest.raises(RunError, match="job None"):
        rerun(run.path, **QUIET)


def test_recorded_source_of_a_workflow_run_export(tmp_path):
    from alphafactory.pipeline import parse_workflow, run_workflow
    from alphafactory.signals.run_export import export_run_signals

    config = parse_workflow({
        "name": "wf", "data": {"name": "mine", "spec": SPEC},
        "features": {"names": ["ret_1", "ret_5"]},
        "models": {"names": ["ridge"], "walk_forward": EXPERIMENT["walk_forward"]},
        "signals": {"export": False},
    })  # fmt: skip
    run = run_workflow(config, root=tmp_path / "runs", **QUIET).run
    signals = export_run_signals(run, tmp_path / "s.csv")
    assert recorded_source(signals) == BarsSource(spec=SPEC)
