"""Fitted estimators and normalizers to and from files, without pickled code.

Every estimator family has one writer and one reader, found through an explicit table keyed by
a kind name written in ``estimator.json`` (never an import path in a string):

- ``ridge``: arguments in JSON, ``coef_`` and ``intercept_`` in ``weights.npz``;
- ``neural``: the architecture config (``LSTMConfig``, ...) and ``TrainConfig`` as JSON, the
  module's ``state_dict`` in ``weights.pt`` (``torch.save`` of tensors, read with
  ``weights_only=True``);
- ``lightgbm`` / ``xgboost``: the booster in its own format (``model.txt`` / ``model.ubj``);
  a LightGBM ``linear_base`` start as a ``ridge`` in ``linear/``;
- ``catboost``: the model in CatBoost's own format (``model.cbm``);
- ``logistic`` / ``lightgbm_classifier`` / ``xgboost_classifier`` / ``catboost_classifier``:
  classes, coefficients and the validation calibration in JSON, boosters in their own format
  (:mod:`alphafactory.models.classifiers`);
- ``random_forest``: every tree's node arrays in ``forest.npz`` (:class:`ForestArrays`);
- ``mean_ensemble`` / ``rank_ensemble`` / ``stacking_ensemble`` / ``blend_ensemble`` /
  ``bma_ensemble`` / ``voting_ensemble``: each member in ``members/<i>/``, the ensemble's
  arguments and its fitted combination (``weights_``, ...) in JSON.

Normalizers (``Standardizer``, ``RollingZScore``, ``CrossSectionalRank``) are JSON documents;
floats round-trip exactly through Python's JSON. So are the fold steps of
:data:`~alphafactory.models.selection.SELECTION_STEPS` (``kind`` ``step``: its table name, its
arguments and its learned state) and a fitted
:class:`~alphafactory.models.feature_steps.FeaturePipeline` (``kind`` ``pipeline``: its fitted
steps' documents in order).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from alphafactory.errors import ModelError
from alphafactory.features.normalize import CrossSectionalRank, RollingZScore, Standardizer
from alphafactory.models.base import AlphaEstimator
from alphafactory.models.baselines import MLPConfig, RidgeAlpha
from alphafactory.models.catboost_model import CatBoostAlpha
from alphafactory.models.classifiers import CLASSIFIER_KINDS, load_classifier, save_classifier
from alphafactory.models.cross_sectional import CrossSectionalConfig
from alphafactory.models.ensemble import MeanEnsemble, RankAverageEnsemble, StackingEnsemble
from alphafactory.models.ensemble_weights import BayesianAveragingEnsemble, BlendEnsemble
from alphafactory.models.forest import ForestArrays, RandomForestAlpha
from alphafactory.models.gbm import LightGBMAlpha, XGBoostAlpha
from alphafactory.models.lstm import LSTMConfig
from alphafactory.models.neural import NeuralAlpha
from alphafactory.models.tcn import TCNConfig
from alphafactory.models.train_config import TrainConfig
from alphafactory.models.transformer import TransformerConfig
from alphafactory.models.voting import VotingEnsemble

__all__ = ["load_estimator", "load_normalizer", "normalizer_document", "save_estimator"]

ESTIMATOR_FILE = "estimator.json"
_MODULE_CONFIGS: dict[str, type] = {
    "lstm": LSTMConfig,
    "tcn": TCNConfig,
    "transformer": TransformerConfig,
    "cs_transformer": CrossSectionalConfig,
    "mlp": MLPConfig,
}
_ENSEMBLES: dict[str, type] = {
    "mean_ensemble": MeanEnsemble,
    "rank_ensemble": RankAverageEnsemble,
    "stacking_ensemble": StackingEnsemble,
    "blend_ensemble": BlendEnsemble,
    "bma_ensemble": BayesianAveragingEnsemble,
    "voting_ensemble": VotingEnsemble,
}
# The fitted state of an ensemble besides its members, stored as JSON numbers.
_ENSEMBLE_STATE = ("weights_", "scales_", "means_", "intercept_", "log_likelihoods_",
                   "calibration_", "classes_")  # fmt: skip


# ------------------------------------------------------------------------------ estimators
def save_estimator(estimator: AlphaEstimator, directory: Path) -> None:
    """Write a fitted ``estimator`` into the existing empty ``directory``."""
    estimator._check_fitted()
    kind = _kind_of(estimator)
    doc = {"kind": kind, **_WRITERS[kind](estimator, directory)}
    (directory / ESTIMATOR_FILE).write_text(json.dumps(doc, indent=1))


def load_estimator(directory: Path) -> AlphaEstimator:
    """Read the fitted estimator written by :func:`save_estimator` into ``directory``."""
    doc = _read_json(directory / ESTIMATOR_FILE)
    kind = doc.get("kind")
    if kind not in _READERS:
        raise ModelError(
            f"{directory / ESTIMATOR_FILE}: unknown estimator kind {kind!r}; this version reads "
            f"{sorted(_READERS)}."
        )
    try:
        return _READERS[kind](doc, directory)
    except ModelError:
        raise
    except Exception as exc:  # numpy, torch, lightgbm and xgboost fail in their own ways
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ModelError(f"{directory}: corrupt {kind} estimator ({reason}).") from exc


def _kind_of(estimator: AlphaEstimator) -> str:
    if isinstance(estimator, NeuralAlpha):
        return "neural"
    for kind, cls in (("ridge", RidgeAlpha), ("lightgbm", LightGBMAlpha),
                      ("xgboost", XGBoostAlpha), ("random_forest", RandomForestAlpha),
                      ("catboost", CatBoostAlpha), *CLASSIFIER_KINDS.items(),
                      *_ENSEMBLES.items()):  # fmt: skip
        if type(estimator) is cls:
            return kind
    raise ModelError(
        f"Cannot store a {type(estimator).__name__}: stored kinds are ridge, the torch models "
        f"(NeuralAlpha), lightgbm, xgboost, random_forest, catboost and the ensembles."
    )


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ModelError(f"{path}: missing file; the model artifact is incomplete.")
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not readable JSON ({exc}).") from exc
    if not isinstance(doc, dict):
        raise ModelError(f"{path}: expected a JSON object, got {type(doc).__name__}.")
    return doc


def _require_file(path: Path) -> Path:
    if not path.is_file():
        raise ModelError(f"{path}: missing file; the model artifact is incomplete.")
    return path


def _write_ridge(est: RidgeAlpha, directory: Path) -> dict[str, Any]:
    np.savez(directory / "weights.npz", coef=est.coef_, intercept=np.float64(est.intercept_))
    return {"params": est.get_params(), "n_features_in": int(est.n_features_in_)}


def _read_ridge(doc: dict[str, Any], directory: Path) -> RidgeAlpha:
    est = RidgeAlpha(**doc["params"])
    # Open the file here: np.load leaves its own handle open when the archive is damaged.
    with _require_file(directory / "weights.npz").open("rb") as handle, np.load(
        handle, allow_pickle=False
    ) as data:
        est.coef_ = data["coef"]
        est.intercept_ = float(data["intercept"])
    est.n_features_in_ = int(doc["n_features_in"])
    return est


def _config_kind(config: Any) -> str:
    for kind, cls in _MODULE_CONFIGS.items():
        if type(config) is cls:
            return kind
    raise ModelError(f"Cannot store a NeuralAlpha with a {type(config).__name__} architecture.")


def _write_neural(est: NeuralAlpha, directory: Path) -> dict[str, Any]:
    import torch

    torch.save({k: v.detach().cpu() for k, v in est.module_.state_dict().items()},
               directory / "weights.pt")  # fmt: skip
    return {
        "architecture": _config_kind(est.config),
        "config": dataclasses.asdict(est.config),
        "train": dataclasses.asdict(est.train or TrainConfig()),
        "seed": int(est.seed),
        "n_features_in": int(est.n_features_in_),
        "lookback": int(est.lookback_),
        "label_scale": float(est.label_scale_),
        "best_epoch": est.best_epoch_,
        "history": est.history_,
    }


def _module_config(kind: str, fields: dict[str, Any]) -> Any:
    if kind not in _MODULE_CONFIGS:
        raise ValueError(f"unknown architecture {kind!r}")
    fields = dict(fields)
    if kind == "cs_transformer":
        fields["temporal"] = TransformerConfig(**fields["temporal"])
    if kind == "mlp":
        fields["hidden"] = tuple(fields["hidden"])
    return _MODULE_CONFIGS[kind](**fields)


def _read_neural(doc: dict[str, Any], directory: Path) -> NeuralAlpha:
    import torch

    from alphafactory.models.trainer import Trainer

    config = _module_config(doc["architecture"], doc["config"])
    train = TrainConfig(**doc["train"])
    est = NeuralAlpha(config, train, seed=int(doc["seed"]))
    module = config.build(int(doc["n_features_in"]), int(doc["lookback"]))
    state = torch.load(_require_file(directory / "weights.pt"), map_location="cpu",
                       weights_only=True)  # fmt: skip
    module.load_state_dict(state)
    module.eval()
    est.module_ = module
    est.trainer_ = Trainer(train, seed=est.seed)
    est.history_ = list(doc["history"])
    est.best_epoch_ = doc["best_epoch"]
    est.label_scale_ = float(doc["label_scale"])
    est.n_features_in_ = int(doc["n_features_in"])
    est.lookback_ = int(doc["lookback"])
    return est


def _write_lightgbm(est: LightGBMAlpha, directory: Path) -> dict[str, Any]:
    est.model_.save_model(str(directory / "model.txt"), num_iteration=-1)
    doc = {"params": est.get_params(), "n_features_in": int(est.n_features_in_),
           "best_iteration": int(est.model_.best_iteration or 0)}  # fmt: skip
    if getattr(est, "linear_", None) is not None:  # the ridge fit the trees start from
        (directory / "linear").mkdir()
        doc["linear"] = _write_ridge(est.linear_, directory / "linear")
    return doc


def _read_lightgbm(doc: dict[str, Any], directory: Path) -> LightGBMAlpha:
    from alphafactory.models.gbm import _require, uses_linear_base

    lgb = _require("lightgbm")
    est = LightGBMAlpha(**doc["params"])
    est.model_ = lgb.Booster(model_file=str(_require_file(directory / "model.txt")))
    est.model_.best_iteration = int(doc["best_iteration"])
    est.linear_ = None
    if uses_linear_base(est.linear_base):  # a missing "linear" entry fails as damaged
        est.linear_ = _read_ridge(doc["linear"], directory / "linear")
    est.n_features_in_ = int(doc["n_features_in"])
    return est


def _write_xgboost(est: XGBoostAlpha, directory: Path) -> dict[str, Any]:
    est.model_.save_model(str(directory / "model.ubj"))
    return {"params": est.get_params(), "n_features_in": int(est.n_features_in_)}


def _read_xgboost(doc: dict[str, Any], directory: Path) -> XGBoostAlpha:
    from alphafactory.models.gbm import _require

    xgb = _require("xgboost")
    est = XGBoostAlpha(**doc["params"])
    booster = xgb.Booster(params={"nthread": 1})
    booster.load_model(str(_require_file(directory / "model.ubj")))
    est.model_ = booster
    est.n_features_in_ = int(doc["n_features_in"])
    return est


def _write_forest(est: RandomForestAlpha, directory: Path) -> dict[str, Any]:
    est.forest_.save(directory / "forest.npz")
    return {"params": est.get_params(), "n_features_in": int(est.n_features_in_),
            "feature_importances": [float(v) for v in est.feature_importances_]}  # fmt: skip


def _read_forest(doc: dict[str, Any], directory: Path) -> RandomForestAlpha:
    est = RandomForestAlpha(**doc["params"])
    est.forest_ = ForestArrays.load(_require_file(directory / "forest.npz"))
    est.feature_importances_ = np.asarray(doc["feature_importances"], dtype=np.float64)
    est.n_features_in_ = int(doc["n_features_in"])
    return est


def _write_catboost(est: CatBoostAlpha, directory: Path) -> dict[str, Any]:
    est.model_.save_model(str(directory / "model.cbm"), format="cbm")
    return {"params": est.get_params(), "n_features_in": int(est.n_features_in_)}


def _read_catboost(doc: dict[str, Any], directory: Path) -> CatBoostAlpha:
    from alphafactory.models.catboost_model import require_catboost

    catboost = require_catboost()
    est = CatBoostAlpha(**doc["params"])
    model = catboost.CatBoostRegressor()
    model.load_model(str(_require_file(directory / "model.cbm")), format="cbm")
    est.model_ = model
    est.n_features_in_ = int(doc["n_features_in"])
    return est


def _write_ensemble(est: Any, directory: Path) -> dict[str, Any]:
    for i, member in enumerate(est.members_):
        sub = directory / "members" / str(i)
        sub.mkdir(parents=True)
        save_estimator(member, sub)
    params = {k: list(v) if isinstance(v, tuple) else v
              for k, v in est.get_params().items() if k != "members"}  # fmt: skip
    state = {k: np.asarray(getattr(est, k)).tolist() for k in _ENSEMBLE_STATE if hasattr(est, k)}
    return {"n_members": len(est.members_), "params": params, "state": state}


def _read_ensemble(doc: dict[str, Any], directory: Path) -> Any:
    members = [load_estimator(directory / "members" / str(i)) for i in range(doc["n_members"])]
    cls = _ENSEMBLES[doc["kind"]]
    if "params" in doc:
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in doc["params"].items()}
        est = cls(members, **params)
        est.members_ = members
        for key, value in doc["state"].items():
            if key not in _ENSEMBLE_STATE:
                raise ValueError(f"unknown ensemble state {key!r}")
            setattr(est, key, float(value) if key == "intercept_" else np.asarray(value))
        return est
    # Artifacts written before ensembles stored their arguments and state generically.
    est = cls(members, alpha=doc["alpha"]) if cls is StackingEnsemble else cls(members)
    est.members_ = members
    if cls is not StackingEnsemble:
        est.weights_ = np.full(len(members), 1.0 / len(members))
    if "scales" in doc:
        est.scales_ = np.asarray(doc["scales"], dtype=np.float64)
    if "weights" in doc:
        est.weights_ = np.asarray(doc["weights"], dtype=np.float64)
        est.intercept_ = float(doc["intercept"])
    return est


_WRITERS: dict[str, Callable[[Any, Path], dict[str, Any]]] = {
    "ridge": _write_ridge,
    "neural": _write_neural,
    "lightgbm": _write_lightgbm,
    "xgboost": _write_xgboost,
    "random_forest": _write_forest,
    "catboost": _write_catboost,
    **dict.fromkeys(CLASSIFIER_KINDS, save_classifier),
    **dict.fromkeys(_ENSEMBLES, _write_ensemble),
}
_READERS: dict[str, Callable[[dict[str, Any], Path], AlphaEstimator]] = {
    "ridge": _read_ridge,
    "neural": _read_neural,
    "lightgbm": _read_lightgbm,
    "xgboost": _read_xgboost,
    "random_forest": _read_forest,
    "catboost": _read_catboost,
    **{kind: lambda doc, d: load_classifier(doc["kind"], doc, d) for kind in CLASSIFIER_KINDS},
    **dict.fromkeys(_ENSEMBLES, _read_ensemble),
}


# ----------------------------------------------------------------------------- normalizers
_NORMALIZERS: dict[str, type] = {
    "standardizer": Standardizer,
    "rolling_zscore": RollingZScore,
    "cross_sectional_rank": CrossSectionalRank,
}


def normalizer_document(normalizer: Any) -> dict[str, Any]:
    """Return the JSON document of a fitted normalizer (its class, arguments and state).

    A :class:`FeaturePipeline` is the documents of its fitted steps; a selection step its
    :data:`~alphafactory.models.selection.SELECTION_STEPS` name, arguments and state.
    """
    from alphafactory.models.feature_steps import FeaturePipeline, step_params, step_state
    from alphafactory.models.selection import step_name

    if not hasattr(normalizer, "feature_names_in_"):
        raise ModelError(f"The {type(normalizer).__name__} normalizer is not fitted.")
    if isinstance(normalizer, FeaturePipeline):
        return {
            "kind": "pipeline",
            "columns": [str(c) for c in normalizer.feature_names_in_],
            "columns_out": [str(c) for c in normalizer.feature_names_out_],
            "steps": [normalizer_document(step) for step in normalizer.steps_],
        }
    kind = next((k for k, cls in _NORMALIZERS.items() if type(normalizer) is cls), None)
    if kind is None:
        try:
            name = step_name(normalizer)
        except ValueError:
            raise ModelError(
                f"Cannot store a {type(normalizer).__name__} normalizer: stored kinds are "
                f"{sorted(_NORMALIZERS)}, a FeaturePipeline and the steps of SELECTION_STEPS."
            ) from None
        return {"kind": "step", "step": name, "params": step_params(normalizer),
                "state": step_state(normalizer)}  # fmt: skip
    doc: dict[str, Any] = {
        "kind": kind,
        "columns": [str(c) for c in normalizer.feature_names_in_],
        "params": {k: getattr(normalizer, k) for k in ("clip", "window") if hasattr(normalizer, k)},
    }
    if isinstance(normalizer, Standardizer):
        doc["mean"] = [float(v) for v in normalizer.mean_]
        doc["scale"] = [float(v) for v in normalizer.scale_]
    return doc


def load_normalizer(doc: dict[str, Any], where: Path) -> Any:
    """Rebuild the fitted normalizer of :func:`normalizer_document`; ``where`` names errors."""
    from alphafactory.models.feature_steps import FeaturePipeline, clone_step, restore_step
    from alphafactory.models.selection import SELECTION_STEPS

    kind = doc.get("kind")
    if kind not in (*_NORMALIZERS, "pipeline", "step"):
        raise ModelError(f"{where}: unknown normalizer kind {kind!r}; expected one of "
                         f"{sorted((*_NORMALIZERS, 'pipeline', 'step'))}.")  # fmt: skip
    if kind == "step" and doc.get("step") not in SELECTION_STEPS:
        raise ModelError(f"{where}: unknown selection step {doc.get('step')!r}; this version "
                         f"reads {sorted(SELECTION_STEPS)}.")  # fmt: skip
    try:
        if kind == "pipeline":
            steps = [load_normalizer(step, where) for step in doc["steps"]]
            pipeline = FeaturePipeline([clone_step(step) for step in steps])
            pipeline.steps_ = steps
            pipeline.feature_names_in_ = pd.Index(doc["columns"])
            pipeline.feature_names_out_ = pd.Index(doc["columns_out"])
            return pipeline
        if kind == "step":
            return restore_step(SELECTION_STEPS[doc["step"]], doc["params"], doc["state"])
        normalizer = _NORMALIZERS[kind](**doc["params"])
        normalizer.feature_names_in_ = pd.Index(doc["columns"])
        if kind == "rolling_zscore":
            normalizer.window_ = int(normalizer.window)
        if kind == "standardizer":
            normalizer.mean_ = np.asarray(doc["mean"], dtype=np.float64)
            normalizer.scale_ = np.asarray(doc["scale"], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{where}: corrupt normalizer ({exc!r}).") from exc
    return normalizer
