"""Models by name: ``get_model("lstm", hidden_size=64)``.

An explicit table maps each name to its config class or estimator class; keyword arguments are
that config's fields and an unknown key raises. Presets are named bundles of settings:

- ``"default"``: sized so a walk-forward over 50 symbols x 1500 bars trains in about two
  minutes on 2 CPU cores.
- ``"demo"``: small and quick, for the demo and notebooks (3 sequence models x 3 folds on 20
  symbols x 1000 bars well under a minute on 2 cores).
- ``"ci"``: the smallest settings that still learn a planted alpha, used by the self-tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from alphafactory.models.base import AlphaEstimator
from alphafactory.models.baselines import MLPConfig, RidgeAlpha
from alphafactory.models.catboost_model import CatBoostAlpha
from alphafactory.models.classifiers import CLASSIFIER_KINDS
from alphafactory.models.cross_sectional import CrossSectionalConfig
from alphafactory.models.forest import RandomForestAlpha
from alphafactory.models.gbm import LightGBMAlpha, XGBoostAlpha
from alphafactory.models.lstm import LSTMConfig
from alphafactory.models.neural import NeuralAlpha
from alphafactory.models.tcn import TCNConfig
from alphafactory.models.train_config import TrainConfig
from alphafactory.models.transformer import TransformerConfig

NEURAL_CONFIGS: dict[str, type] = {
    "lstm": LSTMConfig,
    "tcn": TCNConfig,
    "transformer": TransformerConfig,
    "cs_transformer": CrossSectionalConfig,
    "mlp": MLPConfig,
}
ESTIMATORS: dict[str, Callable[..., AlphaEstimator]] = {
    "ridge": RidgeAlpha,
    "lightgbm": LightGBMAlpha,
    "xgboost": XGBoostAlpha,
    "random_forest": RandomForestAlpha,
    "catboost": CatBoostAlpha,
    **CLASSIFIER_KINDS,  # logistic and the lightgbm/xgboost/catboost _classifier modes
}
MODEL_NAMES: tuple[str, ...] = (*NEURAL_CONFIGS, *ESTIMATORS)

_TRAIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "cs_transformer": {"loss": "rank_ic", "monitor": "ic"},
}

# preset -> model -> {"model": architecture/estimator params, "train": TrainConfig params}
PRESETS: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
    "default": {
        # A linear highway over the last bar, started at zero with the network's output layer,
        # and early stopping on the validation IC (issue #14, research/model_zoo.py: a linear
        # read from the default initial weights, ten times a planted alpha's, kept 0.19 of the
        # oracle IC on mix 0.05 seed 0, from zero 0.78).
        "lstm": {
            "model": {"hidden_size": 32, "highway": True, "highway_steps": 1},
            "train": {"epochs": 10, "patience": 3, "monitor": "ic"},
        },
        "tcn": {
            "model": {"channels": 32, "highway": True, "highway_steps": 1},
            "train": {"epochs": 10, "patience": 3, "monitor": "ic"},
        },
        "transformer": {
            "model": {
                "d_model": 32,
                "n_heads": 4,
                "dim_feedforward": 64,
                "highway": True,
                "highway_steps": 1,
            },
            # lr 5e-4, not 1e-3: the attention body fit noise within an epoch at the faster
            # rate (planted mix IC 0.05, seeds 0-4: 1e-3 0.65, 5e-4 0.77, 3e-4 0.80 of the oracle
            # IC); 3e-4 learnt too little of the interaction (IC 0.10: 0.71, 0.72, 0.69).
            "train": {
                "epochs": 8,
                "patience": 3,
                "max_batches_per_epoch": 150,
                "monitor": "ic",
                "lr": 5e-4,
            },
        },
        "cs_transformer": {"model": {}, "train": {"epochs": 8, "patience": 3}},
        "mlp": {"model": {"hidden": (64, 32)}, "train": {"epochs": 10, "patience": 3}},
        # Tuned on planted markets with every feature and DEFAULT_SELECTION (issue #14,
        # research/model_zoo.py): the last bar only and a strong penalty (ridge on the
        # flattened 20-bar window kept 0.33 of the oracle IC, on the last bar 0.9); stumps
        # (depth 3: 0.27 of the oracle IC, depth 1: 0.6-0.75) whose leaves hold 10% of the
        # training rows (20 rows: 0.56 on reversal IC 0.05 seed 0, 6%: 0.90; mix and interaction
        # at IC 0.05, seeds 0, 1, 4: 5% 0.35-0.55, 10% 0.38-0.63), boosted from a ridge fit with
        # ridge's penalty (mix IC 0.05, seeds 0-4: 0.65 -> 0.79; decay 0.71 -> 0.81).
        "ridge": {"model": {"alpha": 1.0, "last_steps": 1}},
        "lightgbm": {
            "model": {
                "max_depth": 1,
                "learning_rate": 0.02,
                "n_estimators": 1000,
                "early_stopping_rounds": 100,
                "subsample": 0.5,
                "last_steps": 1,
                "min_samples_leaf": 0.1,
                "linear_base": 1.0,
            }
        },
        "random_forest": {"model": {"n_estimators": 200}},
        "catboost": {"model": {"n_estimators": 300}},
    },
    "demo": {
        "lstm": {
            "model": {"hidden_size": 16},
            "train": {"epochs": 4, "patience": 2, "max_batches_per_epoch": 30, "lr": 3e-3},
        },
        "tcn": {
            "model": {"channels": 16},
            "train": {"epochs": 4, "patience": 2, "max_batches_per_epoch": 30, "lr": 3e-3},
        },
        "transformer": {
            "model": {
                "d_model": 16,
                "n_heads": 2,
                "dim_feedforward": 32,
                "time_dim": 4,
                "highway": True,
            },
            "train": {"epochs": 4, "patience": 2, "max_batches_per_epoch": 30, "lr": 3e-3},
        },
        "cs_transformer": {
            "model": {},
            "train": {"epochs": 4, "patience": 2, "max_batches_per_epoch": 30, "lr": 3e-3},
        },
        "mlp": {
            "model": {"hidden": (32,)},
            "train": {"epochs": 4, "patience": 2, "max_batches_per_epoch": 30, "lr": 3e-3},
        },
        "lightgbm": {"model": {"n_estimators": 100}},
        "xgboost": {"model": {"n_estimators": 100}},
        "random_forest": {"model": {"n_estimators": 100}},
        "catboost": {"model": {"n_estimators": 150}},
        "lightgbm_classifier": {"model": {"n_estimators": 100}},
        "xgboost_classifier": {"model": {"n_estimators": 100}},
        "catboost_classifier": {"model": {"n_estimators": 150}},
    },
    "ci": {
        "lstm": {
            "model": {"hidden_size": 8, "dropout": 0.0},
            "train": {"epochs": 6, "patience": 3, "max_batches_per_epoch": 25, "lr": 5e-3},
        },
        "tcn": {
            "model": {"channels": 8, "dropout": 0.0},
            "train": {"epochs": 6, "patience": 3, "max_batches_per_epoch": 25, "lr": 5e-3},
        },
        "transformer": {
            "model": {
                "d_model": 8,
                "n_heads": 2,
                "dim_feedforward": 16,
                "time_dim": 4,
                "dropout": 0.0,
                "highway": True,
            },
            "train": {"epochs": 6, "patience": 3, "max_batches_per_epoch": 25, "lr": 1e-2},
        },
        "cs_transformer": {
            "model": {"d_model": 8, "n_heads": 2, "dim_feedforward": 16, "time_dim": 4},
            "train": {"epochs": 4, "patience": 2, "max_batches_per_epoch": 25, "lr": 5e-3},
        },
        "mlp": {
            "model": {"hidden": (16,), "dropout": 0.0},
            "train": {"epochs": 4, "patience": 2, "max_batches_per_epoch": 25, "lr": 5e-3},
        },
        "lightgbm": {"model": {"n_estimators": 50}},
        "xgboost": {"model": {"n_estimators": 50}},
        "random_forest": {"model": {"n_estimators": 30, "min_samples_leaf": 20}},
        "catboost": {"model": {"n_estimators": 50, "max_depth": 4}},
        "lightgbm_classifier": {"model": {"n_estimators": 50}},
        "xgboost_classifier": {"model": {"n_estimators": 50}},
        "catboost_classifier": {"model": {"n_estimators": 50}},
    },
}


def get_model(
    name: str,
    *,
    preset: str = "default",
    train: TrainConfig | Mapping[str, Any] | None = None,
    seed: int = 0,
    **params: Any,
) -> AlphaEstimator:
    """Return an unfitted estimator for the model called ``name``.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES` (the single models), or ``"ensemble"``, which takes
        ``method``, ``members`` (model names), ``member_params`` and the ensemble's own
        arguments instead of ``**params`` below (see
        :func:`alphafactory.models.ensemble_methods.build_ensemble`).
    preset : {"default", "demo", "ci"}
        Start from a named bundle of settings (see the module docstring); ``params`` and
        ``train`` override it field by field.
    train : TrainConfig or mapping, optional
        Training settings for torch models (a mapping is merged over the preset's); must be
        None for ridge and the tree models.
    seed : int
        Seed of the estimator's fit.
    **params
        Fields of the model's config (``LSTMConfig``, ``TCNConfig``, ``TransformerConfig``,
        ``CrossSectionalConfig``, ``MLPConfig``) or arguments of ``RidgeAlpha``,
        ``LightGBMAlpha``, ``XGBoostAlpha``, ``RandomForestAlpha``, ``CatBoostAlpha``, and
        of the classifiers ``LogisticAlpha``, ``LightGBMClassifierAlpha``,
        ``XGBoostClassifierAlpha``, ``CatBoostClassifierAlpha``
        (:mod:`alphafactory.models.classifiers`).
        ``cs_transformer`` also takes the fields of its temporal ``TransformerConfig`` flat
        (``d_model=16``).

    Raises
    ------
    ValueError
        For an unknown name, preset or key.
    """
    if name == "ensemble":  # members by name: see alphafactory.models.ensemble_methods
        from alphafactory.models.ensemble_methods import build_ensemble

        return build_ensemble(get_model, preset=preset, train=train, seed=seed,
                              neural=tuple(NEURAL_CONFIGS), **params)  # fmt: skip
    if name not in MODEL_NAMES:
        raise ValueError(f"Unknown model {name!r}; expected one of {list(MODEL_NAMES)} or "
                         "'ensemble'.")  # fmt: skip
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; expected one of {sorted(PRESETS)}.")
    base = PRESETS[preset].get(name, {})
    model_params = {**base.get("model", {}), **params}
    if name in ESTIMATORS:
        if train is not None:
            raise ValueError(f"Model {name!r} is not a torch model; it takes no `train` config.")
        factory = ESTIMATORS[name]
        _check_keys(name, model_params, _init_params(factory))
        return factory(
            **model_params, **({"seed": seed} if "seed" in _init_params(factory) else {})
        )
    train_config = _train_config(name, base.get("train", {}), train)
    return NeuralAlpha(_neural_config(name, model_params), train_config, seed=seed)


def _neural_config(name: str, params: dict[str, Any]) -> Any:
    cls = NEURAL_CONFIGS[name]
    if name == "cs_transformer":
        temporal_keys = {f.name for f in dataclasses.fields(TransformerConfig)}
        temporal = {k: params.pop(k) for k in list(params) if k in temporal_keys}
        _check_keys(name, params, {f.name for f in dataclasses.fields(cls)} | temporal_keys)
        if temporal:
            if "temporal" in params:
                raise ValueError("Give cs_transformer either `temporal` or its flat fields.")
            params["temporal"] = TransformerConfig(**temporal)
        return cls(**params)
    _check_keys(name, params, {f.name for f in dataclasses.fields(cls)})
    if "hidden" in params:
        params["hidden"] = tuple(params["hidden"])
    return cls(**params)


def _train_config(
    name: str, preset: Mapping[str, Any], train: TrainConfig | Mapping[str, Any] | None
) -> TrainConfig:
    if isinstance(train, TrainConfig):
        return train
    merged = {**_TRAIN_DEFAULTS.get(name, {}), **preset, **dict(train or {})}
    _check_keys("train", merged, {f.name for f in dataclasses.fields(TrainConfig)})
    return TrainConfig(**merged)


def _init_params(factory: Callable[..., Any]) -> set[str]:
    import inspect

    return {p for p in inspect.signature(factory).parameters if p != "self"}


def _check_keys(name: str, given: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ValueError(
            f"Unknown setting(s) {unknown} for {name!r}; valid keys are {sorted(allowed)}."
        )
