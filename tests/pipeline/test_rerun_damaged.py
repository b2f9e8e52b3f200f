"""`alphafactory rerun` on damaged or unfinished runs (issue 12): one line naming the file and
what is wrong, exit 2, and nothing written."""

from __future__ import annotations

import json
import os
import socket

import numpy as np
import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.runs import Run
from alphafactory.runs.staging import MARKER

CONFIG = {"job": "train", "seed": 1, "model": {"name": "ridge"}}


def _files(root) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture()
def run(tmp_path):
    run = Run.create("train-ridge", CONFIG, seed=1, root=tmp_path / "runs")
    ts = pd.date_range("2024-01-01", periods=30, tz="UTC", name="timestamp")
    run.write_table("predictions", pd.DataFrame({"score": np.arange(30.0), "symbol": "A"},
                                                index=ts))  # fmt: skip
    run.write_metrics({"models": {"ridge": {"ic": 0.1}}})
    return run


def _rerun_fails(run_path, capsys, message: str) -> None:
    root = run_path.parent
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    capsys.readouterr()
    assert main(["rerun", str(run_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("alphafactory: error: "), err
    assert message in err, err
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before  # nothing written


def test_rerun_missing_config_names_it(run, capsys):
    (run.path / "config.toml").unlink()
    _rerun_fails(run.path, capsys, "config.toml: missing; a rerun needs the job's config.toml")


def test_rerun_truncated_predictions_does_not_pass(run, capsys):
    path = run.table_path("predictions")
    path.write_bytes(path.read_bytes()[:200])
    _rerun_fails(run.path, capsys, "predictions.parquet: not a readable Parquet table")


def test_rerun_truncated_metrics_names_it(run, capsys):
    (run.path / "metrics.json").write_text('{"models": {')
    _rerun_fails(run.path, capsys, "metrics.json: not valid JSON")


def test_rerun_invalid_manifest_names_it(run, capsys):
    (run.path / "manifest.json").write_text('"a string"')
    _rerun_fails(run.path, capsys, "manifest.json: expected a JSON object, got a str")


def test_rerun_invalid_config_names_it(run, capsys):
    (run.path / "config.toml").write_text('job = "train"\n[model]\nname = 3\n')
    _rerun_fails(run.path, capsys, "config.toml")


def test_rerun_of_a_run_stopped_mid_run_is_refused(run, capsys):
    (run.path / MARKER).write_text(json.dumps({
        "pid": os.getpid(), "host": socket.gethostname(), "job": "watch",
        "heartbeat_at": "2020-01-01T00:00:00+00:00", "interval_s": 30}))  # fmt: skip
    _rerun_fails(run.path, capsys, "was stopped mid-run")


def test_rerun_of_a_staging_directory_is_refused(tmp_path, capsys):
    staged = Run.create("x", CONFIG, seed=1, root=tmp_path / "runs", staged=True)
    _rerun_fails(staged.path, capsys, "it is a job's staging directory")


def test_rerun_of_a_missing_directory(tmp_path, capsys):
    capsys.readouterr()
    assert main(["rerun", str(tmp_path / "nope")]) == 2
    assert "run directory" in capsys.readouterr().err and not _files(tmp_path)


def test_rerun_into_an_unwritable_runs_dir(run, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    capsys.readouterr()
    assert main(["rerun", str(run.path), "--runs-dir", str(blocker / "runs")]) == 2
    err = capsys.readouterr().err
    assert "cannot create a run directory in" in err and err.count("\n") == 1
    assert blocker.read_text() == "x"


def test_rerun_whose_job_fails_leaves_nothing_behind(tmp_path, capsys):
    """The job of a rerun fails (its data went missing): one line, and no run, staging
    directory or temporary file is left in the runs root."""
    from alphafactory.runs import read_toml, write_toml

    root = tmp_path / "runs"
    run = Run.create("train-ridge", {"job": "train"}, seed=1, root=root)
    doc = read_toml(run.path / "config.toml") | {
        "job": "train", "seed": 1, "model": {"name": "ridge"},
        "walk_forward": {"train": 120, "val": 30, "test": 60, "lookback": 5},
        "features": {"names": ["ret_1"]},
        "data": {"spec": str(tmp_path / "gone.csv")}}  # fmt: skip
    write_toml(run.path / "config.toml", doc)
    run.write_metrics({"models": {"ridge": {"ic": 0.1}}})
    before = _files(root)
    capsys.readouterr()
    assert main(["rerun", str(run.path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "gone.csv" in err, err
    assert _files(root) == before


def test_compare_ignores_figures_the_old_run_never_recorded():
    from alphafactory.pipeline.rerun import _compare

    old = {"sharpe": 1.0, "nested": {"ic": 0.1}}
    new = {"sharpe": 1.0, "nested": {"ic": 0.1, "dropped_warmup": 20}, "n_rows": 5}
    assert _compare(old, new, 1e-9, "") == []
    assert _compare({**old, "gone": 1}, new, 1e-9, "") == [("gone", 1, None)]
    assert _compare(old, {**new, "sharpe": 2.0}, 1e-9, "") == [("sharpe", 1.0, 2.0)]
