"""Reference statistics: the document, its null calibration, and the artifact's reference.json."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphafactory.data import synthetic_market
from alphafactory.errors import ConfigError, ModelError
from alphafactory.features import build_features
from alphafactory.labels import forward_returns
from alphafactory.models import load
from alphafactory.models.reference import (
    SCHEMA,
    ReferenceConfig,
    attach_reference,
    compute_reference,
    ks_to_sketch,
    outcome_metrics,
    psi,
)
from alphafactory.training import WalkForward, walk_forward

FEATURES = ["ret_1", "ret_5", "cs_z_ret_1", "rel_volume_20"]


@pytest.fixture(scope="module")
def data():
    m = synthetic_market(n_symbols=10, n_bars=300, seed=2, alpha_ic=0.1)
    features = build_features(m.bars, FEATURES).dropna()
    labels = forward_returns(m.bars, 1, demean=True)
    return m, features, labels


def test_compute_reference_document_is_json_with_schema_and_sketches(data):
    m, features, labels = data
    doc = compute_reference(features, m.truth, labels, config=ReferenceConfig(window=40))
    text = json.dumps(doc, allow_nan=False)  # no NaN anywhere
    assert json.loads(text)["schema"] == SCHEMA == 1
    block = doc["features"]
    assert block["names"] == FEATURES
    q = np.array(block["quantiles"])
    assert q.shape == (4, 101) and (np.diff(q, axis=1) >= 0).all()
    np.testing.assert_allclose(q[:, 50], features.median().to_numpy(), rtol=1e-5)
    for props in block["proportions"]:
        assert sum(props) == pytest.approx(1.0, abs=1e-6)
    cal = block["calibration"]
    assert all(a < b for a, b in zip(cal["ks_q95"], cal["ks_q99"], strict=True))
    assert all(v > 0 for v in cal["ks_neff_per_bar"] + cal["psi_neff_per_bar"])
    perf = doc["performance"]
    assert perf["horizon"] == 1 and perf["n"] > 250
    assert perf["ic_mean"] == pytest.approx(0.1, abs=0.01)  # truth has the planted IC
    assert 0.5 < perf["hit_rate_mean"] < 0.6
    assert doc["scores"]["names"] == ["score"]


def test_compute_reference_bootstrap_neff_is_below_iid_for_persistent_feature():
    # A feature that is a slow random walk per symbol: contiguous windows see a small part of
    # its range, so the calibrated effective sample per bar is far below the symbol count.
    rng = np.random.default_rng(0)
    stamps = pd.date_range("2020-01-01", periods=400, tz="UTC", name="timestamp")
    idx = pd.MultiIndex.from_product([stamps, [f"S{i}" for i in range(20)]],
                                     names=["timestamp", "symbol"])  # fmt: skip
    walk = np.cumsum(rng.normal(size=(400, 20)), axis=0).ravel()
    noise = rng.normal(size=400 * 20)
    frame = pd.DataFrame({"walk": walk, "noise": noise}, index=idx)
    cal = compute_reference(frame, config=ReferenceConfig(window=40))["features"]["calibration"]
    walk_neff, noise_neff = cal["ks_neff_per_bar"]
    assert walk_neff < 2.0 < 10.0 < noise_neff  # iid noise: about 20 per bar


def test_compute_reference_stays_compact_for_many_features():
    rng = np.random.default_rng(1)
    stamps = pd.date_range("2020-01-01", periods=200, tz="UTC", name="timestamp")
    idx = pd.MultiIndex.from_product([stamps, range(20)], names=["timestamp", "symbol"])
    frame = pd.DataFrame(rng.normal(size=(len(idx), 252)), index=idx).add_prefix("f")
    doc = compute_reference(frame, config=ReferenceConfig(window=30, n_boot=20))
    assert len(json.dumps(doc)) < 1_000_000


def test_ks_to_sketch_matches_scipy_against_exact_quantiles():
    from scipy import stats

    rng = np.random.default_rng(3)
    x = rng.normal(0.3, 1.0, size=(500, 1))
    q = stats.norm.ppf(np.clip(np.arange(101) / 100, 1e-9, 1 - 1e-9))[None, :]
    got = ks_to_sketch(x, q)[0]
    exact = stats.kstest(x[:, 0], "norm").statistic
    assert got == pytest.approx(exact, abs=0.01)  # the sketch's linear interpolation


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=12))
def test_psi_is_nonnegative_and_zero_for_identical(weights):
    w = np.asarray(weights) + 1e-3
    p = w / w.sum()
    assert psi(p, p) == pytest.approx(0.0, abs=1e-12)
    q = np.roll(p, 1)
    assert psi(p, q) >= 0.0


def test_outcome_metrics_hit_rate_is_one_for_perfect_scores(data):
    _, _, labels = data
    metrics = outcome_metrics(labels.dropna(), labels.dropna())
    assert (metrics["hit_rate"] == 1.0).all() and np.allclose(metrics["ic"], 1.0)


@pytest.mark.parametrize(
    ("field", "value"), [("window", 1), ("n_bins", 1), ("n_boot", 5), ("block", 0)]
)
def test_reference_config_rejects_out_of_range(field, value):
    with pytest.raises(ConfigError, match=f"ReferenceConfig.{field}.*{value}"):
        ReferenceConfig(**{field: value})


def test_artifact_saves_and_loads_reference_and_loads_without_it(data, tmp_path):
    m, _, labels = data
    features = build_features(m.bars, FEATURES)
    result = walk_forward(features, labels, model="ridge", lookback=5, keep_models="last",
                          splitter=WalkForward(train=120, val=30, test=40))  # fmt: skip
    artifact = next(iter(result.models.values()))
    plain = load(artifact.save(tmp_path / "plain"))
    assert plain.reference is None and not (tmp_path / "plain" / "reference.json").exists()
    oos = result.predictions["score"]
    with_ref = attach_reference(artifact, features.dropna(), oos, labels,
                                config=ReferenceConfig(window=20, n_boot=30))  # fmt: skip
    path = with_ref.save(tmp_path / "model")
    assert (path / "reference.json").is_file()
    loaded = load(path)
    assert loaded.reference == json.loads((path / "reference.json").read_text())
    assert loaded.reference["features"]["names"] == FEATURES
    assert loaded.reference["performance"]["n"] > 0
    (path / "reference.json").write_text("{not json")
    with pytest.raises(ModelError, match=r"reference\.json"):
        load(path)


def test_attach_reference_missing_feature_names_it(data):
    m, features, labels = data
    split = WalkForward(train=120, val=30, test=40)
    result = walk_forward(build_features(m.bars, FEATURES), labels, model="ridge", lookback=5,
                          keep_models="last", splitter=split)  # fmt: skip
    artifact = next(iter(result.models.values()))
    with pytest.raises(ModelError, match="rel_volume_20"):
        attach_reference(artifact, features.drop(columns="rel_volume_20"))
