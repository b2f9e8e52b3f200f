"""A fold's validation scores come from the best epoch's validation pass, not a second one."""

from __future__ import annotations

import pickle

import numpy as np

from alphafactory.features import Standardizer
from alphafactory.models import get_model
from alphafactory.models.trainer import Trainer
from alphafactory.training.fold_data import prepare_panel
from alphafactory.training.walk_forward import fit_block

CI_LSTM = {"preset": "ci", "train": {"epochs": 3, "max_batches_per_epoch": 4, "progress": False}}


def test_fit_block_val_scores_equal_a_fresh_prediction_bit_for_bit(small_market):
    _, features, labels = small_market
    panel = prepare_panel(features, labels, 6)
    train, val, test = np.arange(0, 200), np.arange(201, 260), np.arange(261, 320)
    estimator = get_model("lstm", **CI_LSTM)
    out = fit_block(panel, estimator, Standardizer(), train, val, test)
    assert out["estimator"].val_scores_ is not None
    from alphafactory.training.fold_data import block_windows, fold_cube

    cube = fold_cube(panel, Standardizer(), train, test[-1] + 1)
    windows, _ = block_windows(panel, cube, val)
    fresh = out["estimator"].predict(windows)
    np.testing.assert_array_equal(out["estimator"].val_scores_, fresh)
    assert out["n_samples"]["val"] == len(fresh)


def test_neural_val_scores_absent_without_validation_and_dropped_when_pickled(linear_windows):
    X, y = linear_windows
    model = get_model("lstm", **CI_LSTM)
    assert model.fit(X[:800], y[:800]).val_scores_ is None
    model.fit(X[:800], y[:800], X_val=X[800:], y_val=y[800:])
    np.testing.assert_array_equal(model.val_scores_, model.predict(X[800:]))
    assert pickle.loads(pickle.dumps(model)).val_scores_ is None


def test_trainer_resumed_from_checkpoint_keeps_no_val_predictions(tmp_path, linear_windows):
    from alphafactory.features.windows import ArrayWindows
    from alphafactory.models.lstm import LSTMAlpha
    from alphafactory.models.seeding import seed_everything
    from alphafactory.models.train_config import TrainConfig

    X, y = linear_windows
    train, val = ArrayWindows(X[:800], y[:800]), ArrayWindows(X[800:], y[800:])
    cfg = TrainConfig(epochs=2, batch_size=128, progress=False)
    seed_everything(0)
    module = LSTMAlpha(3, hidden_size=4)
    trainer = Trainer(cfg)
    trainer.fit(module, train, val, until_epoch=1)
    trainer.save_checkpoint(tmp_path / "c.pt", module)
    resumed = Trainer(cfg)
    resumed.load_checkpoint(tmp_path / "c.pt", module, train)
    resumed.fit(module, train, val)
    if resumed.best_epoch == 1:  # the best weights came from before the checkpoint
        assert resumed.val_predictions is None
    else:
        np.testing.assert_array_equal(resumed.val_predictions, resumed.predict(module, val))
