"""A direction target walked forward with a classifier: positive out-of-sample IC, class
probabilities in the predictions, the calibrator fitted on each fold's validation block only,
and the classification report of the result."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from alphafactory.data import synthetic_market
from alphafactory.features import build_features
from alphafactory.models import score
from alphafactory.models.classifiers import LogisticAlpha
from alphafactory.training import WalkForward, walk_forward
from alphafactory.training.experiment import LabelSettings
from alphafactory.training.report import classification_table, model_metrics


class _SpyLogistic(LogisticAlpha):
    """Records the timestamp ids each fold fits and calibrates on (class-level, one process)."""

    seen: ClassVar[list[dict[str, set]]] = []

    def fit(self, X, y=None, *, X_val=None, y_val=None):
        type(self).seen.append({"train": set(X.groups), "val": set(X_val.groups)})
        return super().fit(X, y, X_val=X_val, y_val=y_val)


@pytest.fixture(scope="module")
def direction_run():
    bars = synthetic_market(20, 600, alpha_ic=0.1).bars
    features = build_features(bars, ["ret_1", "cs_z_ret_1"])
    settings = LabelSettings(target="direction", dead_zone=0.25, dead_zone_units="volatility")
    labels = settings.build(bars)
    _SpyLogistic.seen = []
    splitter = WalkForward(train=250, val=80, test=100)
    result = walk_forward(features, labels, model=_SpyLogistic(), splitter=splitter, lookback=3,
                          keep_models="last")  # fmt: skip
    return bars, settings, result, features.index.get_level_values("timestamp").unique()


def test_direction_target_walk_forward_has_positive_oos_ic(direction_run):
    _, _, result, _ = direction_run
    pred = result.predictions
    assert set(pred["label"].dropna().unique()) == {-1.0, 0.0, 1.0}
    assert result.folds["test_ic"].mean() > 0.02
    assert model_metrics(result)["ic"] > 0.02
    proba = pred[["p_down", "p_flat", "p_up"]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(pred["score"], pred["p_up"] - pred["p_down"])


def test_calibrator_is_fitted_on_each_folds_validation_block_only(direction_run):
    _, _, result, stamps = direction_run
    seen = _SpyLogistic.seen
    assert len(seen) == len(result.folds)
    pred = result.predictions
    for k, fold in enumerate(seen):
        test = stamps.get_indexer(pred[pred["fold"] == k].index.get_level_values("timestamp"))
        assert fold["val"] and len(test) and (test >= 0).all()
        # train < validation (the calibration rows) < test, in time, without overlap
        assert max(fold["train"]) < min(fold["val"]) and max(fold["val"]) < test.min()
    artifact = result.models[len(seen) - 1]
    n_val = artifact.estimator.calibrator_["n_samples"]
    assert 0 < n_val <= 80 * 20


def test_classification_report_of_the_walk_forward_and_scored_artifact(direction_run):
    bars, settings, result, _ = direction_run
    table = classification_table(result, settings.trade_returns(bars), n_boot=30)
    values = table.set_index("metric")["value"]
    assert 0.33 < values["accuracy"] < 1 and values["log_loss"] < np.log(3) + 0.05
    assert values["n_trades"] > 0 and np.isfinite(values["expectancy"])
    metrics = model_metrics(result)
    assert metrics["accuracy"] == pytest.approx(values["accuracy"])
    artifact = result.models[len(result.folds) - 1]
    last = result.predictions[result.predictions["fold"] == len(result.folds) - 1]
    at = last.index.get_level_values("timestamp").unique()[:3]
    got = score(artifact, bars, at=at)
    expected = last.loc[last.index.get_level_values("timestamp").isin(at), "score"]
    np.testing.assert_allclose(got.reindex(expected.index).to_numpy(), expected.to_numpy(),
                               rtol=1e-5, atol=1e-6)  # fmt: skip


def test_triple_barrier_target_walks_forward_with_a_tree_classifier():
    pytest.importorskip("lightgbm")
    bars = synthetic_market(10, 400, alpha_ic=0.1, seed=1).bars
    features = build_features(bars, ["ret_1", "cs_z_ret_1"])
    settings = LabelSettings(target="triple_barrier", horizon=3, pt=1.0, sl=1.0, vol_window=10)
    labels = settings.build(bars)
    result = walk_forward(
        features, labels, model="lightgbm_classifier", splitter=WalkForward(train=200, val=60,
        test=60), lookback=3, config={"preset": "ci", "n_estimators": 20},
    )  # fmt: skip
    assert result.meta["horizon"] == 3 and result.splitter.purge >= 3
    pred = result.predictions
    assert {"p_down", "p_flat", "p_up"} <= set(pred.columns)
    np.testing.assert_allclose(pred["score"], pred["p_up"] - pred["p_down"])
    table = classification_table(result, settings.trade_returns(bars), n_boot=20)
    assert table.set_index("metric").loc["n_trades", "value"] > 0
