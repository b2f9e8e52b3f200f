"""fit_final: one refit on every labelled bar, validation from the end, purge respected."""

from __future__ import annotations

import numpy as np
import pytest

from alphafactory.data import synthetic_market
from alphafactory.features import Standardizer, build_features
from alphafactory.labels import forward_returns
from alphafactory.models import load, score
from alphafactory.training import WalkForward, fit_final
from alphafactory.training.final import final_blocks

FEATURES = ["ret_1", "ret_5", "cs_z_ret_1", "rsi_14"]


@pytest.fixture(scope="module")
def data():
    m = synthetic_market(n_symbols=8, n_bars=300, seed=4, alpha_ic=0.1)
    return m.bars, build_features(m.bars, FEATURES)


def test_final_refit_uses_all_labelled_bars_with_purged_validation_at_the_end(data, tmp_path):
    bars, features = data
    labels = forward_returns(bars, 5, demean=True)
    split = WalkForward(train=100, val=30, test=50)
    artifact = fit_final(features, labels, model="lstm", splitter=split, lookback=6,
                         config={"preset": "ci"}, seed=9, data_fingerprint="sha256:x")  # fmt: skip
    stamps = bars.index.get_level_values("timestamp").unique()
    labelled = labels.dropna().index.get_level_values("timestamp").unique()
    w = artifact.window
    assert w.val_end == labelled.max() == stamps[-6]  # a 5-bar label needs 5 later bars
    assert stamps.get_loc(w.val_start) == stamps.get_loc(w.val_end) - 29
    assert stamps.get_loc(w.val_start) - stamps.get_loc(w.train_end) == 5 + 1  # purge of 5
    assert w.train_start == stamps[0] and artifact.fold is None and artifact.seed == 9
    assert set(artifact.metrics) == {"train_ic", "val_ic", "best_epoch"}
    train_rows = features[features.index.get_level_values("timestamp") <= w.train_end]
    np.testing.assert_array_equal(artifact.normalizer.mean_, Standardizer().fit(train_rows).mean_)
    # the served model scores the very last bar, which has no label yet
    stored = load(artifact.save(tmp_path / "model"))
    latest = score(stored, bars)
    assert latest.index.get_level_values("timestamp").unique().tolist() == [stamps[-1]]
    assert len(latest) == 8 and np.isfinite(latest).all()
    np.testing.assert_array_equal(latest.to_numpy(), score(artifact, bars).to_numpy())


def test_final_blocks_without_validation_train_up_to_the_last_label():
    train, val = final_blocks(np.arange(3, 90), 100, WalkForward(train=10, val=0, test=5, purge=2))
    assert len(val) == 0 and train[0] == 0 and train[-1] == 89
    train, val = final_blocks(np.arange(3, 90), 100, WalkForward(train=10, val=20, test=5, purge=2))
    assert val.tolist() == list(range(70, 90)) and train[-1] == 67
    with pytest.raises(ValueError, match="no training slice"):
        final_blocks(np.arange(0, 10), 12, WalkForward(train=5, val=9, test=2, purge=2))


def test_fit_final_without_horizon_raises(data):
    bars, features = data
    labels = forward_returns(bars, 1)
    labels.attrs = {}
    with pytest.raises(ValueError, match="horizon is unknown"):
        fit_final(features, labels, model="ridge", splitter=WalkForward(train=50, val=10, test=10))
