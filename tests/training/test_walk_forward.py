from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.features import Standardizer
from alphafactory.models import RidgeAlpha, get_model
from alphafactory.training import WalkForward, walk_forward

SPLIT = WalkForward(train=150, val=40, test=60)


def test_walk_forward_predictions_are_test_blocks_only(small_market):
    _, features, labels = small_market
    result = walk_forward(features, labels, model="ridge", splitter=SPLIT, lookback=6)
    pred = result.predictions
    assert list(pred.index.names) == ["timestamp", "symbol"]
    assert {"score", "label", "fold"} <= set(pred.columns)
    assert pred.index.is_monotonic_increasing and not pred.index.duplicated().any()
    table = result.folds
    assert len(table) == 3 and result.splitter.purge == 1
    for fold, row in table.iterrows():
        times = pred[pred["fold"] == fold].index.get_level_values("timestamp")
        assert times.min() == row["test_start"] and times.max() == row["test_end"]
        assert times.min() > row["val_end"] > row["train_end"]
    assert {"train_ic", "val_ic", "test_ic", "best_epoch", "history"} <= set(table.columns)
    # The planted alpha is linear in past returns: ridge finds it out of sample.
    assert table["test_ic"].mean() > 0.03


def test_walk_forward_purge_shorter_than_horizon_raises(small_market):
    market, features, _ = small_market
    from alphafactory.labels import forward_returns

    labels5 = forward_returns(market.bars, 5, demean=True)
    short = WalkForward(train=150, val=40, test=60, purge=2)
    with pytest.raises(ValueError, match="shorter than the label horizon"):
        walk_forward(features, labels5, model="ridge", splitter=short, lookback=6)
    result = walk_forward(features, labels5, model="ridge", splitter=SPLIT, lookback=6)
    assert result.splitter.purge == 5


def test_walk_forward_unknown_horizon_raises(small_market):
    _, features, labels = small_market
    bare = pd.Series(labels.to_numpy(), index=labels.index)
    with pytest.raises(ValueError, match="horizon is unknown"):
        walk_forward(features, bare, model="ridge", splitter=SPLIT)
    result = walk_forward(features, bare, model="ridge", splitter=SPLIT, horizon=1, lookback=6)
    assert len(result.predictions) > 0


class _SpyNormalizer(Standardizer):
    fitted_until: list = []  # noqa: RUF012 (a test spy shared across fold clones)

    def fit(self, frame):
        _SpyNormalizer.fitted_until.append(frame.index.get_level_values("timestamp").max())
        return super().fit(frame)


def test_walk_forward_normalizer_fitted_on_training_rows_only(small_market):
    _, features, labels = small_market
    _SpyNormalizer.fitted_until = []
    result = walk_forward(
        features, labels, model="ridge", splitter=SPLIT, lookback=6, normalizer=_SpyNormalizer()
    )
    assert _SpyNormalizer.fitted_until == list(result.folds["train_end"])


def test_walk_forward_model_config_is_applied_and_validated(small_market):
    _, features, labels = small_market
    with pytest.raises(ValueError, match="valid keys"):
        walk_forward(features, labels, model="lstm", splitter=SPLIT, config={"hiden": 3})
    with pytest.raises(ValueError, match="config applies to a model name"):
        walk_forward(features, labels, model=RidgeAlpha(), splitter=SPLIT, config={"alpha": 1})
    result = walk_forward(
        features, labels, model="mlp", splitter=SPLIT, lookback=6,
        config={"preset": "ci", "train": {"epochs": 2}},
    )  # fmt: skip
    assert all(len(h) <= 2 for h in result.folds["history"])
    assert result.model == "mlp"


def test_walk_forward_estimator_instance_is_not_mutated(small_market):
    _, features, labels = small_market
    est = get_model("ridge")
    walk_forward(features, labels, model=est, splitter=SPLIT, lookback=6)
    assert not hasattr(est, "coef_")


def _run(features, labels, executor):
    return walk_forward(
        features, labels, model="lstm", splitter=SPLIT, lookback=6,
        config={"preset": "ci", "train": {"epochs": 1, "max_batches_per_epoch": 4}},
        executor=executor, seed=7,
    )  # fmt: skip


def test_walk_forward_process_pool_is_bit_identical_to_local(small_market):
    _, features, labels = small_market
    local = _run(features, labels, None)
    pooled = _run(features, labels, 2)
    pd.testing.assert_frame_equal(local.predictions, pooled.predictions, check_exact=True)


def test_walk_forward_dask_cluster_is_bit_identical_to_local(small_market):
    distributed = pytest.importorskip("distributed")
    _, features, labels = small_market
    local = _run(features, labels, None)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = _run(features, labels, client)
    pd.testing.assert_frame_equal(local.predictions, remote.predictions, check_exact=True)
    assert np.isfinite(remote.folds["test_ic"]).all()


def test_walk_forward_bad_executor_raises(small_market):
    _, features, labels = small_market
    with pytest.raises(ValueError, match="executor"):
        walk_forward(features, labels, model="ridge", splitter=SPLIT, executor="threads")


def test_on_fold_sees_each_fold_in_order_and_can_stop_the_walk(small_market):
    _, features, labels = small_market
    seen: list[tuple[int, pd.DataFrame]] = []

    def record(k: int, predictions: pd.DataFrame) -> None:
        seen.append((k, predictions))

    result = walk_forward(features, labels, model="ridge", splitter=SPLIT, lookback=6,
                          on_fold=record)  # fmt: skip
    assert [k for k, _ in seen] == list(range(len(result.folds)))
    for k, predictions in seen:  # exactly that fold's rows of the result
        expected = result.predictions[result.predictions["fold"] == k][["score", "label"]]
        pd.testing.assert_frame_equal(predictions, expected)

    class Stop(Exception):
        pass

    calls: list[int] = []

    def stop_after_first(k: int, predictions: pd.DataFrame) -> None:
        calls.append(k)
        raise Stop

    with pytest.raises(Stop):
        walk_forward(features, labels, model="ridge", splitter=SPLIT, lookback=6,
                     on_fold=stop_after_first)  # fmt: skip
    assert calls == [0]  # no later fold was reported (nor, in this process, fitted)
