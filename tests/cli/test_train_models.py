"""`alphafactory train --out DIR`: the final refit in DIR/model/, kept fold models in DIR/folds/."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from alphafactory.cli import main
from alphafactory.data import fingerprint, synthetic_market
from alphafactory.models import load, score
from alphafactory.runs import Run

CONFIG = """
seed = 3
[model]
name = "ridge"
[walk_forward]
train = 150
val = 40
test = 60
lookback = 5
[features]
names = ["ret_1", "cs_z_ret_1", "rsi_14"]
[synthetic]
n_symbols = 8
n_bars = 360
alpha_ic = 0.1
"""


def test_train_writes_final_model_and_kept_fold_models(tmp_path, capsys):
    config = tmp_path / "exp.toml"
    config.write_text(CONFIG)
    out = tmp_path / "run"
    code = main(["train", "--config", str(config), "--synthetic", "--out", str(out),
                 "--keep-models", "all"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    final = load(out / "model")
    bars = synthetic_market(8, 360, seed=0, alpha_ic=0.1).bars
    assert final.fold is None and final.features == ("ret_1", "cs_z_ret_1", "rsi_14")
    assert final.data_fingerprint == fingerprint(bars) == Run.open(out).manifest[
        "data_fingerprints"]["bars"]  # fmt: skip
    assert final.window.val_end == bars.index.get_level_values(0).unique()[-2]
    latest = score(out / "model", bars)
    assert len(latest) == 8 and np.isfinite(latest).all()
    assert sorted(p.name for p in (out / "folds").iterdir()) == ["0", "1"]
    pred = Run.open(out).read_table("predictions")
    fold1 = pred[pred["fold"] == 1].set_index(["timestamp", "symbol"])
    got = score(out / "folds" / "1", bars, at=fold1.index.get_level_values(0).unique())
    np.testing.assert_array_equal(got.to_numpy(), fold1["score"].to_numpy())


def test_train_without_keep_models_writes_only_the_final_model(tmp_path):
    config = tmp_path / "exp.toml"
    config.write_text(CONFIG)
    out = tmp_path / "run"
    assert main(["train", "--config", str(config), "--synthetic", "--out", str(out)]) == 0
    assert (out / "model" / "artifact.json").is_file() and not (out / "folds").exists()


def test_score_command_prints_and_writes_the_models_scores(tmp_path, capsys):
    config = tmp_path / "exp.toml"
    config.write_text(CONFIG)
    out = tmp_path / "run"
    assert main(["train", "--config", str(config), "--synthetic", "--out", str(out)]) == 0
    capsys.readouterr()
    spec = "synthetic:n_symbols=8,n_bars=360,alpha_ic=0.1,seed=0"
    assert main(["score", "--model", str(out / "model"), "--bars", spec]) == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(printed.columns) == ["timestamp", "symbol", "score"] and len(printed) == 8
    bars = synthetic_market(8, 360, seed=0, alpha_ic=0.1).bars
    np.testing.assert_allclose(printed["score"], score(out / "model", bars).to_numpy())
    day = str(bars.index.get_level_values(0).unique()[-5].date())
    dest = tmp_path / "scores.parquet"
    assert main(["score", "--model", str(out / "model"), "--bars", spec, "--at", day,
                 "--out", str(dest)]) == 0  # fmt: skip
    assert len(pd.read_parquet(dest)) == 8
    assert main(["score", "--model", str(tmp_path / "none"), "--bars", spec]) == 2
    assert "no model artifact here" in capsys.readouterr().err
