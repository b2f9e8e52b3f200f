from __future__ import annotations

import json

import pandas as pd
import pytest

from alphafactory.cli import main
from alphafactory.runs import Run

CONFIG = """
seed = 3
[model]
name = "lstm"
preset = "ci"
hidden_size = 4
[train]
epochs = 1
max_batches_per_epoch = 3
[walk_forward]
train = 150
val = 40
test = 60
lookback = 5
[features]
names = ["ret_1", "cs_z_ret_1"]
[labels]
horizon = 1
entry = "next_open"
[synthetic]
n_symbols = 8
n_bars = 360
alpha_ic = 0.1
"""


def test_train_cli_synthetic_writes_run_directory(tmp_path, capsys):
    config = tmp_path / "exp.toml"
    config.write_text(CONFIG)
    out = tmp_path / "run"
    code = main(["train", "--config", str(config), "--synthetic", "--out", str(out)])
    assert code == 0
    assert str(out) in capsys.readouterr().out
    run = Run.open(out)
    pred = run.read_table("predictions")
    assert {"timestamp", "symbol", "model", "fold", "score", "label"} <= set(pred.columns)
    assert set(pred["model"]) == {"lstm"} and sorted(pred["fold"].unique()) == [0, 1]
    folds = run.read_table("folds")
    assert len(folds) == 2 and {"train_start", "test_end", "ic"} <= set(folds.columns)
    curves = run.read_table("training_curves")
    assert list(curves["epoch"]) == [1, 1]
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["models"]["lstm"]) >= {"ic", "rank_ic", "icir", "long_short_sharpe"}
    counts = metrics["models"]["lstm"]  # every feature row not used is counted by cause
    dropped = sum(v for k, v in counts.items() if k.startswith("dropped_"))
    assert counts["n_rows"] - counts["n_samples"] == dropped > 0
    assert counts["dropped_label_missing"] == 8  # the last bar of each of the 8 symbols
    manifest = run.manifest
    assert manifest["seed"] == 3 and manifest["n_trials"] == 1
    assert manifest["data_fingerprints"]["bars"].startswith("sha256:")
    assert manifest["data"]["spec"] == "synthetic:n_symbols=8,n_bars=360,alpha_ic=0.1,seed=0"
    assert run.config["data"] == manifest["data"]
    assert pd.Timestamp(pred["timestamp"].min()) > pd.Timestamp(folds["val_end"].min())


def test_train_cli_model_flag_overrides_and_bad_key_is_an_error(tmp_path, capsys):
    config = tmp_path / "exp.toml"
    config.write_text(CONFIG.replace("hidden_size = 4", "hidden = 4"))
    code = main(["train", "--config", str(config), "--synthetic", "--out", str(tmp_path / "r")])
    assert code == 2
    assert "hidden_size" in capsys.readouterr().err


def test_train_cli_missing_config_is_an_error(tmp_path, capsys):
    assert main(["train", "--config", str(tmp_path / "nope.toml"), "--synthetic"]) == 2
    assert "no config file" in capsys.readouterr().err


@pytest.mark.parametrize("section", ["[walk_forward]\ntrian = 3", "[optimizer]\nlr = 1"])
def test_experiment_config_unknown_keys_raise(section):
    import tomllib

    from alphafactory.training.experiment import ExperimentConfig

    with pytest.raises(ValueError, match="Unknown key"):
        ExperimentConfig.from_mapping(tomllib.loads(f'[model]\nname = "ridge"\n{section}'))


def test_train_executor_takes_a_dask_scheduler_address(tmp_path, capsys):
    distributed = pytest.importorskip("dask.distributed")
    from alphafactory.cli import main

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:  # fmt: skip
        code = main(["train", "--bars", "synthetic:n_symbols=6,n_bars=1000", "--model", "ridge",
                     "--executor", cluster.scheduler_address, "--out", str(tmp_path / "run")])
    assert code == 0
    assert "ridge:" in capsys.readouterr().out


def test_train_executor_without_a_scheduler_is_one_line(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    from alphafactory.cli import main

    code = main(["train", "--bars", "synthetic:n_symbols=6,n_bars=500", "--model", "ridge",
                 "--executor", "tcp://127.0.0.1:1", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no Dask scheduler" in err[0]


@pytest.mark.parametrize("kind", ["non_empty_dir", "file", "config"])
def test_train_cli_bad_out_is_refused_before_training(tmp_path, capsys, kind):
    config = tmp_path / "exp.toml"
    config.write_text(CONFIG)
    out = tmp_path / "run"
    if kind == "non_empty_dir":
        out.mkdir()
        (out / "notes.txt").write_text("keep me")
        expected = f"--out {out}: already exists and is not empty"
    elif kind == "file":
        out.write_text("keep me")
        expected = f"--out {out}: is a file; a run directory must be new or empty"
    else:
        out = config
        expected = f"--out {out}: holds the input --config"
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert main(["train", "--config", str(config), "--synthetic", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("alphafactory: error: ") and expected in err and "\n" not in err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
