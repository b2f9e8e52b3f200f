from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.runs import Run
from alphafactory.signals import (
    SignalFileError,
    export_run_signals,
    load_signals,
    sidecar_path,
)

CONFIG = {"seed": 3, "model": {"name": "lstm", "hidden_size": 16}, "labels": {"horizon": 1}}


def _predictions(models: list[str]) -> pd.DataFrame:
    times = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC", name="timestamp")
    rng = np.random.default_rng(0)
    frames = []
    for model in models:
        idx = pd.MultiIndex.from_product([times, ["A", "B"]], names=["timestamp", "symbol"])
        frames.append(pd.DataFrame({
            "model": model, "fold": np.repeat([0, 1], 4), "score": rng.normal(size=8),
            "label": rng.normal(size=8),
        }, index=idx).reset_index())
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def train_run(tmp_path) -> Run:
    run = Run.create("train-lstm", CONFIG, seed=3, root=tmp_path / "runs")
    run.write_table("predictions", _predictions(["lstm"]))
    run.write_manifest(data_fingerprints={"synthetic": "sha256:abc"}, n_trials=1)
    return run


@pytest.fixture
def demo_run(tmp_path) -> Run:
    run = Run.create("demo", {"seed": 0, "models": ["lstm"]}, seed=0, root=tmp_path / "runs")
    run.write_table("predictions", _predictions(["synthetic:lstm", "sample:lstm"]))
    run.write_manifest(data_fingerprints={"synthetic": "sha256:s", "sample": "sha256:b"})
    return run


def test_export_run_signals_keeps_scores_only_with_provenance(tmp_path, train_run):
    path = export_run_signals(train_run.path / "predictions.parquet", tmp_path / "sig.csv")
    loaded = load_signals(path)
    assert list(loaded.columns) == ["timestamp", "symbol", "model", "score"]
    expected = train_run.read_table("predictions").sort_values(["timestamp", "symbol"])
    np.testing.assert_array_equal(loaded["score"].to_numpy(), expected["score"].to_numpy())
    meta = loaded.attrs["metadata"]
    assert meta["data_fingerprint"] == "sha256:abc"
    assert meta["model_config"] == CONFIG
    assert train_run.path.name in meta["description"]


def test_export_run_signals_picks_the_dataset_of_prefixed_models(tmp_path, demo_run):
    path = export_run_signals(demo_run, tmp_path / "s.csv", models=["sample:lstm"])
    meta = json.loads(sidecar_path(path).read_text())
    assert meta["data_fingerprint"] == "sha256:b" and meta["models"] == ["sample:lstm"]
    with pytest.raises(SignalFileError, match=r"do not belong to one of the run's data sets"):
        export_run_signals(demo_run, tmp_path / "both.csv")
    with pytest.raises(SignalFileError, match=r"model\(s\) \['gbm'\] not in the predictions"):
        export_run_signals(demo_run, tmp_path / "x.csv", models=["gbm"])


def test_export_run_signals_without_fingerprint_rejected(tmp_path):
    run = Run.create("bare", {"seed": 0}, seed=0, root=tmp_path / "runs")
    run.write_table("predictions", _predictions(["m"]))
    with pytest.raises(SignalFileError, match=r"manifest\.json: no data_fingerprints"):
        export_run_signals(run.path, tmp_path / "s.csv")
    with pytest.raises(SignalFileError, match="not a run directory"):
        export_run_signals(tmp_path, tmp_path / "s.csv")


def test_cli_export_from_run_refuses_overwrite_without_force(tmp_path, train_run, capsys):
    out = tmp_path / "sig.csv"
    argv = ["signals", "export", "--predictions", str(train_run.path / "predictions.parquet"),
            "--out", str(out)]
    assert main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    header = out.read_text().splitlines()[0]
    assert header == "timestamp,symbol,model,score"
    assert json.loads(sidecar_path(out).read_text())["data_fingerprint"] == "sha256:abc"
    assert main(argv) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0
    assert main([*argv, "--force", "--data-fingerprint", "x"]) == 2
    assert "--data-fingerprint" in capsys.readouterr().err


def test_cli_export_plain_file_drops_answers(tmp_path, capsys):
    preds = tmp_path / "preds.csv"
    _predictions(["m1", "m2"]).to_csv(preds, index=False)
    out = tmp_path / "sig.csv"
    argv = ["signals", "export", "--predictions", str(preds), "--out", str(out),
            "--models", "m2", "--data-fingerprint", "sha256:z"]
    assert main(argv) == 0
    loaded = load_signals(out)
    assert set(loaded["model"]) == {"m2"} and "fold" not in loaded and "label" not in loaded
    assert loaded.attrs["metadata"]["data_fingerprint"] == "sha256:z"
    assert main(["signals", "check", str(out)]) == 0
    assert "8 rows" in capsys.readouterr().out


def test_cli_export_plain_file_unknown_models_rejected(tmp_path, capsys):
    preds = tmp_path / "preds.parquet"
    _predictions(["m1"]).to_parquet(preds)
    argv = ["signals", "export", "--predictions", str(preds), "--out", str(tmp_path / "s.csv")]
    assert main([*argv, "--models", "m9"]) == 2
    assert "--models: ['m9'] not in" in capsys.readouterr().err
    assert not (tmp_path / "s.csv").exists()
