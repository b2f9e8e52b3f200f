"""Served models: an artifact with its version and reference scores, held for atomic swaps.

The version of an artifact is ``<model>@<first 12 hex of the SHA-256 of artifact.json>``: two
saves of different weights or metadata differ, the same directory copied elsewhere keeps its
version. :class:`ArtifactWatcher` polls an artifact directory (replaced atomically by
``ModelArtifact.save(path, overwrite=True)`` or by the registry's alias move) and, when its
``artifact.json`` changed, loads the new version in a background thread and hands it to a
callback; the server swaps one reference, so requests already holding the old model finish on it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alphafactory.errors import ModelError
from alphafactory.models import ModelArtifact, load

__all__ = ["ArtifactWatcher", "ServedModel", "artifact_version", "load_served"]

log = logging.getLogger(__name__)
CLASSIFIER_LABELS = ("direction",)


def artifact_version(path: Path, doc: bytes | None = None) -> str:
    """``<model>@<hash>`` of the artifact stored at ``path``."""
    if doc is None:
        try:
            doc = (path / "artifact.json").read_bytes()
        except OSError as exc:
            raise ModelError(f"{path}: no readable artifact.json ({exc.strerror}).") from exc
    try:
        model = json.loads(doc).get("model", "model")
    except (ValueError, AttributeError):
        model = "model"
    return f"{model}@{hashlib.sha256(doc).hexdigest()[:12]}"


@dataclass(frozen=True, kw_only=True, slots=True)
class ServedModel:
    """One loaded artifact as the server uses it.

    Attributes
    ----------
    alias : str
        ``champion`` or ``challenger``.
    version : str
        See :func:`artifact_version`.
    path : Path
    artifact : ModelArtifact
    reference : ndarray or None
        Sorted ``|score|`` of the artifact's own out-of-sample scores (the ``predictions.parquet``
        of the run the artifact sits in), the basis of a regressor's confidence; None when the
        artifact is not in a run directory (the current cross-section is used instead).
    classifier : bool
        Trained on direction labels: the score is a probability of "up" (or its logit).
    loaded_at : Timestamp
    """

    alias: str
    version: str
    path: Path
    artifact: ModelArtifact
    reference: np.ndarray | None
    classifier: bool
    loaded_at: pd.Timestamp

    def feature_spec(self) -> str:
        """Hash of the feature names, parameters, dtype and lookback the model scores with."""
        a = self.artifact
        text = repr((a.features, sorted((k, repr(v)) for k, v in a.feature_params.items()),
                     a.feature_dtype, a.lookback, a.warmup_bars))  # fmt: skip
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def confidence(self, scores: np.ndarray) -> tuple[np.ndarray, str]:
        """Confidence of each score in [0, 1] and its basis.

        Classifier: the probability of the predicted direction (a score outside [0, 1] is read
        as a logit). Regressor: the percentile of ``|score|`` among the reference scores, or
        among ``scores`` themselves when there is no reference.
        """
        scores = np.asarray(scores, dtype=np.float64)
        if self.classifier:
            p = scores if np.all((scores >= 0) & (scores <= 1)) else 1 / (1 + np.exp(-scores))
            return np.maximum(p, 1 - p), "probability"
        ref = self.reference
        basis = "out_of_sample"
        if ref is None or len(ref) == 0:
            ref, basis = np.sort(np.abs(scores)), "cross_section"
        if len(ref) == 0:
            return np.zeros_like(scores), basis
        return np.searchsorted(ref, np.abs(scores), side="right") / len(ref), basis


def _reference(path: Path, model: str) -> np.ndarray | None:
    """Sorted |out-of-sample scores| of the run ``path`` is the ``model/`` of, if any."""
    predictions = path.parent / "predictions.parquet"
    if path.name != "model" or not predictions.is_file():
        return None
    try:
        table = pd.read_parquet(predictions, columns=["model", "score"])
    except (OSError, ValueError, KeyError) as exc:
        log.warning("%s: unreadable out-of-sample predictions (%s)", predictions, exc)
        return None
    if "model" in table and (table["model"] == model).any():
        table = table[table["model"] == model]
    values = table["score"].to_numpy(dtype=np.float64)
    return np.sort(np.abs(values[np.isfinite(values)]))


def load_served(path: Path, alias: str) -> ServedModel:
    """Load the artifact at ``path`` as ``alias`` (its version read from the same bytes)."""
    path = Path(path)
    doc = (path / "artifact.json").read_bytes() if (path / "artifact.json").is_file() else None
    artifact = load(path)
    version = artifact_version(path, doc)
    return ServedModel(
        alias=alias,
        version=version,
        path=path,
        artifact=artifact,
        reference=_reference(path, artifact.model),
        classifier=artifact.label.kind in CLASSIFIER_LABELS,
        loaded_at=pd.Timestamp.now(tz="UTC"),
    )


class ArtifactWatcher:
    """Poll an artifact directory; load each new version in this thread and call ``on_new``.

    A version that fails to load is logged and skipped (the served model stays); it is tried
    again only when the directory changes again.
    """

    def __init__(
        self,
        path: Path,
        alias: str,
        current: str,
        on_new: Callable[[ServedModel], None],
        every: float = 2.0,
    ) -> None:
        self.path, self.alias, self.every = Path(path), alias, every
        self._seen = current
        self._on_new = on_new
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watch-{alias}", daemon=True)

    def start(self) -> ArtifactWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def check(self) -> ServedModel | None:
        """Look once; load, report and return a new version if there is one."""
        try:
            version = artifact_version(self.path)
        except ModelError:
            return None  # mid-replacement, or removed: keep serving the loaded model
        if version == self._seen:
            return None
        self._seen = version
        try:
            served = load_served(self.path, self.alias)
        except (ModelError, OSError) as exc:
            log.error("new %s artifact at %s not loaded: %s", self.alias, self.path, exc)
            return None
        self._on_new(served)
        return served

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.check()
            except Exception:  # the watcher must outlive any one bad version
                log.exception("artifact watcher for %s failed once", self.path)
