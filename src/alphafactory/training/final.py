"""The final refit: one model on every labelled bar up to the end of the data, as an artifact.

Walk-forward folds estimate how a model does out of sample; the model that is served is refitted
once on all the labelled history, with the walk-forward's own rules: the validation slice for
early stopping is the last ``splitter.val`` labelled timestamps, a purge of at least the label
horizon separates it from the training slice (whose labels would otherwise reach into it), and
the normalizer and the selection steps are fitted on the training timestamps only.

The artifact carries reference statistics for monitoring (``reference.json``, see
:mod:`alphafactory.models.reference`): the features of its training window and, when the
walk-forward's out-of-sample predictions are passed (``oos``), their score distribution and
their IC, Rank IC and hit rate. In-sample scores would flatter the model, so without ``oos``
only the features are summarized.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from alphafactory.training.fold_data import Normalizer, prepare_panel
from alphafactory.training.splits import WalkForward
from alphafactory.training.walk_forward import (
    fit_block,
    fold_transform,
    label_horizon,
    resolve_model,
    seeded_clone,
)

if TYPE_CHECKING:
    from alphafactory.models.artifact import ModelArtifact
    from alphafactory.models.reference import ReferenceConfig

__all__ = ["final_blocks", "fit_final", "with_reference"]


def final_blocks(
    labelled: np.ndarray, n_timestamps: int, splitter: WalkForward
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(train, val)`` timestamp positions of the final refit.

    ``labelled`` are the positions holding at least one sample; validation is the last
    ``splitter.val`` timestamps up to the last labelled one, training everything before it less
    the purge (the last labelled timestamp and all before it when ``val`` is 0).
    """
    if splitter.purge is None:
        raise ValueError("final_blocks needs a splitter whose purge is set (with_horizon).")
    if len(labelled) == 0:
        raise ValueError("No labelled sample to fit the final model on.")
    last = int(labelled.max())
    val = np.arange(max(last - splitter.val + 1, 0), last + 1) if splitter.val else labelled[:0]
    train_end = last + 1 - (len(val) + splitter.purge if splitter.val else 0)
    if train_end < 1:
        raise ValueError(
            f"{n_timestamps} timestamps leave no training slice before a validation slice of "
            f"{splitter.val} and a purge of {splitter.purge}."
        )
    return np.arange(0, train_end), val


def fit_final(
    features: pd.DataFrame,
    labels: pd.Series,
    *,
    model: str | Any,
    splitter: WalkForward,
    horizon: int | None = None,
    lookback: int = 20,
    config: Mapping[str, Any] | None = None,
    seed: int = 0,
    normalizer: Normalizer | None = None,
    selection: Any = None,
    data_fingerprint: str | None = None,
    oos: pd.DataFrame | None = None,
    reference: ReferenceConfig | bool = True,
) -> ModelArtifact:
    """Refit ``model`` on all labelled bars and return it as a model artifact.

    Takes :func:`~alphafactory.training.walk_forward`'s arguments: ``splitter`` gives the
    validation length and the purge (the training slice is every labelled timestamp before
    them), the model is fitted with ``seed``, and ``normalizer`` (default ``Standardizer``) and
    the ``selection`` steps are fitted on the training timestamps (see
    :func:`~alphafactory.training.walk_forward.fold_transform`).

    Returns
    -------
    ModelArtifact
        ``fold`` None; ``metrics`` hold ``train_ic`` and ``val_ic`` (the validation slice drove
        early stopping, so its IC is optimistic; the walk-forward's test ICs are the honest
        estimate); ``reference`` the monitoring statistics (see :func:`with_reference`) unless
        ``reference=False``. ``oos`` are the walk-forward's predictions (``score`` and
        ``label`` columns, indexed ``(timestamp, symbol)``); ``reference`` may also be a
        :class:`~alphafactory.models.reference.ReferenceConfig`.
    """
    from alphafactory.models.artifact import TrainingWindow, make_artifact
    from alphafactory.models.seeding import torch_threads

    horizon = label_horizon(labels, horizon)
    splitter = splitter.with_horizon(horizon)
    estimator, name = resolve_model(model, config)
    panel = prepare_panel(features, labels, lookback)
    train, val = final_blocks(np.unique(panel.sample_time), len(panel.timestamps), splitter)
    fitted_normalizer = fold_transform(normalizer, selection)
    with torch_threads(1):
        out = fit_block(panel, seeded_clone(estimator, seed), fitted_normalizer, train, val)
    stamps = panel.timestamps
    window = TrainingWindow(
        train_start=stamps[train[0]], train_end=stamps[train[-1]],
        val_start=stamps[val[0]] if len(val) else None,
        val_end=stamps[val[-1]] if len(val) else None,
    )  # fmt: skip
    metrics = {f"{part}_ic": out["ic"].get(part, np.nan) for part in ("train", "val")}
    metrics["best_epoch"] = out["best_epoch"]
    artifact = make_artifact(
        model=name, estimator=out["estimator"], normalizer=out["normalizer"], features=features,
        lookback=lookback, label_attrs=labels.attrs, window=window,
        data_fingerprint=data_fingerprint, metrics=metrics, fold=None, seed=seed,
    )  # fmt: skip
    if reference is False:
        return artifact
    config = reference if not isinstance(reference, bool) else None
    return with_reference(artifact, features, oos, horizon=int(horizon), config=config)


def with_reference(
    artifact: ModelArtifact,
    features: pd.DataFrame,
    oos: pd.DataFrame | None = None,
    *,
    horizon: int | None = None,
    config: ReferenceConfig | None = None,
) -> ModelArtifact:
    """Return ``artifact`` carrying the reference statistics of its training window.

    Parameters
    ----------
    artifact : ModelArtifact
        A final refit (its ``window`` bounds the reference: training start to validation end).
    features : DataFrame
        Features indexed ``(timestamp, symbol)`` holding at least the training window.
    oos : DataFrame, optional
        Out-of-sample predictions with ``score`` and ``label`` columns (a walk-forward's
        ``predictions``): the score distribution and the IC, Rank IC and hit rate the monitor
        compares live outcomes with.
    horizon : int, optional
        Label horizon in bars (default: the artifact's).
    config : ReferenceConfig, optional
    """
    from alphafactory.models.reference import attach_reference

    window = artifact.window
    end = window.val_end if window.val_end is not None else window.train_end
    stamps = features.index.get_level_values("timestamp")
    keep = np.ones(len(stamps), dtype=bool)
    if window.train_start is not None:
        keep &= stamps >= window.train_start
    if end is not None:
        keep &= stamps <= end
    scores = labels = None
    if oos is not None and len(oos) and {"score", "label"} <= set(oos.columns):
        scores = oos["score"].astype(np.float64)
        labels = oos["label"].astype(np.float64).copy()
        labels.attrs["horizon"] = int(horizon or artifact.label.horizon)
    return attach_reference(artifact, features[keep], scores, labels, config=config)
