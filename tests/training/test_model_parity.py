"""score() with a fold's artifact reproduces walk_forward's out-of-sample predictions."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import synthetic_market
from alphafactory.features import build_features
from alphafactory.labels import direction, forward_returns
from alphafactory.models import MODEL_NAMES, load, score
from alphafactory.models.classifiers import CLASSIFIER_KINDS
from alphafactory.training import WalkForward, walk_forward

FEATURES = ["ret_1", "ret_5", "cs_z_ret_1", "rsi_14", "obv", "cc_vol_20"]
SPLIT = WalkForward(train=150, val=40, test=60)
LOOKBACK = 8
_CACHE: dict[str, object] = {}


@pytest.fixture(scope="module")
def market():
    m = synthetic_market(n_symbols=12, n_bars=420, seed=1, alpha_ic=0.1)
    features = build_features(m.bars, FEATURES)
    labels = forward_returns(m.bars, 1, demean=True)
    return m.bars, features, labels


def _result(kind: str, market):
    if kind not in _CACHE:
        bars, features, labels = market
        if kind in CLASSIFIER_KINDS:  # classifiers learn the class of the same return
            labels = direction(bars, 1, entry="next_open", kind="log", demean=True)
        _CACHE[kind] = walk_forward(
            features, labels, model=kind, splitter=SPLIT, lookback=LOOKBACK,
            config={"preset": "ci"}, keep_models="all", seed=3,
        )  # fmt: skip
    return _CACHE[kind]


def test_parity_covers_every_registered_model():
    assert set(MODEL_NAMES) == {
        "ridge", "mlp", "lstm", "tcn", "transformer", "cs_transformer", "lightgbm", "xgboost",
        "random_forest", "catboost",
        "logistic", "lightgbm_classifier", "xgboost_classifier", "catboost_classifier",
    }  # fmt: skip


@pytest.mark.parametrize("kind", MODEL_NAMES)
def test_score_of_fold_artifact_equals_walk_forward_predictions_exactly(kind, market, tmp_path):
    bars = market[0]
    result = _result(kind, market)
    assert sorted(result.models) == list(result.folds.index)
    for fold, artifact in result.models.items():
        pred = result.predictions[result.predictions["fold"] == fold]
        at = pred.index.get_level_values("timestamp").unique()
        stored = load(artifact.save(tmp_path / f"fold{fold}"))
        for model in (artifact, stored):
            got = score(model, bars, at=at)
            assert got.index.equals(pred.index)  # every symbol of the slice has a label here
            np.testing.assert_array_equal(got.to_numpy(), pred["score"].to_numpy())


@pytest.mark.parametrize("kind", MODEL_NAMES)
def test_score_from_warmup_tail_matches_full_history(kind, market):
    bars = market[0]
    artifact = _result(kind, market).models[2]
    stamps = bars.index.get_level_values("timestamp").unique()
    assert artifact.warmup_bars == LOOKBACK + 280 + 14  # rsi_14: TA-Lib warm-up + convergence
    for end in (stamps[-1], stamps[-40]):
        upto = bars[bars.index.get_level_values("timestamp") <= end]
        full = score(artifact, upto, at=[end])
        ts = upto.index.get_level_values("timestamp")
        tail = upto[ts >= ts.unique()[-artifact.warmup_bars]]
        got = score(artifact, tail)  # at="last"
        assert got.index.equals(full.index) and len(got) == 12
        scale = float(np.abs(full).max())
        np.testing.assert_allclose(got.to_numpy(), full.to_numpy(), rtol=0, atol=1e-6 * scale)
        # "last" reads only the warm-up tail of a longer history, with the same result
        pd.testing.assert_series_equal(score(artifact, upto), got)


def test_keep_models_last_keeps_only_the_last_fold(market):
    _, features, labels = market
    result = walk_forward(features, labels, model="ridge", splitter=SPLIT, lookback=LOOKBACK,
                          keep_models="last", data_fingerprint="sha256:abc")  # fmt: skip
    assert list(result.models) == [len(result.folds) - 1]
    artifact = result.models[len(result.folds) - 1]
    row = result.folds.iloc[-1]
    assert artifact.window.train_end == row["train_end"] and artifact.fold == 2
    assert artifact.data_fingerprint == "sha256:abc" and artifact.seed == 2
    assert artifact.metrics["test_ic"] == pytest.approx(row["test_ic"])
    label = artifact.label
    assert (label.horizon, label.entry, label.kind) == (1, "close", "simple")
    assert walk_forward(features, labels, model="ridge", splitter=SPLIT).models == {}
    with pytest.raises(ValueError, match="keep_models"):
        walk_forward(features, labels, model="ridge", splitter=SPLIT, keep_models="best")


def test_kept_models_travel_between_processes(market):
    """A fold's fitted model pickles (what a worker process sends back) and scores the same."""
    bars = market[0]
    result = _result("lstm", market)
    artifact = result.models[2]
    moved = pickle.loads(pickle.dumps(artifact))
    pred = result.predictions[result.predictions["fold"] == 2]
    got = score(moved, bars, at=pred.index.get_level_values("timestamp").unique())
    np.testing.assert_array_equal(got.to_numpy(), pred["score"].to_numpy())
    assert moved.estimator.trainer_.history == artifact.estimator.history_
