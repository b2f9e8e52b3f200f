"""The estimator behind every torch model: build the module from its config, train, predict."""

from __future__ import annotations

import copy
from typing import Any, Protocol

import numpy as np
import torch

from alphafactory.features.windows import Windows, as_windows
from alphafactory.models.base import AlphaEstimator
from alphafactory.models.seeding import seed_everything
from alphafactory.models.train_config import TrainConfig
from alphafactory.models.trainer import Trainer


class ModuleConfig(Protocol):
    """A frozen architecture config that builds its module for a data shape."""

    def build(self, n_features: int, lookback: int) -> torch.nn.Module: ...


class NeuralAlpha(AlphaEstimator):
    """A torch model trained by the shared :class:`~alphafactory.models.Trainer`.

    Parameters
    ----------
    config : ModuleConfig
        Architecture, e.g. ``LSTMConfig(hidden_size=32)``; ``config.build(F, lookback)`` makes
        the module at fit time, when the data's shape is known.
    train : TrainConfig
        Optimisation settings.
    seed : int
        Seeds Python, numpy and torch at the start of ``fit`` (initial weights, dropout,
        shuffling): two fits with one seed give bit-identical weights on CPU.

    Attributes
    ----------
    module_ : nn.Module
        The trained network (best validation epoch restored).
    history_ : list of dict
        Per-epoch ``train_loss``, ``val_loss``, ``val_ic``, ``lr``.
    best_epoch_ : int or None
    label_scale_ : float
        Standard deviation of the training labels; labels are divided by it for MSE/Huber.
    val_scores_ : ndarray or None
        ``predict(X_val)`` as computed during the best epoch's validation pass (the restored
        weights' scores; None without validation data), so a caller need not predict the
        validation set a second time. Not kept when the estimator is pickled.
    n_features_in_, lookback_ : int
    """

    def __init__(self, config: ModuleConfig, train: TrainConfig | None = None, seed: int = 0):
        self.config = config
        self.train = train
        self.seed = seed

    def fit(
        self,
        X: Windows | np.ndarray,
        y: np.ndarray | None = None,
        *,
        X_val: Windows | np.ndarray | None = None,
        y_val: np.ndarray | None = None,
    ) -> NeuralAlpha:
        """Train on windows ``X`` ``[n, lookback, F]`` and labels ``y`` ``[n]``; return self.

        ``X_val``/``y_val`` drive early stopping and best-weights restore.
        """
        train = as_windows(X, y)
        val = None if X_val is None else as_windows(X_val, y_val)
        if train.labels is None:
            raise ValueError("fit needs labels: pass y, or Windows that carry labels.")
        finite = np.isfinite(train.labels)
        scale = float(np.std(train.labels[finite])) if finite.any() else 1.0
        scale = scale if scale > 0 else 1.0
        seed_everything(self.seed)
        module = self.config.build(train.n_features, train.lookback)
        trainer = Trainer(self.train or TrainConfig(), seed=self.seed)
        trainer.fit(module, _scaled(train, scale), None if val is None else _scaled(val, scale))
        self.module_ = module
        self.trainer_ = trainer
        self.history_ = trainer.history
        self.best_epoch_ = trainer.best_epoch
        self.val_scores_ = trainer.val_predictions
        self.label_scale_ = scale
        self.n_features_in_ = train.n_features
        self.lookback_ = train.lookback
        return self

    def predict(self, X: Windows | np.ndarray) -> np.ndarray:
        """Return float64 scores ``[n]`` for windows ``X`` ``[n, lookback, F]``."""
        self._check_fitted()
        windows = as_windows(X)
        if windows.n_features != self.n_features_in_:
            raise ValueError(
                f"The model was fitted on {self.n_features_in_} features; X has "
                f"{windows.n_features}."
            )
        return self.trainer_.predict(self.module_, windows)

    def __getstate__(self) -> dict[str, Any]:
        # Fitted modules travel to and from worker processes on CPU; the trainer travels without
        # its optimisation state (optimizer, schedule closure, RNG), which predict does not use.
        state = dict(vars(self))
        if "val_scores_" in state:
            state["val_scores_"] = None  # a by-product of fit, as large as the val set
        if "module_" in state:
            state["module_"] = copy.deepcopy(state["module_"]).cpu()
        if "trainer_" in state:
            trainer = Trainer(self.trainer_.config, seed=self.trainer_.seed)
            trainer.history, trainer.best_epoch = self.trainer_.history, self.trainer_.best_epoch
            state["trainer_"] = trainer
        return state


def _scaled(windows: Windows, scale: float) -> Windows:
    out = copy.copy(windows)
    assert windows.labels is not None
    out.labels = windows.labels / scale
    return out
