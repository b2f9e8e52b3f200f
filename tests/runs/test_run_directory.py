"""Run directories: creation, naming, tables, metrics, listing."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from alphafactory.runs import RUNS_ROOT_ENV, Run, latest_run, list_runs, read_toml

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


def _predictions() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    idx = pd.MultiIndex.from_product(
        [pd.date_range("2024-01-01", periods=4, tz="UTC", name="timestamp"), ["A", "B"]],
        names=["timestamp", "symbol"],
    )
    return pd.DataFrame(
        {"score": rng.normal(size=8), "fold": np.repeat([0, 1], 4), "model": "lstm"}, index=idx
    )


def test_run_create_writes_config_and_manifest(tmp_path):
    run = Run.create("demo", {"model": {"name": "lstm", "layers": 2}}, seed=7, root=tmp_path,
                     now=NOW)
    assert run.path == tmp_path / "20260102T030405Z-demo"
    assert read_toml(run.path / "config.toml") == {"model": {"name": "lstm", "layers": 2}}
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["name"] == "demo"
    assert manifest["seed"] == 7
    assert manifest["created_at"] == "2026-01-02T03:04:05+00:00"
    assert manifest["packages"]["numpy"] == np.__version__
    assert manifest["packages"]["pandas"] == pd.__version__
    assert manifest["python"].count(".") == 2
    assert manifest["command"]["argv"]
    assert run.name == "demo"
    assert run.created_at == pd.Timestamp(NOW)


def test_run_create_same_second_same_name_gets_distinct_directories(tmp_path):
    first = Run.create("demo", {}, seed=0, root=tmp_path, now=NOW)
    second = Run.create("demo", {}, seed=0, root=tmp_path, now=NOW)
    assert first.path != second.path
    assert second.path.name == "20260102T030405Z-demo-2"


@pytest.mark.parametrize("bad", ["", "a b", "../x", "-lead", "x" * 81, "a/b"])
def test_run_create_bad_name_raises(tmp_path, bad):
    with pytest.raises(ValueError, match="run name"):
        Run.create(bad, {}, seed=0, root=tmp_path)


def test_run_create_none_in_config_names_the_key(tmp_path):
    with pytest.raises(TypeError, match=r"model\.dropout"):
        Run.create("demo", {"model": {"dropout": None}}, seed=0, root=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing half-created


def test_run_create_at_explicit_path_records_identity(tmp_path):
    run = Run.create("train-lstm", {"a": 1}, seed=3, path=tmp_path / "out" / "my-run", now=NOW)
    assert run.path == tmp_path / "out" / "my-run"
    assert run.name == "train-lstm" and run.created_at == pd.Timestamp(NOW)
    assert run.manifest["seed"] == 3
    with pytest.raises(FileExistsError, match="not empty"):
        Run.create("again", {}, seed=0, path=run.path)


def test_run_create_root_defaults_to_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(RUNS_ROOT_ENV, str(tmp_path / "elsewhere"))
    run = Run.create("demo", {}, seed=0)
    assert run.path.parent == tmp_path / "elsewhere"
    assert latest_run() == run


def test_run_write_table_round_trips_multiindex_and_strings(tmp_path):
    run = Run.create("demo", {}, seed=0, root=tmp_path)
    preds = _predictions()
    path = run.write_table("predictions", preds)
    assert path == run.path / "predictions.parquet"
    pd.testing.assert_frame_equal(run.read_table("predictions"), preds)
    fills = pd.DataFrame({"price": [1.0, 2.0], "qty": [3, 4]})
    run.write_table("execution/fills", fills)
    pd.testing.assert_frame_equal(run.read_table("execution/fills"), fills)
    assert run.has_table("execution/fills")
    assert not any(p.name.startswith(".") for p in run.path.rglob("*"))


def test_run_read_table_absent_returns_none(tmp_path):
    run = Run.create("demo", {}, seed=0, root=tmp_path)
    assert run.read_table("equity") is None
    assert not run.has_table("equity")


@pytest.mark.parametrize("bad", ["Equity", "../equity", "a/b/c", "eq uity", ""])
def test_run_table_bad_name_raises(tmp_path, bad):
    run = Run.create("demo", {}, seed=0, root=tmp_path)
    with pytest.raises(ValueError, match="table name"):
        run.write_table(bad, pd.DataFrame({"a": [1]}))


def test_run_write_table_non_frame_raises(tmp_path):
    run = Run.create("demo", {}, seed=0, root=tmp_path)
    with pytest.raises(TypeError, match="DataFrame"):
        run.write_table("equity", pd.Series([1.0]))


def test_run_write_metrics_converts_numpy_and_nan(tmp_path):
    run = Run.create("demo", {}, seed=0, root=tmp_path)
    run.write_metrics({"models": {"lstm": {"ic": np.float64(0.05), "sharpe": float("nan"),
                                           "n": np.int64(3)}}})
    assert run.metrics == {"models": {"lstm": {"ic": 0.05, "sharpe": None, "n": 3}}}


def test_run_open_missing_or_not_a_run_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Run.open(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="not a run directory"):
        Run.open(tmp_path / "empty")


def test_run_copy_file_copies_and_refuses_escape(tmp_path):
    run = Run.create("demo", {}, seed=0, root=tmp_path / "runs")
    src = tmp_path / "alpha.csv"
    src.write_text("timestamp,symbol,score\n")
    assert run.copy_file(src, "signals.csv").read_text() == src.read_text()
    with pytest.raises(ValueError, match="outside"):
        run.copy_file(src, "../escape.csv")


def test_list_runs_orders_by_creation_time_and_skips_non_runs(tmp_path):
    late = Run.create("zeta", {}, seed=0, root=tmp_path, now=NOW + dt.timedelta(hours=1))
    early = Run.create("alpha", {}, seed=0, root=tmp_path, now=NOW)
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "file.txt").write_text("x")
    assert list_runs(tmp_path) == [early, late]
    assert latest_run(tmp_path) == late


def test_list_runs_missing_root_is_empty(tmp_path):
    assert list_runs(tmp_path / "missing") == []
    assert latest_run(tmp_path / "missing") is None


def test_run_figures_lists_images(tmp_path):
    run = Run.create("demo", {}, seed=0, root=tmp_path)
    assert run.figures() == []
    (run.figures_dir / "b.png").write_bytes(b"\x89PNG")
    (run.figures_dir / "a.html").write_text("<html></html>")
    (run.figures_dir / "notes.txt").write_text("x")
    assert [p.name for p in run.figures()] == ["a.html", "b.png"]
