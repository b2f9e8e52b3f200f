"""Selection fitted per fold sees the training rows only, and helps on a planted market."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alphafactory.data import synthetic_market
from alphafactory.features import build_features, list_features
from alphafactory.labels import forward_returns
from alphafactory.models import load, score
from alphafactory.models.feature_steps import FeaturePipeline, FoldStep
from alphafactory.models.selection import (
    DEFAULT_SELECTION,
    CorrelationCluster,
    ICScreen,
    build_steps,
)
from alphafactory.training import WalkForward, fit_final, walk_forward

SPLIT = WalkForward(train=150, val=30, test=50)
WARMUP = 252  # the longest warm-up of the registered features (mom_12_1)


@pytest.fixture(scope="module")
def planted():
    """20 symbols x 600 bars (planted IC 0.1), every registered feature after the warm-up."""
    market = synthetic_market(20, 600, seed=2, alpha_ic=0.1)
    names = list(list_features("default")["name"])
    features = build_features(market.bars, names)
    stamps = features.index.get_level_values("timestamp")
    features = features[stamps >= stamps.unique()[WARMUP]]
    labels = forward_returns(market.bars, 1, demean=True)
    return market.bars, features, labels


class Spy(FoldStep):
    """Records the timestamps and labels it is fitted on; transforms nothing."""

    def __init__(self, log: list) -> None:
        self.log = log

    def fit(self, frame: pd.DataFrame, labels: pd.Series | None = None) -> Spy:
        self._start_fit(frame, labels)
        self.log.append((frame.index.get_level_values("timestamp").unique(), labels))
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        self._check_fitted(frame)
        return frame


def _blocks(features: pd.DataFrame):
    stamps = pd.DatetimeIndex(features.index.get_level_values("timestamp").unique()).sort_values()
    return stamps, list(SPLIT.with_horizon(1).timestamp_blocks(len(stamps)))


def test_selection_is_fitted_on_the_training_timestamps_and_their_labels_only(planted):
    _, features, labels = planted
    features = features.iloc[:, ::6]  # the rows matter here, not the width
    log: list = []
    result = walk_forward(features, labels, model="ridge", splitter=SPLIT, lookback=1,
                          selection=[Spy(log)])  # fmt: skip
    stamps, blocks = _blocks(features)
    assert len(log) == len(blocks) == len(result.folds) >= 3
    for (seen, seen_labels), (train, _, _) in zip(log, blocks, strict=True):
        assert seen.equals(stamps[train])
        expected = labels.reindex(seen_labels.index).astype(np.float32).astype(np.float64)
        np.testing.assert_array_equal(seen_labels.to_numpy(), expected.to_numpy())
        assert seen_labels.notna().mean() > 0.9


def test_poisoned_validation_and_test_labels_leave_every_fold_selection_identical(planted):
    _, features, labels = planted
    features = features.iloc[:, ::10]  # 26 features: the property, not the scale
    selection = [ICScreen(k=12), CorrelationCluster(threshold=0.7)]

    def run(labels: pd.Series):
        return walk_forward(features, labels, model="ridge", splitter=SPLIT, lookback=1,
                            selection=selection, keep_models="all")  # fmt: skip

    clean = run(labels)
    stamps, blocks = _blocks(features)
    when = labels.index.get_level_values("timestamp")
    rng = np.random.default_rng(0)
    for k, (train, _, _) in enumerate(blocks):
        poisoned = labels.copy()
        later = when > stamps[train[-1]]  # the fold's validation, test and beyond
        poisoned[later] = rng.normal(scale=1e6, size=int(later.sum()))
        dirty = run(poisoned)
        assert dirty.meta["inputs"][k] == clean.meta["inputs"][k]
        steps = clean.models[k].normalizer.steps_[1:]
        for step, dirty_step in zip(steps, dirty.models[k].normalizer.steps_[1:], strict=True):
            np.testing.assert_array_equal(step.ic_, dirty_step.ic_)
            np.testing.assert_array_equal(step.support_, dirty_step.support_)
        fold = clean.predictions["fold"] == k
        np.testing.assert_array_equal(
            clean.predictions.loc[fold, "score"], dirty.predictions.loc[fold, "score"]
        )


@pytest.fixture(scope="module")
def default_run(planted):
    _, features, labels = planted
    return walk_forward(features, labels, model="ridge", splitter=SPLIT, lookback=2,
                        selection=build_steps(DEFAULT_SELECTION), keep_models="last")  # fmt: skip


def test_default_selection_on_all_features_keeps_few_and_finds_the_signal(planted, default_run):
    features = planted[1]
    result = default_run
    assert features.shape[1] >= 252
    assert (result.folds["n_inputs"] <= 25).all() and (result.folds["n_inputs"] >= 2).all()
    for k, names in result.meta["inputs"].items():
        assert len(names) == result.folds.loc[k, "n_inputs"]
        factors = {part.removeprefix("tanh(").removesuffix(")")  # interactions: a*tanh(b)
                   for name in names for part in name.split("*")}  # fmt: skip
        assert factors <= set(features.columns)
    assert result.folds["test_ic"].mean() > 0.03


def test_stored_selection_scores_exactly_as_the_fold_predicted(planted, default_run, tmp_path):
    bars = planted[0]
    ((fold, artifact),) = default_run.models.items()
    pred = default_run.predictions[default_run.predictions["fold"] == fold]
    at = pred.index.get_level_values("timestamp").unique()
    stored = load(artifact.save(tmp_path / "fold"))
    assert isinstance(stored.normalizer, FeaturePipeline)
    assert list(stored.normalizer.feature_names_out_) == default_run.meta["inputs"][fold]
    for model in (artifact, stored):
        got = score(model, bars, at=at)
        assert got.index.equals(pred.index)
        np.testing.assert_array_equal(got.to_numpy(), pred["score"].to_numpy())


def test_final_refit_fits_the_selection_on_its_training_slice(planted):
    bars, features, labels = planted
    selection = [ICScreen(k=10), CorrelationCluster(threshold=0.7)]
    artifact = fit_final(features, labels, model="ridge", splitter=SPLIT, lookback=1,
                         selection=selection, reference=False)  # fmt: skip
    pipeline = artifact.normalizer
    assert isinstance(pipeline, FeaturePipeline) and len(pipeline.steps_) == 3
    assert 1 <= len(pipeline.feature_names_out_) <= 10
    assert not hasattr(selection[0], "ic_")  # the caller's steps stay unfitted
    got = score(artifact, bars)
    assert len(got) == 20 and np.isfinite(got).all()
