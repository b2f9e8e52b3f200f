"""Stored models: a fitted estimator with everything needed to score new bars, as a directory.

Layout of ``artifact.save(path)`` (read back by :func:`load`)::

    path/
      artifact.json        format_version, model, fold, features (names, parameters, dtype),
                           normalizer (kind, columns, fitted state), lookback, label spec,
                           training window, data fingerprint, package versions, metrics,
                           warmup_bars, seed, created_at
      estimator/           estimator.json plus its weights in the family's own format
                           (see alphafactory.models.serialize): never pickled code
      reference.json       optional: the training window's reference statistics for monitoring
                           (alphafactory.models.reference); an artifact without it still loads

A save writes a temporary sibling directory and renames it into place, so a reader never sees a
half-written artifact. ``format_version`` is checked on load: an artifact from a newer version,
a missing file or a corrupt one raises :class:`~alphafactory.errors.ModelError` naming the path.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import platform
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from alphafactory.errors import ModelError
from alphafactory.features.registry import FeatureDef, feature_defs
from alphafactory.models.base import AlphaEstimator
from alphafactory.models.serialize import (
    load_estimator,
    load_normalizer,
    normalizer_document,
    save_estimator,
)

__all__ = [
    "FORMAT_VERSION",
    "LabelSpec",
    "ModelArtifact",
    "TrainingWindow",
    "load",
    "make_artifact",
    "warmup_bars",
]

FORMAT_VERSION = 1
ARTIFACT_FILE = "artifact.json"
ESTIMATOR_DIR = "estimator"
REFERENCE_FILE = "reference.json"
_PACKAGES = ("alphafactory", "numpy", "pandas", "torch", "ta-lib", "lightgbm", "xgboost",
             "scikit-learn", "catboost")  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class LabelSpec:
    """What the model was trained to predict (``forward_returns``' attrs)."""

    kind: str | None
    horizon: int
    entry: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class TrainingWindow:
    """First and last timestamps of the training and validation slices (None when empty)."""

    train_start: pd.Timestamp | None
    train_end: pd.Timestamp | None
    val_start: pd.Timestamp | None = None
    val_end: pd.Timestamp | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelArtifact:
    """A fitted model and what :func:`~alphafactory.models.score` needs to apply it.

    Attributes
    ----------
    model : str
        Registry name (``"lstm"``) or estimator class name.
    estimator : AlphaEstimator
        The fitted estimator.
    normalizer : object
        The fitted feature normalizer (``Standardizer`` by default).
    features : tuple of str
        Feature columns in model order; registered names are rebuilt from bars by ``score``.
    feature_params : mapping
        Registry parameters of each feature (None for a column the registry does not know).
    feature_dtype : str
        dtype the features were built in (``"float32"`` from ``build_features``).
    lookback : int
        Bars per model window.
    label : LabelSpec
    window : TrainingWindow
    data_fingerprint : str or None
        Fingerprint of the data trained on.
    versions : mapping
        Python and package versions at fit time.
    metrics : mapping
        Metrics of the fold the model came from (``train_ic``, ``val_ic``, ``test_ic``,
        ``best_epoch``; the final refit has no test slice); None where undefined.
    fold : int or None
        Walk-forward fold, None for the final refit.
    seed : int
    warmup_bars : int
        Bars of history ``score`` reads for the latest bar: the lookback plus the longest
        feature history (warm-up and convergence allowance) plus a rolling normalizer's window.
    created_at : str
        UTC ISO time of creation.
    reference : mapping or None
        Reference statistics for monitoring (the document of
        :func:`alphafactory.models.reference.compute_reference`), written as ``reference.json``;
        None when not computed.
    """

    model: str
    estimator: AlphaEstimator
    normalizer: Any
    features: tuple[str, ...]
    feature_params: Mapping[str, Mapping[str, Any] | None]
    feature_dtype: str
    lookback: int
    label: LabelSpec
    window: TrainingWindow
    data_fingerprint: str | None
    versions: Mapping[str, str | None]
    metrics: Mapping[str, float | None]
    fold: int | None
    seed: int
    warmup_bars: int
    created_at: str = field(
        default_factory=lambda: pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")
    )
    reference: Mapping[str, Any] | None = None

    def feature_defs(self) -> list[FeatureDef]:
        """Registry definitions of :attr:`features`; raise when one is unknown or changed."""
        registry = _registry()
        out = []
        for name in self.features:
            if name not in registry:
                raise ModelError(
                    f"Feature {name!r} of this {self.model} artifact is not a registered feature; "
                    "score() rebuilds features from bars through the registry only."
                )
            stored, current = self.feature_params.get(name), dict(registry[name].params)
            if stored is not None and dict(stored) != current:
                raise ModelError(
                    f"Feature {name!r} was stored with parameters {dict(stored)}; the registry now "
                    f"defines {current}."
                )
            out.append(registry[name])
        return out

    def to_document(self) -> dict[str, Any]:
        """Return the ``artifact.json`` document (everything but the estimator's weights)."""
        return {
            "format_version": FORMAT_VERSION,
            "model": self.model,
            "fold": self.fold,
            "seed": self.seed,
            "created_at": self.created_at,
            "features": {
                "names": list(self.features),
                "params": {
                    k: None if v is None else dict(v) for k, v in self.feature_params.items()
                },
                "dtype": self.feature_dtype,
            },
            "normalizer": normalizer_document(self.normalizer),
            "lookback": self.lookback,
            "warmup_bars": self.warmup_bars,
            "label": dataclasses.asdict(self.label),
            "window": {
                k: None if v is None else v.isoformat()
                for k, v in dataclasses.asdict(self.window).items()
            },
            "data_fingerprint": self.data_fingerprint,
            "versions": dict(self.versions),
            "metrics": dict(self.metrics),
        }

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the artifact as the directory ``path`` (atomically) and return it.

        Raises
        ------
        FileExistsError
            When ``path`` exists and ``overwrite`` is False.
        """
        path = Path(path)
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace the artifact.")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex}"
        try:
            (tmp / ESTIMATOR_DIR).mkdir(parents=True)
            save_estimator(self.estimator, tmp / ESTIMATOR_DIR)
            (tmp / ARTIFACT_FILE).write_text(json.dumps(self.to_document(), indent=1))
            if self.reference is not None:
                (tmp / REFERENCE_FILE).write_text(json.dumps(self.reference, allow_nan=False))
            if path.exists():
                old = path.parent / f".{path.name}.old-{uuid.uuid4().hex}"
                os.replace(path, old)
                try:
                    os.replace(tmp, path)
                except OSError:
                    os.replace(old, path)  # put the previous artifact back
                    raise
                shutil.rmtree(old)
            else:
                os.replace(tmp, path)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
        return path


def load(path: str | Path) -> ModelArtifact:
    """Read the model artifact stored in the directory ``path``.

    Raises
    ------
    ModelError
        When ``path`` holds no artifact, a file is missing or corrupt, or the artifact was
        written by a newer format version.
    """
    path = Path(path)
    doc_path = path / ARTIFACT_FILE
    if not doc_path.is_file():
        raise ModelError(f"{path}: no model artifact here (missing {ARTIFACT_FILE}).")
    try:
        doc = json.loads(doc_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{doc_path}: not readable JSON ({exc}).") from exc
    version = doc.get("format_version") if isinstance(doc, dict) else None
    if not isinstance(version, int):
        raise ModelError(f"{doc_path}: no integer format_version; got {version!r}.")
    if version > FORMAT_VERSION:
        raise ModelError(
            f"{path}: artifact format_version {version} is newer than this alphafactory reads "
            f"({FORMAT_VERSION}); upgrade alphafactory to load it."
        )
    estimator = load_estimator(path / ESTIMATOR_DIR)
    try:
        features, window = doc["features"], doc["window"]
        return ModelArtifact(
            model=doc["model"],
            estimator=estimator,
            normalizer=load_normalizer(doc["normalizer"], doc_path),
            features=tuple(features["names"]),
            feature_params=features["params"],
            feature_dtype=features["dtype"],
            lookback=int(doc["lookback"]),
            label=LabelSpec(**doc["label"]),
            window=TrainingWindow(
                **{k: None if v is None else pd.Timestamp(v) for k, v in window.items()}
            ),
            data_fingerprint=doc["data_fingerprint"],
            versions=doc["versions"],
            metrics=doc["metrics"],
            fold=doc["fold"],
            seed=int(doc["seed"]),
            warmup_bars=int(doc["warmup_bars"]),
            created_at=doc["created_at"],
            reference=_read_reference(path / REFERENCE_FILE),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{doc_path}: corrupt artifact document ({exc!r}).") from exc


def _read_reference(path: Path) -> dict[str, Any] | None:
    """The artifact's ``reference.json``, or None when it has none."""
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not readable JSON ({exc}).") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("schema"), int):
        raise ModelError(f"{path}: no integer schema in the reference statistics.")
    return doc


@functools.cache
def _registry() -> dict[str, FeatureDef]:
    """The default feature registry by name (definitions are code: built once per process)."""
    return {d.name: d for d in feature_defs()}


def warmup_bars(features: Sequence[str], lookback: int, normalizer: Any = None) -> int:
    """Bars of history needed to score the latest bar exactly as from the whole history.

    ``lookback`` plus the longest ``warmup + convergence`` of the registered ``features`` plus,
    for a rolling normalizer, its window less one.
    """
    registry = _registry()
    history = max((registry[n].history for n in features if n in registry), default=0)
    window = getattr(normalizer, "window", None)
    extra = int(window) - 1 if isinstance(window, int) else 0
    return int(lookback) + history + extra


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in _PACKAGES:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def make_artifact(
    *,
    model: str,
    estimator: AlphaEstimator,
    normalizer: Any,
    features: pd.DataFrame | Sequence[str],
    lookback: int,
    label_attrs: Mapping[str, Any],
    window: TrainingWindow,
    data_fingerprint: str | None,
    metrics: Mapping[str, float | None],
    fold: int | None,
    seed: int,
    reference: Mapping[str, Any] | None = None,
) -> ModelArtifact:
    """Assemble an artifact, filling in feature parameters, versions and ``warmup_bars``.

    ``features`` is the feature frame trained on (names and dtype are read from it) or the
    column names (float32 assumed, ``build_features``' default). ``reference`` is the
    monitoring document of :func:`alphafactory.models.reference.compute_reference`.
    """
    if isinstance(features, pd.DataFrame):
        names = tuple(str(c) for c in features.columns)
        dtypes = {str(t) for t in features.dtypes}
        dtype = dtypes.pop() if len(dtypes) == 1 else "float64"
    else:
        names, dtype = tuple(features), "float32"
    registry = _registry()
    params = {n: dict(registry[n].params) if n in registry else None for n in names}
    return ModelArtifact(
        model=model,
        estimator=estimator,
        normalizer=normalizer,
        features=names,
        feature_params=params,
        feature_dtype=dtype,
        lookback=int(lookback),
        label=LabelSpec(
            kind=label_attrs.get("kind"),
            horizon=int(label_attrs.get("horizon", 1)),
            entry=label_attrs.get("entry"),
        ),
        window=window,
        data_fingerprint=data_fingerprint,
        versions=_versions(),
        metrics={k: None if v is None or pd.isna(v) else float(v) for k, v in metrics.items()},
        fold=fold,
        seed=int(seed),
        warmup_bars=warmup_bars(names, lookback, normalizer),
        reference=reference,
    )
