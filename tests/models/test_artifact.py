"""Model artifacts: directory round trip, format version, clear errors, atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from alphafactory.data import synthetic_market
from alphafactory.errors import ModelError
from alphafactory.features import RollingZScore, build_features, list_features
from alphafactory.labels import forward_returns
from alphafactory.models import (
    FORMAT_VERSION,
    MeanEnsemble,
    RankAverageEnsemble,
    RidgeAlpha,
    StackingEnsemble,
    get_model,
    load,
    score,
)
from alphafactory.models import serialize as serialize_module
from alphafactory.models.artifact import warmup_bars
from alphafactory.training import WalkForward, walk_forward

FEATURES = ["ret_1", "ret_5", "cs_z_ret_1", "rel_volume_20"]
SPLIT = WalkForward(train=120, val=30, test=40)


@pytest.fixture(scope="module")
def data():
    m = synthetic_market(n_symbols=8, n_bars=260, seed=2, alpha_ic=0.1)
    return m.bars, build_features(m.bars, FEATURES), forward_returns(m.bars, 1, demean=True)


@pytest.fixture(scope="module")
def ridge_artifact(data):
    _, features, labels = data
    result = walk_forward(features, labels, model="ridge", splitter=SPLIT, lookback=5,
                          keep_models="last")  # fmt: skip
    return result, next(iter(result.models.values()))


def _fold_scores(result, artifact, bars):
    pred = result.predictions[result.predictions["fold"] == artifact.fold]
    got = score(artifact, bars, at=pred.index.get_level_values("timestamp").unique())
    return got.reindex(pred.index), pred["score"]


def test_artifact_directory_holds_json_and_native_weights(ridge_artifact, tmp_path):
    _, artifact = ridge_artifact
    path = artifact.save(tmp_path / "model")
    assert sorted(p.name for p in path.iterdir()) == ["artifact.json", "estimator"]
    assert sorted(p.name for p in (path / "estimator").iterdir()) == [
        "estimator.json", "weights.npz"
    ]
    doc = json.loads((path / "artifact.json").read_text())
    assert doc["format_version"] == FORMAT_VERSION and doc["features"]["names"] == FEATURES
    assert doc["features"]["params"]["ret_5"] == {"n": 5}
    assert doc["features"]["dtype"] == "float32"
    assert doc["normalizer"]["kind"] == "standardizer" and len(doc["normalizer"]["mean"]) == 4
    assert doc["warmup_bars"] == 5 + 19 and doc["versions"]["numpy"] == np.__version__
    assert set(doc["window"]) == {"train_start", "train_end", "val_start", "val_end"}
    assert not list(tmp_path.glob(".*"))  # no temporary directory left behind
    again = load(path)
    assert again.window == artifact.window and again.features == artifact.features
    np.testing.assert_array_equal(again.estimator.coef_, artifact.estimator.coef_)


def test_load_rejects_newer_format_missing_and_corrupt_files(ridge_artifact, tmp_path):
    _, artifact = ridge_artifact
    path = artifact.save(tmp_path / "model")
    doc_path = path / "artifact.json"
    doc = json.loads(doc_path.read_text())
    doc_path.write_text(json.dumps({**doc, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(ModelError, match=rf"{path}.*format_version {FORMAT_VERSION + 1} is newer"):
        load(path)
    doc_path.write_text("{not json")
    with pytest.raises(ModelError, match=r"artifact\.json: not readable JSON"):
        load(path)
    doc_path.write_text(json.dumps({k: v for k, v in doc.items() if k != "lookback"}))
    with pytest.raises(ModelError, match="corrupt artifact document"):
        load(path)
    doc_path.write_text(json.dumps(doc))
    (path / "estimator" / "weights.npz").unlink()
    with pytest.raises(ModelError, match=r"weights.npz: missing file"):
        load(path)
    with pytest.raises(ModelError, match="no model artifact here"):
        load(tmp_path / "nowhere")


def test_save_is_atomic_and_refuses_to_overwrite(ridge_artifact, tmp_path, monkeypatch):
    _, artifact = ridge_artifact
    path = artifact.save(tmp_path / "model")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        artifact.save(path)

    def fail(estimator, directory):
        (directory / "partial.bin").write_bytes(b"x")
        raise OSError("disk full")

    monkeypatch.setattr("alphafactory.models.artifact.save_estimator", fail)
    with pytest.raises(OSError, match="disk full"):
        artifact.save(tmp_path / "other")
    with pytest.raises(OSError, match="disk full"):
        artifact.save(path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # nothing half-written
    assert load(path).fold == artifact.fold  # the old artifact is intact
    monkeypatch.undo()
    assert load(artifact.save(path, overwrite=True)).fold == artifact.fold


@pytest.mark.parametrize("ensemble", [MeanEnsemble, RankAverageEnsemble, StackingEnsemble])
def test_ensembles_round_trip_with_members_in_subdirectories(ensemble, data, tmp_path):
    bars, features, labels = data
    members = [RidgeAlpha(alpha=0.1), get_model("mlp", preset="ci", train={"epochs": 2})]
    result = walk_forward(features, labels, model=ensemble(members), splitter=SPLIT,
                          lookback=5, keep_models="last")  # fmt: skip
    artifact = next(iter(result.models.values()))
    stored = load(artifact.save(tmp_path / "ens"))
    assert (tmp_path / "ens" / "estimator" / "members" / "1" / "weights.pt").is_file()
    got, expected = _fold_scores(result, stored, bars)
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def test_rolling_normalizer_round_trips_and_extends_the_warmup(data, tmp_path):
    bars, features, labels = data
    result = walk_forward(features, labels, model="ridge", splitter=SPLIT, lookback=5,
                          normalizer=RollingZScore(window=30), keep_models="last")  # fmt: skip
    artifact = load(next(iter(result.models.values())).save(tmp_path / "m"))
    assert artifact.warmup_bars == 5 + 19 + 29  # rel_volume_20, then the z-score window
    got, expected = _fold_scores(result, artifact, bars)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6, atol=1e-9)


def test_warmup_bars_is_lookback_plus_longest_feature_history():
    table = list_features().set_index("name")
    names = ["ret_1", "ema_ratio_20", "rsi_14"]
    longest = int((table.loc[names, "warmup"] + table.loc[names, "convergence"]).max())
    assert warmup_bars(names, 10) == 10 + longest
    assert warmup_bars(["not_registered"], 10) == 10


def test_score_errors_name_the_problem(ridge_artifact, data):
    bars = data[0]
    _, artifact = ridge_artifact
    with pytest.raises(ModelError, match="do not hold"):
        score(artifact, bars, at=["1999-01-01"])
    with pytest.raises(ValueError, match="at must be"):
        score(artifact, bars, at="first")
    foreign = type(artifact)(**{**{f: getattr(artifact, f) for f in artifact.__slots__},
                                "features": ("r1",)})  # fmt: skip
    with pytest.raises(ModelError, match=r"'r1'.* not a registered feature"):
        score(foreign, bars)


def test_store_unknown_estimator_is_a_clear_error(tmp_path):
    class Custom(RidgeAlpha):
        pass

    est = Custom().fit(np.random.default_rng(0).normal(size=(20, 3, 2)), np.arange(20.0))
    with pytest.raises(ModelError, match="Cannot store a Custom"):
        serialize_module.save_estimator(est, tmp_path)
