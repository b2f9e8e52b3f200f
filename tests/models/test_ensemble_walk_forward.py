"""An in-fold blend walked forward on a small planted market: weights per fold, test unseen."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.data import synthetic_market
from alphafactory.features import build_features
from alphafactory.labels import forward_returns
from alphafactory.models import load, score
from alphafactory.training import WalkForward, walk_forward

FEATURES = ["ret_1", "ret_5", "cs_z_ret_1", "rel_volume_20"]
SPLIT = WalkForward(train=120, val=40, test=40)
BLEND = {
    "preset": "ci",
    "method": "blend",
    "members": ["ridge", "lightgbm"],
    "member_params": {"lightgbm": {"n_estimators": 10}},
}


@pytest.fixture(scope="module")
def market():
    m = synthetic_market(n_symbols=8, n_bars=260, seed=2, alpha_ic=0.1)
    return m.bars, build_features(m.bars, FEATURES), forward_returns(m.bars, 1, demean=True)


def _run(features, labels):
    return walk_forward(features, labels, model="ensemble", config=BLEND, splitter=SPLIT,
                        lookback=5, keep_models="all")  # fmt: skip


def test_in_fold_blend_walks_forward_and_ignores_its_test_labels(market, tmp_path):
    pytest.importorskip("lightgbm")
    bars, features, labels = market
    result = _run(features, labels)
    assert result.model == "ensemble" and len(result.models) >= 2
    assert np.isfinite(result.predictions["score"]).all()
    for artifact in result.models.values():
        w = artifact.estimator.weights_
        assert w.shape == (2,) and np.all(w >= 0) and w.sum() == pytest.approx(1.0)
    # Poison the labels of the last fold's test block: its weights and scores do not move.
    last = max(result.models)
    start = result.folds.loc[last, "test_start"]
    poisoned = labels.copy()
    late = poisoned.index.get_level_values("timestamp") >= start
    poisoned[late] = np.random.default_rng(0).normal(scale=1e3, size=int(late.sum()))
    again = _run(features, poisoned)
    np.testing.assert_array_equal(again.models[last].estimator.weights_,
                                  result.models[last].estimator.weights_)  # fmt: skip
    mine = result.predictions["fold"] == last
    np.testing.assert_array_equal(again.predictions.loc[mine, "score"],
                                  result.predictions.loc[mine, "score"])  # fmt: skip
    # The fold's artifact stores the weights in JSON and scores new bars like the walk-forward.
    stored = load(result.models[last].save(tmp_path / "blend"))
    np.testing.assert_array_equal(stored.estimator.weights_, result.models[last].estimator.weights_)
    pred = result.predictions[mine]
    got = score(stored, bars, at=pred.index.get_level_values("timestamp").unique())
    np.testing.assert_array_equal(got.reindex(pred.index).to_numpy(), pred["score"].to_numpy())
